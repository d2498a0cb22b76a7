"""What organizers decide about applications and waitlist places: approve, reject, carry over
to the next date, and attendance on the day."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from eventhub.bookings.models import (
    APPLICATIONS,
    ATTENDANCE,
    SCREENABLE,
    Booking,
    BookingStatus,
    PitchSlot,
)
from eventhub.bookings.services.errors import (
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
    holders,
)
from eventhub.bookings.services.waitlist import (
    fill_freed_slot,
)
from eventhub.core.errors import InvalidInput
from eventhub.extensions import db
from eventhub.series.models import Occurrence, OccurrenceStatus


def approve(
    booking: Booking, *, slot: PitchSlot | None, actor_id: int | None, now: datetime
) -> Booking:
    """Accept an application, into a slot or (without one) as approved and waiting."""
    booking = _lock(booking)
    if booking.status not in SCREENABLE:
        raise WrongState()
    booking.screened_at, booking.screened_by_id = now, actor_id
    if slot is None:
        _change(booking, BookingStatus.approved, actor_id=actor_id, now=now)
        db.session.flush()
        _notify(booking, "approved", now=now)
        return booking
    slot = _slot_for_update(slot.id)
    if slot.occurrence_id != booking.occurrence_id:
        raise SlotNotFound()
    if slot.is_blocked:
        raise InvalidInput(_("This slot is blocked and cannot be booked."))
    if holders(booking.occurrence_id).get(slot.id) is not None:
        raise SlotTaken()
    booking.slot = slot
    _change(booking, BookingStatus.confirmed, actor_id=actor_id, now=now)
    _flush_or_conflict()
    _notify(booking, "confirmed", now=now, method="REQUEST")
    return booking


def reject(booking: Booking, *, reason: str, actor_id: int | None, now: datetime) -> Booking:
    """Turn an application down with a reason the startup sees."""
    booking = _lock(booking)
    if booking.status not in SCREENABLE:
        raise WrongState()
    if not reason.strip():
        raise InvalidInput(_("Give a reason; the startup will see it."))
    booking.screened_at, booking.screened_by_id = now, actor_id
    _change(booking, BookingStatus.rejected, actor_id=actor_id, now=now, reason=reason.strip())
    db.session.flush()
    _notify(booking, "rejected", now=now)
    return booking


def waitlist_application(booking: Booking, *, actor_id: int | None, now: datetime) -> Booking:
    """Put an application on the waitlist, queued by when it applied."""
    booking = _lock(booking)
    if booking.status not in APPLICATIONS:
        raise WrongState()
    booking.screened_at, booking.screened_by_id = now, actor_id
    booking.queued_at = booking.queued_at or booking.created_at
    _change(booking, BookingStatus.waitlisted, actor_id=actor_id, now=now)
    db.session.flush()
    _notify(booking, "waitlisted", now=now)
    return booking


def score_application(booking: Booking, *, score: int | None, note: str) -> Booking:
    """Keep the organizers' score (1 to 5, or none) and note on an application."""
    if score is not None and not 1 <= score <= 5:
        raise InvalidInput(_("A score is a whole number from 1 to 5."))
    booking.screening_score = score
    booking.screening_note = note.strip() or None
    db.session.flush()
    return booking


BULK_VERBS = ("approve", "reject", "waitlist")


def screen_many(
    bookings: list[Booking],
    *,
    verb: str,
    reason: str,
    actor_id: int | None,
    now: datetime,
) -> int:
    """Approve (each into its first free preferred slot, else without a slot), reject or
    waitlist several applications at once; all or none (a refusal undoes the batch)."""
    if verb not in BULK_VERBS:
        raise InvalidInput(_("Choose what to do with the selected applications."))
    if not bookings:
        raise InvalidInput(_("Select at least one application."))
    if verb == "reject" and not reason.strip():
        raise InvalidInput(_("Give a reason; the startup will see it."))
    for booking in bookings:
        if verb == "approve":
            approve(booking, slot=preferred_free_slot(booking), actor_id=actor_id, now=now)
        elif verb == "reject":
            reject(booking, reason=reason, actor_id=actor_id, now=now)
        else:
            waitlist_application(booking, actor_id=actor_id, now=now)
    return len(bookings)


def preferred_free_slot(booking: Booking) -> PitchSlot | None:
    """The first slot the startup preferred that is still free, or None."""
    free = {slot.id: slot for slot in free_slots(booking.occurrence_id)}
    for slot_id in booking.preferred_slot_ids or ():
        if slot_id in free:
            return free[slot_id]
    return None


def mark_attendance(
    booking: Booking, *, attended: bool, actor_id: int | None, now: datetime
) -> Booking:
    """After the event started: attended or no-show."""
    booking = _lock(booking)
    if booking.occurrence.start_at > now:
        raise InvalidInput(_("Attendance can be marked once the event has started."))
    if booking.status not in (BookingStatus.confirmed, *ATTENDANCE):
        raise WrongState()
    target = BookingStatus.attended if attended else BookingStatus.no_show
    if booking.status != target:
        _change(booking, target, actor_id=actor_id, now=now)
    return booking


def carry_over(booking: Booking, *, actor_id: int | None, now: datetime) -> Booking:
    """Move an approved application or a waitlist place to the next occurrence of the series,
    with its screening kept and its place at the head of that waitlist."""
    booking = _lock(booking)
    if booking.status not in SCREENABLE:
        raise WrongState()
    current = booking.occurrence
    following = db.session.scalar(
        sa.select(Occurrence)
        .where(
            Occurrence.series_id == current.series_id,
            Occurrence.start_at > max(current.start_at, now),
            Occurrence.status == OccurrenceStatus.scheduled,
        )
        .order_by(Occurrence.start_at)
    )
    if following is None:
        raise InvalidInput(_("This series has no next occurrence to carry the application to."))
    to_day = following.starts_at_local.strftime("%Y-%m-%d")
    reason = _("Carried over to %(date)s.", date=to_day)
    _change(booking, BookingStatus.carried_over, actor_id=actor_id, now=now, reason=reason)
    db.session.flush()
    new = _new_booking(
        following,
        booking.startup,
        status=BookingStatus.waitlisted,
        queue_priority=0,
        queued_at=booking.queued_at or booking.created_at,
        screened_at=booking.screened_at,
        screened_by_id=booking.screened_by_id,
        carried_from_id=booking.id,
        preferred_slot_ids=None,
    )
    new.intake_snapshot = dict(booking.intake_snapshot or {})
    reason = _("Carried over from %(date)s.", date=current.starts_at_local.strftime("%Y-%m-%d"))
    _change(new, BookingStatus.waitlisted, actor_id=actor_id, now=now, reason=reason)
    _flush_or_conflict(slot_race=False)
    _notify(new, "carried_over", now=now)
    free = free_slots(following.id)
    if free:
        fill_freed_slot(free[0], actor_id=actor_id, now=now)
    return new
