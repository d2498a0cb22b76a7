"""Calendar invitations (RFC 5546 iTIP over email) built with the icalendar library.

The calendar feeds (calendar issue) build on the same UIDs: a startup's booking is the event
``booking-<id>@<domain>`` in their invitation emails and in their personal feed alike.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from eventhub.core.urls import external_url

PRODID = "-//EventHub//Investor days//EN"


def uid_domain() -> str:
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "eventhub"


def booking_uid(booking_id: int) -> str:
    return f"booking-{booking_id}@{uid_domain()}"


def booking_sequence(booking: Any) -> int:
    """Every change of the booking, and every change of its occurrence, is a new version."""
    return len(booking.history) + booking.occurrence.sequence


def booking_invitation(booking: Any, *, method: str) -> str:
    """A METHOD:REQUEST (or CANCEL) calendar object for a startup's pitch slot."""
    occurrence = booking.occurrence
    series = occurrence.series
    slot = booking.slot
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", booking_uid(booking.id))
    event.add("sequence", booking_sequence(booking))
    event.add("dtstamp", booking.updated_at)
    event.add("dtstart", slot.start_at)
    event.add("dtend", slot.end_at)
    event.add("summary", f"{series.title_ko} / {series.title_en} — {booking.startup.company_name}")
    venue = ", ".join(
        part
        for part in (occurrence.effective_venue_name, occurrence.effective_venue_address)
        if part
    )
    if venue:
        event.add("location", venue)
    event.add("url", external_url("series.occurrence", occurrence_id=occurrence.id))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    contact = series.center.contact_email or current_app.config["MAIL_DEFAULT_SENDER"]
    organizer = vCalAddress(f"mailto:{contact}")
    organizer.params["cn"] = vText(series.center.name_en)
    event.add("organizer", organizer)
    email = booking.startup.contact_email or (
        booking.startup.user.email if booking.startup.user else ""
    )
    if email:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = vText(booking.startup.company_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("ACCEPTED")
        event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def occurrence_invitation(invitation: Any, *, method: str) -> str:
    """A METHOD:REQUEST (or CANCEL) for an investor's invitation to one occurrence.

    Its UID is the UID of the occurrence's event in the investor's personal feed, so calendars
    merge the two instead of showing the day twice.
    """
    occurrence = invitation.occurrence
    series = occurrence.series
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"occurrence-{occurrence.id}@{uid_domain()}")
    event.add("sequence", occurrence.sequence)
    event.add("dtstamp", occurrence.updated_at)
    event.add("dtstart", occurrence.start_at)
    event.add("dtend", occurrence.end_at)
    event.add("summary", f"{series.title_ko} / {series.title_en}")
    venue = ", ".join(
        part
        for part in (occurrence.effective_venue_name, occurrence.effective_venue_address)
        if part
    )
    if venue:
        event.add("location", venue)
    event.add("url", external_url("series.occurrence", occurrence_id=occurrence.id))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    contact = series.center.contact_email or current_app.config["MAIL_DEFAULT_SENDER"]
    organizer = vCalAddress(f"mailto:{contact}")
    organizer.params["cn"] = vText(series.center.name_en)
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{invitation.investor.email}")
    attendee.params["cn"] = vText(invitation.investor.person_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["rsvp"] = vText("TRUE")
    attendee.params["partstat"] = vText(
        {"accepted": "ACCEPTED", "tentative": "TENTATIVE", "declined": "DECLINED"}.get(
            invitation.status.value, "NEEDS-ACTION"
        )
    )
    event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
