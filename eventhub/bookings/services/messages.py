"""The messages a booking sends: what their templates show, and the outbox rows with their
calendar part, written in the transaction of the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventhub.bookings.models import (
    Booking,
)
from eventhub.bookings.services.slots import (
    slot_grid,
)
from eventhub.core import outbox
from eventhub.core.ics import attendee, booking_uid, invitation_text
from eventhub.core.urls import external_url
from eventhub.series.mail import occurrence_invitation, occurrence_mail_context
from eventhub.series.models import Occurrence


def booking_context(booking: Booking) -> dict[str, Any]:
    """What the booking and reminder templates show about a booking."""
    return {
        **occurrence_mail_context(booking.occurrence),
        "booking_id": booking.id,
        "company": booking.startup.company_name,
        "slot_start_at": booking.slot.start_at.isoformat() if booking.slot else "",
        "slot_end_at": booking.slot.end_at.isoformat() if booking.slot else "",
        "offer_expires_at": (
            booking.offer_expires_at.isoformat() if booking.offer_expires_at else ""
        ),
        "bookings_url": external_url("pages.my_bookings"),
    }


def booking_invitation(booking: Booking, *, method: str) -> str:
    """A METHOD:REQUEST (or CANCEL) calendar object for a startup's pitch slot."""
    occurrence, startup = booking.occurrence, booking.startup
    series = occurrence.series
    email = startup.mail_address or ""
    slot = booking.slot
    assert slot is not None  # only a booking that holds a slot is sent an invitation
    return invitation_text(
        occurrence_invitation(
            occurrence,
            method=method,
            uid=booking_uid(booking.id),
            sequence=booking.calendar_sequence,
            stamp=booking.updated_at,
            start=slot.start_at,
            end=slot.end_at,
            summary=f"{series.title_ko} / {series.title_en} — {startup.company_name}",
            attendee=(
                attendee(email, startup.company_name, partstat="ACCEPTED") if email else None
            ),
            locale=startup.mail_locale,
        )
    )


def _notify(
    booking: Booking,
    event: str,
    *,
    now: datetime,
    method: str | None = None,
    key: str | None = None,
) -> None:
    """Write the message about `event` into the outbox, with a calendar part if it has one.
    (Reminders follow through the planning request the status change made.)"""
    occurrence = booking.occurrence
    recipient = booking.startup.mail_address
    if not recipient:
        return
    # Built before the row is added, so that the row is inserted once, calendar part included
    # (building it may load rows, and a load flushes what is pending).
    calendar = (
        booking_invitation(booking, method=method)
        if method is not None and booking.slot is not None
        else None
    )
    message = outbox.enqueue(
        key=key or f"booking:{booking.id}:{event}:{len(booking.history)}",
        recipient=recipient,
        locale=booking.startup.mail_locale,
        template=f"bookings/{event}",
        now=now,
        center_id=occurrence.series.center_id,
        occurrence_id=occurrence.id,
        **booking_context(booking),
        reason=(
            occurrence.cancel_reason or ""
            if event == "occurrence_cancelled"
            else (booking.history[-1].reason or "" if booking.history else "")
        ),
    )
    if calendar is not None:
        message.attachments = [
            {
                "filename": "invite.ics",
                "content_type": f"text/calendar; method={method}",
                "content": calendar,
            }
        ]


def notify_occurrence_change(
    occurrence: Occurrence, *, method: str, change_id: int, now: datetime
) -> int:
    """Send every startup holding a slot the updated invitation (REQUEST) or the cancellation."""
    sent = 0
    for view in slot_grid(occurrence.id):
        booking = view.booking
        if booking is None:
            continue
        event = "occurrence_cancelled" if method == "CANCEL" else "occurrence_changed"
        _notify(
            booking,
            event,
            now=now,
            method=method,
            key=f"occurrence-change:{change_id}:booking:{booking.id}",
        )
        sent += 1
    return sent
