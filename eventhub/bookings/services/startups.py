"""What a startup does: book, apply, join the waitlist, cancel, switch, accept an offer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from eventhub.accounts.intake import intake_missing
from eventhub.accounts.models import StartupProfile
from eventhub.bookings.models import (
    ACTIVE,
    CANCELLABLE,
    SLOT_HOLDING,
    Booking,
    BookingStatus,
    PitchSlot,
)
from eventhub.bookings.services.errors import (
    AlreadyBooked,
    CutoffPassed,
    IntakeIncomplete,
    NotEligible,
    NotListed,
    RegistrationClosed,
    SlotNotFound,
    SlotTaken,
    WrongState,
)
from eventhub.bookings.services.lifecycle import (
    _change,
    _flush_or_conflict,
    _lock,
    _new_booking,
)
from eventhub.bookings.services.messages import (
    _notify,
)
from eventhub.bookings.services.slots import (
    _slot_for_update,
    free_slots,
    is_held,
    slots_of,
)
from eventhub.bookings.services.waitlist import (
    fill_freed_slot,
)
from eventhub.centers.industries import industry_label
from eventhub.core.errors import InvalidInput
from eventhub.extensions import db
from eventhub.series.models import BookingMode, Occurrence


def _require_listed(occurrence: Occurrence) -> None:
    """A draft or unlisted date answers every booking route as if it did not exist."""
    if not occurrence.series.is_listed:
        raise NotListed()


def _check_can_register(
    occurrence: Occurrence, startup: StartupProfile, now: datetime, *, look_for_active: bool = True
) -> None:
    """Refuse a registration the date's rules do not allow. `look_for_active=False` leaves "this
    startup already has an active booking here" to the partial unique index at the flush
    (`_flush_or_conflict` answers AlreadyBooked just the same), saving a query where no other
    check comes between (book_slot: the winners of a crowd racing for slots)."""
    if not occurrence.registration_is_open(now):
        raise RegistrationClosed()
    missing = intake_missing(startup)
    if missing:
        raise IntakeIncomplete()
    eligible = occurrence.series.eligible_industries
    if eligible and startup.industry not in eligible:
        raise NotEligible(
            _(
                "This investor day is open to these industries only: %(list)s.",
                list=", ".join(industry_label(code) for code in eligible),
            )
        )
    if not look_for_active:
        return
    active = db.session.scalar(
        sa.select(Booking.id).where(
            Booking.occurrence_id == occurrence.id,
            Booking.startup_id == startup.id,
            Booking.status.in_(ACTIVE),
        )
    )
    if active is not None:
        raise AlreadyBooked()


def book_slot(
    slot: PitchSlot, *, startup: StartupProfile, actor_id: int | None, now: datetime
) -> Booking:
    """Confirm `startup` into `slot` (first come, first served), or raise why not."""
    _require_listed(slot.occurrence)
    if is_held(slot.id):
        # Taken by a booking already committed: answer before queueing for the slot's lock
        # (most of a crowd racing for a few slots ends here).
        raise SlotTaken()
    slot = _slot_for_update(slot.id)
    occurrence = slot.occurrence
    if occurrence.series.booking_mode != BookingMode.first_come:
        raise InvalidInput(_("This investor day takes applications; apply instead."))
    _check_can_register(occurrence, startup, now, look_for_active=False)
    if slot.is_blocked:
        raise InvalidInput(_("This slot is blocked and cannot be booked."))
    # A booking committed while this one waited for the slot's lock is refused by the partial
    # unique index at the flush below (SlotTaken), so no second lookup is needed here.
    booking = _new_booking(occurrence, startup, slot=slot, status=BookingStatus.confirmed)
    _change(booking, BookingStatus.confirmed, actor_id=actor_id, now=now)
    _flush_or_conflict()
    _notify(booking, "confirmed", now=now, method="REQUEST")
    return booking


def apply_for(
    occurrence: Occurrence,
    *,
    startup: StartupProfile,
    preferred_slot_ids: Iterable[int] = (),
    actor_id: int | None,
    now: datetime,
) -> Booking:
    """Apply for an occurrence that screens its startups, optionally naming slots."""
    _require_listed(occurrence)
    if occurrence.series.booking_mode != BookingMode.application:
        raise InvalidInput(_("This investor day books directly; choose a free slot instead."))
    _check_can_register(occurrence, startup, now)
    valid = {s.id for s in slots_of(occurrence.id)}
    preferred = [int(i) for i in preferred_slot_ids]
    if any(i not in valid for i in preferred):
        raise SlotNotFound()
    booking = _new_booking(
        occurrence, startup, status=BookingStatus.applied, preferred_slot_ids=preferred or None
    )
    _change(booking, BookingStatus.applied, actor_id=actor_id, now=now)
    _flush_or_conflict(slot_race=False)
    _notify(booking, "applied", now=now)
    return booking


def join_waitlist(
    occurrence: Occurrence, *, startup: StartupProfile, actor_id: int | None, now: datetime
) -> Booking:
    """Queue for a full occurrence."""
    _require_listed(occurrence)
    _check_can_register(occurrence, startup, now)
    if free_slots(occurrence.id):
        raise InvalidInput(_("There are free slots: book one instead of waiting."))
    booking = _new_booking(occurrence, startup, status=BookingStatus.waitlisted, queued_at=now)
    _change(booking, BookingStatus.waitlisted, actor_id=actor_id, now=now)
    _flush_or_conflict(slot_race=False)
    _notify(booking, "waitlisted", now=now)
    return booking


def cancel_booking(
    booking: Booking,
    *,
    actor_id: int | None,
    now: datetime,
    by_organizer: bool = False,
    reason: str | None = None,
) -> Booking:
    """Cancel a booking, application or waitlist place; a freed slot goes to the waitlist."""
    booking = _lock(booking)
    occurrence = booking.occurrence
    if booking.status not in CANCELLABLE:
        raise WrongState()
    if occurrence.start_at <= now:
        raise WrongState(_("This investor day has started; bookings can no longer be cancelled."))
    if not by_organizer and now >= occurrence.cutoff_at:
        raise CutoffPassed()
    if by_organizer and not (reason or "").strip():
        raise InvalidInput(_("Give a reason; the startup will see it."))
    freed = booking.slot if booking.status in SLOT_HOLDING else None
    _change(booking, BookingStatus.cancelled, actor_id=actor_id, now=now, reason=reason)
    db.session.flush()
    _notify(booking, "cancelled", now=now, method="CANCEL" if freed else None)
    if freed is not None:
        fill_freed_slot(freed, actor_id=actor_id, now=now)
    return booking


def switch_slot(
    booking: Booking,
    new_slot: PitchSlot,
    *,
    actor_id: int | None,
    now: datetime,
    by_organizer: bool = False,
) -> Booking:
    """Move a confirmed booking to another free slot of the same occurrence, atomically:
    the startup holds the new slot, or keeps the old one."""
    booking = _lock(booking)
    new_slot = _slot_for_update(new_slot.id)
    occurrence = booking.occurrence
    if new_slot.occurrence_id != booking.occurrence_id:
        raise SlotNotFound()
    if booking.status != BookingStatus.confirmed:
        raise WrongState()
    if occurrence.start_at <= now:
        raise WrongState(_("This investor day has started; bookings can no longer be changed."))
    if not by_organizer and now >= occurrence.cutoff_at:
        raise CutoffPassed()
    if new_slot.is_blocked:
        raise InvalidInput(_("This slot is blocked and cannot be booked."))
    if new_slot.id == booking.slot_id:
        return booking
    if is_held(new_slot.id):
        raise SlotTaken()
    old_slot = booking.slot
    booking.slot = new_slot
    reason = _(
        "Moved from slot %(old)d to slot %(new)d.", old=old_slot.position, new=new_slot.position
    )
    _change(booking, BookingStatus.confirmed, actor_id=actor_id, now=now, reason=reason)
    _flush_or_conflict()
    _notify(booking, "moved", now=now, method="REQUEST")
    fill_freed_slot(old_slot, actor_id=actor_id, now=now)
    return booking


def accept_offer(booking: Booking, *, actor_id: int | None, now: datetime) -> Booking:
    """Take the slot a waitlist offer holds, before the offer expires."""
    booking = _lock(booking)
    if booking.status != BookingStatus.offered:
        raise WrongState()
    if booking.offer_expires_at is not None and booking.offer_expires_at <= now:
        raise WrongState(_("This offer has expired."))
    booking.offer_expires_at = None
    _change(booking, BookingStatus.confirmed, actor_id=actor_id, now=now)
    db.session.flush()
    _notify(booking, "confirmed", now=now, method="REQUEST")
    return booking


def bookings_of_startup(startup: StartupProfile) -> list[Booking]:
    """Every booking a startup has made, newest first (its "My bookings" page)."""
    query = (
        sa.select(Booking)
        .where(Booking.startup_id == startup.id)
        .options(joinedload(Booking.occurrence))
        .order_by(Booking.id.desc())
    )
    return list(db.session.scalars(query))
