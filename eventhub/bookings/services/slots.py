"""Pitch slots: the layout of a date, who holds which slot, the grid pages show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa

from eventhub.bookings.models import (
    SLOT_HOLDING,
    Booking,
    PitchSlot,
)
from eventhub.bookings.services.errors import (
    SlotNotFound,
)
from eventhub.core.transactions import is_postgresql
from eventhub.extensions import db
from eventhub.series.models import EventSeries, Occurrence


class SlotState(StrEnum):
    free = "free"
    held = "held"  # a startup holds it (confirmed, offered, attended or no-show)
    blocked = "blocked"


def layout_times(occurrence: Occurrence) -> list[tuple[datetime, datetime]]:
    """The slot windows the series' layout gives for an occurrence."""
    series = occurrence.series
    start = occurrence.start_at + timedelta(minutes=series.session_offset_minutes)
    windows = []
    for index in range(series.slot_count):
        end = start + timedelta(minutes=series.slot_minutes)
        windows.append((start, end))
        start = end + timedelta(minutes=series.gap_minutes)
        if series.break_every and (index + 1) % series.break_every == 0:
            start += timedelta(minutes=series.break_minutes)
    return windows


def create_slots(occurrence: Occurrence) -> list[PitchSlot]:
    """Give a new occurrence the slots of its series' layout."""
    slots = [
        PitchSlot(occurrence=occurrence, position=i, start_at=start, end_at=end)
        for i, (start, end) in enumerate(layout_times(occurrence), start=1)
    ]
    db.session.add_all(slots)
    return slots


def slots_of(occurrence_id: int) -> list[PitchSlot]:
    return list(
        db.session.scalars(
            sa.select(PitchSlot)
            .where(PitchSlot.occurrence_id == occurrence_id)
            .order_by(PitchSlot.start_at, PitchSlot.position)
        )
    )


def holders(occurrence_id: int) -> dict[int, Booking]:
    """slot id -> the booking that holds it."""
    rows = db.session.scalars(
        sa.select(Booking).where(
            Booking.occurrence_id == occurrence_id, Booking.status.in_(SLOT_HOLDING)
        )
    )
    return {b.slot_id: b for b in rows}


def is_held(slot_id: int) -> bool:
    """Whether a booking holds the slot (one indexed lookup)."""
    return (
        db.session.scalar(
            sa.select(Booking.id).where(
                Booking.slot_id == slot_id, Booking.status.in_(SLOT_HOLDING)
            )
        )
        is not None
    )


def taken_on_listed_date(occurrence_id: int, slot_id: int) -> bool:
    """Whether the slot is one of a listed date's and a booking holds it, in one indexed query
    that loads nothing: most of a crowd racing for a few slots is answered here, before the
    slot, its date and its series are loaded (docs/booking.md, "Contention"). Anything else
    (a missing slot, a draft date, a free slot) is for the full path to decide."""
    holding = sa.exists().where(Booking.slot_id == slot_id, Booking.status.in_(SLOT_HOLDING))
    query = (
        sa.select(PitchSlot.id)
        .join(Occurrence, Occurrence.id == PitchSlot.occurrence_id)
        .join(EventSeries, EventSeries.id == Occurrence.series_id)
        .where(
            PitchSlot.id == slot_id,
            PitchSlot.occurrence_id == occurrence_id,
            EventSeries.is_listed,
            holding,
        )
    )
    return db.session.connection().execute(query).first() is not None


@dataclass
class SlotView:
    slot: PitchSlot
    booking: Booking | None

    @property
    def state(self) -> SlotState:
        if self.slot.is_blocked:
            return SlotState.blocked
        return SlotState.held if self.booking else SlotState.free


def slot_grid(occurrence_id: int) -> list[SlotView]:
    held = holders(occurrence_id)
    return [SlotView(slot, held.get(slot.id)) for slot in slots_of(occurrence_id)]


def free_slots(occurrence_id: int) -> list[PitchSlot]:
    return [v.slot for v in slot_grid(occurrence_id) if v.state == SlotState.free]


def shift_slots(occurrence_id: int, delta: timedelta) -> None:
    """Move every pitch slot of an occurrence by `delta`, keeping the layout."""
    if not delta:
        return
    for slot in slots_of(occurrence_id):
        slot.start_at += delta
        slot.end_at += delta


def _slot_for_update(slot_id: int) -> PitchSlot:
    query = sa.select(PitchSlot).where(PitchSlot.id == slot_id)
    if is_postgresql():
        query = query.with_for_update()
    slot = db.session.scalar(query)
    if slot is None:
        raise SlotNotFound()
    return slot
