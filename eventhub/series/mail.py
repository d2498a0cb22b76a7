"""What every email about an occurrence shows, whichever area sends it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from icalendar import vCalAddress

from eventhub.core.ics import Invitation
from eventhub.core.urls import external_url
from eventhub.series.models import Occurrence


def occurrence_mail_context(occurrence: Occurrence) -> dict[str, Any]:
    """The occurrence part of a message's data: titles, start, zone, venue and its page."""
    series = occurrence.series
    return {
        "series_title_ko": series.title_ko,
        "series_title_en": series.title_en,
        "start_at": occurrence.start_at.isoformat(),
        "timezone": series.timezone,
        "venue": occurrence.venue_in("ko")[0] or "",
        "venue_en": occurrence.venue_in("en")[0] or "",
        "occurrence_url": external_url("series.occurrence", occurrence_id=occurrence.id),
    }


def occurrence_invitation(
    occurrence: Occurrence,
    *,
    method: str,
    uid: str,
    sequence: int,
    stamp: datetime,
    start: datetime,
    end: datetime,
    summary: str,
    attendee: vCalAddress | None,
    locale: str = "ko",
) -> Invitation:
    """An emailed calendar event about the occurrence: its venue in the recipient's language
    (`locale`, as the message's text shows it), its page and its center as the organizer,
    whichever area invites (a startup's slot, an investor's day). Korean by default, for a
    caller that writes a location of its own (a meeting's table)."""
    center = occurrence.series.center
    venue = occurrence.venue_in(locale)
    return Invitation(
        method=method,
        uid=uid,
        sequence=sequence,
        stamp=stamp,
        start=start,
        end=end,
        summary=summary,
        location=", ".join(part for part in venue if part),
        url=external_url("series.occurrence", occurrence_id=occurrence.id),
        organizer_email=center.contact_email or current_app.config["MAIL_DEFAULT_SENDER"],
        organizer_name=center.name_en,
        attendee=attendee,
    )
