"""What organizers change about a date's slots: add, remove, block, unblock, shift."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from eventhub.bookings.models import (
    Booking,
    PitchSlot,
)
from eventhub.bookings.services.slots import (
    _slot_for_update,
    holders,
    shift_slots,
    slots_of,
)
from eventhub.bookings.services.waitlist import (
    fill_freed_slot,
)
from eventhub.core import audit
from eventhub.core.errors import Conflict, InvalidInput
from eventhub.core.transactions import lock_row
from eventhub.extensions import db
from eventhub.series.models import Occurrence
from eventhub.series.planning import request_planning


def add_slot(occurrence: Occurrence, *, actor_id: int | None, now: datetime) -> PitchSlot:
    """Add a slot after the last one, as long as the layout's slots are. The date's row is
    locked first: two additions at once would both take the next position (a 500 on its
    unique key); the second now waits and comes after."""
    lock_row(Occurrence, occurrence.id)
    slots = slots_of(occurrence.id)
    series = occurrence.series
    length = timedelta(minutes=series.slot_minutes)
    start = (
        slots[-1].end_at + timedelta(minutes=series.gap_minutes)
        if slots
        else (occurrence.start_at + timedelta(minutes=series.session_offset_minutes))
    )
    position = max((s.position for s in slots), default=0) + 1
    slot = PitchSlot(
        occurrence=occurrence, position=position, start_at=start, end_at=start + length
    )
    db.session.add(slot)
    db.session.flush()
    audit.record("slot.added", obj=slot, actor_id=actor_id, now=now, center_id=series.center_id)
    fill_freed_slot(slot, actor_id=actor_id, now=now)
    return slot


def remove_slot(slot: PitchSlot, *, actor_id: int | None, now: datetime) -> None:
    """Remove a slot that nobody holds (move its startup first)."""
    slot = _slot_for_update(slot.id)
    if holders(slot.occurrence_id).get(slot.id) is not None:
        raise Conflict(_("A startup holds this slot. Move it to another slot first."))
    if db.session.scalar(sa.select(Booking.id).where(Booking.slot_id == slot.id)) is not None:
        # History refers to the slot: keep it, blocked, instead of deleting.
        slot.is_blocked, slot.blocked_reason = True, _("Removed")
    else:
        db.session.delete(slot)
    audit.record(
        "slot.removed", obj=slot, actor_id=actor_id, now=now,
        center_id=slot.occurrence.series.center_id,
    )  # fmt: skip


def block_slot(slot: PitchSlot, *, reason: str, actor_id: int | None, now: datetime) -> None:
    """Block a free slot with a reason (a break, a sponsor talk)."""
    slot = _slot_for_update(slot.id)
    if not reason.strip():
        raise InvalidInput(_("Give a reason for blocking the slot."))
    if holders(slot.occurrence_id).get(slot.id) is not None:
        raise Conflict(_("A startup holds this slot. Move it to another slot first."))
    slot.is_blocked, slot.blocked_reason = True, reason.strip()
    audit.record("slot.blocked", obj=slot, actor_id=actor_id, now=now, reason=reason)


def unblock_slot(slot: PitchSlot, *, actor_id: int | None, now: datetime) -> None:
    slot = _slot_for_update(slot.id)
    slot.is_blocked, slot.blocked_reason = False, None
    audit.record("slot.unblocked", obj=slot, actor_id=actor_id, now=now)
    fill_freed_slot(slot, actor_id=actor_id, now=now)


def shift_session(
    occurrence: Occurrence, *, minutes: int, actor_id: int | None, now: datetime
) -> None:
    """Move the whole pitch session by `minutes`; it must stay inside the occurrence."""
    slots = slots_of(occurrence.id)
    if not slots or not minutes:
        return
    delta = timedelta(minutes=minutes)
    if (
        slots[0].start_at + delta < occurrence.start_at
        or slots[-1].end_at + delta > occurrence.end_at
    ):
        raise InvalidInput(_("The pitch session must stay within the event's time."))
    shift_slots(occurrence.id, delta)
    request_planning(occurrence.id)
    audit.record("slots.shifted", obj=occurrence, actor_id=actor_id, now=now, minutes=minutes)
