"""Pitch slots: the layout of a date, who holds which slot, the grid pages show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from eventhub.accounts.models import StartupProfile
from eventhub.bookings.models import (
    SLOT_HOLDING,
    Booking,
    BookingStatus,
    PitchSlot,
)
from eventhub.bookings.services.errors import (
    SlotNotFound,
)
from eventhub.core.transactions import is_postgresql
from eventhub.extensions import db
from eventhub.series.models import EventSeries, Occurrence
from eventhub.series.rows import run


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


class SlotRow(NamedTuple):
    """One slot as a date's page shows it, in the date's zone (a tuple, for the templates: see
    `series.rows.DateRow`)."""

    slot_id: int
    position: int
    starts: str  # "14:00"
    ends: str  # "14:10"
    state: str  # SlotState's value
    blocked_reason: str
    booking_id: int | None  # the holding booking
    company: str  # the holder's company ("" when free)
    offered: bool  # the holder was offered the slot from the waitlist and has not answered


# Built once (see `series.rows.run`): slots with the booking that holds each and its company.
_GRID = (
    sa.select(
        PitchSlot.id,
        PitchSlot.position,
        PitchSlot.start_at,
        PitchSlot.end_at,
        PitchSlot.is_blocked,
        PitchSlot.blocked_reason,
        Booking.id.label("booking_id"),
        Booking.status,
        StartupProfile.company_name,
    )
    .outerjoin(Booking, sa.and_(Booking.slot_id == PitchSlot.id, Booking.status.in_(SLOT_HOLDING)))
    .outerjoin(StartupProfile, StartupProfile.id == Booking.startup_id)
    .where(PitchSlot.occurrence_id == sa.bindparam("occurrence_id"))
    .order_by(PitchSlot.start_at, PitchSlot.position)
)


def slot_rows(occurrence_id: int, zone: ZoneInfo) -> tuple[SlotRow, ...]:
    """The slot grid of a date's public page as rows, in one query (the ORM grid, `slot_grid`,
    loaded every slot and booking as objects: most of the date page's cost)."""
    rows = []
    for row in run(_GRID, occurrence_id=occurrence_id):
        if row.is_blocked:
            state = SlotState.blocked
        else:
            state = SlotState.held if row.booking_id is not None else SlotState.free
        rows.append(
            SlotRow(
                slot_id=row.id,
                position=row.position,
                starts=row.start_at.astimezone(zone).strftime("%H:%M"),
                ends=row.end_at.astimezone(zone).strftime("%H:%M"),
                state=state.value,
                blocked_reason=row.blocked_reason or "",
                booking_id=row.booking_id,
                company=row.company_name or "",
                offered=row.status == BookingStatus.offered,
            )
        )
    return tuple(rows)


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
