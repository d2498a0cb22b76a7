"""Calendar invitations (RFC 5546 iTIP over email) built with the icalendar library.

The calendar feeds (calendar issue) build on the same UIDs: a startup's booking is the event
``booking-<id>@<domain>`` in their invitation emails and in their personal feed alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, Parameters, vCalAddress, vText, vUri

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


def occurrence_uid(occurrence_id: int) -> str:
    """The UID of one occurrence as a single event: in personal feeds, in single-event
    downloads and in investors' emailed invitations alike."""
    return f"occurrence-{occurrence_id}@{uid_domain()}"


@dataclass(frozen=True)
class Invitation:
    """What one emailed iTIP event says. The areas fill it from their models (bookings from a
    booking, invitations from an investor's invitation); this module only writes it."""

    method: str  # REQUEST or CANCEL
    uid: str
    sequence: int
    stamp: datetime
    start: datetime
    end: datetime
    summary: str
    location: str
    url: str
    organizer_email: str
    organizer_name: str
    attendee: vCalAddress | None


def attendee(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name)
    address.params["role"] = vText("REQ-PARTICIPANT")
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def invitation_text(invitation: Invitation) -> str:
    """A one-event iTIP calendar object (RFC 5546)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", invitation.method)
    event = Event()
    event.add("uid", invitation.uid)
    event.add("sequence", invitation.sequence)
    event.add("dtstamp", invitation.stamp)
    event.add("dtstart", invitation.start)
    event.add("dtend", invitation.end)
    event.add("summary", SafeText(clean(invitation.summary)))
    if invitation.location:
        event.add("location", SafeText(clean(invitation.location)))
    event.add("url", invitation.url)
    event.add("status", "CANCELLED" if invitation.method == "CANCEL" else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{invitation.organizer_email}")
    organizer.params["cn"] = vText(invitation.organizer_name)
    event.add("organizer", organizer)
    if invitation.attendee is not None:
        event.add("attendee", invitation.attendee)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
