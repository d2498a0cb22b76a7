"""The calendar invitation of a meeting (iTIP by email) and its UID, shared with the personal
feeds: `meeting-<request id>@<host>`, so a calendar merges the mailed event and the feed's.
The SEQUENCE is the request's `calendar_sequence`, raised by every change after publication.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Any

from eventhub.core import outbox
from eventhub.core.ics import Invitation, attendee, invitation_text, uid_domain
from eventhub.core.urls import external_url
from eventhub.meetings.models import Side
from eventhub.series.mail import occurrence_invitation, occurrence_mail_context

if TYPE_CHECKING:
    from eventhub.meetings.models import MeetingRequest, MeetingSession


def meeting_uid(request_id: int) -> str:
    return f"meeting-{request_id}@{uid_domain()}"


def meeting_summary(request: MeetingRequest) -> str:
    return f"1:1 {request.investor.firm} × {request.startup.company_name}"


def meeting_location(session: MeetingSession, table: int, *, locale: str = "ko") -> str:
    """Where: the table's video link online, else the table at the date's venue."""
    link = session.table_link(table)
    if link:
        return link
    venue = session.occurrence.venue_in(locale)[0] or ""
    word = "테이블" if locale == "ko" else "Table"
    return f"{word} {table}" + (f", {venue}" if venue else "")


def meeting_event(
    request: MeetingRequest, *, slot_index: int, table: int, method: str, side: Side
) -> Invitation:
    """What the calendar event of one meeting says to one of its two people."""
    session = request.session
    if side is Side.investor:
        email, name = request.investor.email, request.investor.person_name
    else:
        email, name = request.startup.mail_address or "", request.startup.company_name
    event = occurrence_invitation(
        session.occurrence,
        method=method,
        uid=meeting_uid(request.id),
        sequence=request.calendar_sequence,
        stamp=session.updated_at,
        start=session.slot_start(slot_index),
        end=session.slot_end(slot_index),
        summary=meeting_summary(request),
        attendee=attendee(email, name, partstat="ACCEPTED") if email else None,
    )
    return dataclasses.replace(
        event,
        location=meeting_location(session, table, locale="en"),
        url=external_url("meetings.agenda", occurrence_id=session.occurrence_id),
    )


def _recipient(request: MeetingRequest, side: Side) -> tuple[str | None, str]:
    if side is Side.investor:
        return request.investor.email, request.investor.mail_locale
    return request.startup.mail_address, request.startup.mail_locale


def mail_context(
    request: MeetingRequest, *, slot_index: int, table: int, side: Side
) -> dict[str, Any]:
    session = request.session
    if side is Side.investor:
        person, other, about = (
            request.investor.person_name,
            request.startup.company_name,
            (request.startup.one_liner or ""),
        )
    else:
        person, other, about = (
            request.startup.company_name,
            (f"{request.investor.firm} ({request.investor.person_name})"),
            "",
        )
    return {
        **occurrence_mail_context(session.occurrence),
        "person": person,
        "other": other,
        "about": about,
        "meeting_start_at": session.slot_start(slot_index).isoformat(),
        "meeting_minutes": session.meeting_minutes,
        "table": table,
        "table_link": session.table_link(table) or "",
        "agenda_url": external_url("meetings.agenda", occurrence_id=session.occurrence_id),
    }


def send_meeting_mail(
    request: MeetingRequest, *, slot_index: int, table: int, method: str, event: str,
    now: datetime,
) -> None:  # fmt: skip
    """One message per person of the meeting, with its calendar part, into the outbox."""
    occurrence = request.session.occurrence
    for side in (Side.investor, Side.startup):
        recipient, locale = _recipient(request, side)
        if not recipient:
            continue
        calendar = invitation_text(
            meeting_event(request, slot_index=slot_index, table=table, method=method, side=side)
        )
        message = outbox.enqueue(
            key=f"meeting:{request.id}:{side.value}:{method}:{request.calendar_sequence}",
            recipient=recipient,
            locale=locale,
            template=f"meetings/{event}",
            now=now,
            center_id=occurrence.series.center_id,
            occurrence_id=occurrence.id,
            **mail_context(request, slot_index=slot_index, table=table, side=side),
        )
        message.attachments = [
            {
                "filename": "meeting.ics",
                "content_type": f"text/calendar; method={method}",
                "content": calendar,
            }
        ]
