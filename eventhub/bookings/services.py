"""Booking queries and changes that other areas need (the booking flows come next)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa

from eventhub.bookings.models import ACTIVE, Booking, PitchSlot
from eventhub.extensions import db


def active_booking_counts(occurrence_ids: Iterable[int]) -> dict[int, int]:
    """How many active bookings (applied, confirmed, waitlisted...) each occurrence has."""
    ids = list(occurrence_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Booking.occurrence_id, sa.func.count())
        .where(Booking.occurrence_id.in_(ids), Booking.status.in_(ACTIVE))
        .group_by(Booking.occurrence_id)
    )
    return dict(rows.tuples().all())


def has_any_booking(occurrence_id: int) -> bool:
    """True when any booking, whatever its status, refers to the occurrence."""
    return (
        db.session.scalar(sa.select(Booking.id).where(Booking.occurrence_id == occurrence_id))
        is not None
    )


def shift_slots(occurrence_id: int, delta: timedelta) -> None:
    """Move every pitch slot of an occurrence by `delta`, keeping the layout."""
    if not delta:
        return
    for slot in db.session.scalars(
        sa.select(PitchSlot).where(PitchSlot.occurrence_id == occurrence_id)
    ):
        slot.start_at += delta
        slot.end_at += delta
