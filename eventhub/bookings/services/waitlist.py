"""The waitlist: its order, freed slots offered or given to the first in line, offers that
run out."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from eventhub.bookings.models import (
    Booking,
    BookingStatus,
    PitchSlot,
)
from eventhub.bookings.services.lifecycle import (
    _change,
    _conditional_change,
    _flush_or_conflict,
    _lock,
)
from eventhub.bookings.services.messages import (
    _notify,
)
from eventhub.bookings.services.slots import (
    holders,
)
from eventhub.extensions import db
from eventhub.series.models import WaitlistMode


def waitlist(occurrence_id: int) -> list[Booking]:
    """The waitlist in order: carried-over entries first, then by the time they joined."""
    return list(
        db.session.scalars(
            sa.select(Booking)
            .where(
                Booking.occurrence_id == occurrence_id, Booking.status == BookingStatus.waitlisted
            )
            .order_by(Booking.queue_priority, Booking.queued_at, Booking.id)
        )
    )


def waitlist_position(booking: Booking) -> int | None:
    """1 for the first in line; None when not waitlisted."""
    if booking.status != BookingStatus.waitlisted:
        return None
    return [b.id for b in waitlist(booking.occurrence_id)].index(booking.id) + 1


def fill_freed_slot(slot: PitchSlot, *, actor_id: int | None, now: datetime) -> Booking | None:
    """Give a freed slot to the first eligible startup on the waitlist, exactly once.

    One conditional UPDATE per candidate decides: if a concurrent transaction took the same
    startup first, the UPDATE changes no row and the next one in line is tried.
    """
    occurrence = slot.occurrence
    if slot.is_blocked or occurrence.start_at <= now or occurrence.is_cancelled:
        return None
    if holders(occurrence.id).get(slot.id) is not None:
        return None
    series = occurrence.series
    eligible = series.eligible_industries
    offer = series.waitlist_mode == WaitlistMode.offer
    for candidate in waitlist(occurrence.id):
        if eligible and candidate.startup.industry not in eligible:
            continue
        new_status = BookingStatus.offered if offer else BookingStatus.confirmed
        expires = now + timedelta(hours=series.offer_hold_hours) if offer else None
        promoted = _conditional_change(
            candidate,
            BookingStatus.waitlisted,
            new_status,
            actor_id=actor_id,
            now=now,
            reason=_("A slot became free."),
            slot_id=slot.id,
            offer_expires_at=expires,
        )
        if not promoted:
            continue
        _flush_or_conflict()
        _notify(
            candidate, "offered" if offer else "confirmed", now=now,
            method=None if offer else "REQUEST",
        )  # fmt: skip
        return candidate
    return None


def offers_to_expire(*, now: datetime) -> list[int]:
    """The bookings whose waitlist offer ran out by `now`."""
    return list(
        db.session.scalars(
            sa.select(Booking.id)
            .where(Booking.status == BookingStatus.offered, Booking.offer_expires_at <= now)
            .order_by(Booking.offer_expires_at, Booking.id)
        )
    )


def expire_offer(booking_id: int, *, now: datetime) -> bool:
    """Expire one offer whose hold ran out; its slot goes to the next in line. False when it
    was taken or cancelled meanwhile."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        return False
    booking = _lock(booking)
    if booking.status != BookingStatus.offered or booking.offer_expires_at > now:
        return False
    slot = booking.slot
    _change(booking, BookingStatus.expired, actor_id=None, now=now,
            reason=_("The offer was not taken in time."))  # fmt: skip
    db.session.flush()
    _notify(booking, "expired", now=now)
    fill_freed_slot(slot, actor_id=None, now=now)
    return True
