"""Calendar invitations (RFC 5546 iTIP over email) built with the icalendar library.

The calendar feeds (calendar issue) build on the same UIDs: a startup's booking is the event
``booking-<id>@<domain>`` in their invitation emails and in their personal feed alike.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, Parameters, vCalAddress, vText, vUri

from eventhub.core.urls import external_url

PRODID = "-//EventHub//Investor days//EN"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Lone surrogates and private-use code points have no meaning in a calendar.
_UNPRINTABLE = re.compile("[\ud800-\udfff\ue000-\uf8ff]")


NO_PARAMETERS = Parameters()


class SafeText(vText):
    """TEXT escaped exactly as RFC 5545 §3.3.11 says.

    icalendar reads a literal backslash-N in the input as a newline escape, so a title
    ``C:\\New`` would come back as ``C:`` + newline + ``ew``. This escapes the backslash first
    and nothing else, so every parser reads back what was typed.
    """

    __slots__ = ()

    def __new__(cls, value: str, *args: Any, **kwargs: Any) -> SafeText:
        # vText builds a fresh Parameters mapping per value, the dearest step of building a
        # large feed; our text properties have no parameters, so they share one empty mapping.
        self = str.__new__(cls, value)
        self.encoding = "utf-8"
        self.params = NO_PARAMETERS
        return self

    def to_ical(self) -> bytes:
        text = str(self)
        return (
            text.replace("\\", "\\\\")
            .replace(";", "\\;")
            .replace(",", "\\,")
            .replace("\r\n", "\\n")
            .replace("\n", "\\n")
            .replace("\r", "\\n")
            .encode("utf-8")
        )


class PlainUri(vUri):
    """A URI we built ourselves (a link back to a page), sharing one empty parameter mapping
    as SafeText does. Like vUri it refuses line breaks, which would end the property."""

    __slots__ = ()

    def __new__(cls, value: str, *args: Any, **kwargs: Any) -> PlainUri:
        if "\r" in value or "\n" in value:
            raise ValueError(f"A URI value may not contain CR or LF characters: {value!r}")
        self = str.__new__(cls, value)
        self.params = NO_PARAMETERS
        return self


def clean(text: str | None) -> str:
    """Text a person typed, without the control characters iCalendar forbids (NUL, ESC, DEL,
    C1) and with Unicode line and paragraph separators turned into plain newlines."""
    text = (text or "").replace("\u2028", "\n").replace("\u2029", "\n")
    text = _CONTROL.sub("", text)
    return _UNPRINTABLE.sub("", text)


def uid_domain() -> str:
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "eventhub"


def booking_uid(booking_id: int) -> str:
    return f"booking-{booking_id}@{uid_domain()}"


def booking_sequence(booking: Any) -> int:
    """Every change of the booking, and every change of its occurrence, is a new version."""
    return len(booking.history) + booking.occurrence.sequence


def occurrence_uid(occurrence: Any) -> str:
    """The UID of one occurrence as a single event: in personal feeds, in single-event
    downloads and in investors' emailed invitations alike."""
    return f"occurrence-{occurrence.id}@{uid_domain()}"


def _invitation(
    *,
    method: str,
    occurrence: Any,
    uid: str,
    sequence: int,
    stamp: Any,
    start: Any,
    end: Any,
    summary: str,
    attendee: vCalAddress | None,
) -> str:
    """A one-event iTIP calendar object (RFC 5546) from the occurrence's center."""
    series = occurrence.series
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", SafeText(clean(summary)))
    venue = ", ".join(
        part
        for part in (occurrence.effective_venue_name, occurrence.effective_venue_address)
        if part
    )
    if venue:
        event.add("location", SafeText(clean(venue)))
    event.add("url", external_url("series.occurrence", occurrence_id=occurrence.id))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    contact = series.center.contact_email or current_app.config["MAIL_DEFAULT_SENDER"]
    organizer = vCalAddress(f"mailto:{contact}")
    organizer.params["cn"] = vText(series.center.name_en)
    event.add("organizer", organizer)
    if attendee is not None:
        event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def _attendee(email: str, name: str, **params: str) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{email}")
    attendee.params["cn"] = vText(name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    for key, value in params.items():
        attendee.params[key] = vText(value)
    return attendee


def booking_invitation(booking: Any, *, method: str) -> str:
    """A METHOD:REQUEST (or CANCEL) calendar object for a startup's pitch slot."""
    occurrence, startup = booking.occurrence, booking.startup
    series = occurrence.series
    email = startup.mail_address or ""
    return _invitation(
        method=method,
        occurrence=occurrence,
        uid=booking_uid(booking.id),
        sequence=booking_sequence(booking),
        stamp=booking.updated_at,
        start=booking.slot.start_at,
        end=booking.slot.end_at,
        summary=f"{series.title_ko} / {series.title_en} — {startup.company_name}",
        attendee=_attendee(email, startup.company_name, partstat="ACCEPTED") if email else None,
    )


PARTSTAT = {"accepted": "ACCEPTED", "tentative": "TENTATIVE", "declined": "DECLINED"}


def occurrence_invitation(invitation: Any, *, method: str) -> str:
    """A METHOD:REQUEST (or CANCEL) for an investor's invitation to one occurrence.

    Its UID is the UID of the occurrence's event in the investor's personal feed, so calendars
    merge the two instead of showing the day twice.
    """
    occurrence, investor = invitation.occurrence, invitation.investor
    series = occurrence.series
    return _invitation(
        method=method,
        occurrence=occurrence,
        uid=occurrence_uid(occurrence),
        sequence=occurrence.sequence,
        stamp=occurrence.updated_at,
        start=occurrence.start_at,
        end=occurrence.end_at,
        summary=f"{series.title_ko} / {series.title_en}",
        attendee=_attendee(
            investor.email,
            investor.person_name,
            rsvp="TRUE",
            partstat=PARTSTAT.get(invitation.status.value, "NEEDS-ACTION"),
        ),
    )
