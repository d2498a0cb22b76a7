"""The booking lifecycle: the one place a status changes (checked against
`bookings.models.TRANSITIONS`), new bookings, row locks, and the lookups every use case shares."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_login import AnonymousUserMixin
from sqlalchemy.exc import IntegrityError

from eventhub.accounts.intake import intake_snapshot
from eventhub.accounts.models import StartupProfile, User
from eventhub.bookings.models import (
    ACTIVE,
    SLOT_HOLDING,
    Booking,
    BookingStatus,
    BookingStatusChange,
    can_transition,
)
from eventhub.bookings.services.errors import (
    AlreadyBooked,
    BookingNotFound,
    SlotTaken,
    WrongState,
)
from eventhub.core.transactions import is_postgresql, lock_row
from eventhub.extensions import db
from eventhub.series.models import Occurrence
from eventhub.series.planning import request_planning


def _change(
    booking: Booking,
    to_status: BookingStatus,
    *,
    actor_id: int | None,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Set a status and keep it in the history: who, when, from what, to what, why. The one
    place a status changes through the ORM: a change the lifecycle does not allow is refused,
    and the occurrence's reminders are planned again after the commit."""
    from_status = booking.status if booking.id is not None else None
    if not can_transition(from_status, to_status):
        raise WrongState()
    booking.status = to_status
    _record_change(booking, from_status, to_status, actor_id=actor_id, now=now, reason=reason)


def _conditional_change(
    booking: Booking,
    from_status: BookingStatus,
    to_status: BookingStatus,
    *,
    actor_id: int | None,
    now: datetime,
    reason: str | None = None,
    **values: Any,
) -> bool:
    """The same change as `_change`, decided by the database: one conditional UPDATE that
    only changes the row while it still has `from_status` (the waitlist's promotions, where
    two transactions may race for one startup). False when another transaction changed it."""
    if not can_transition(from_status, to_status):
        raise WrongState()
    table = Booking.__table__
    result = db.session.execute(
        sa.update(table)
        .where(table.c.id == booking.id, table.c.status == from_status.value)
        .values(status=to_status.value, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    db.session.refresh(booking)
    _record_change(booking, from_status, to_status, actor_id=actor_id, now=now, reason=reason)
    return True


def _record_change(
    booking: Booking,
    from_status: BookingStatus | None,
    to_status: BookingStatus,
    *,
    actor_id: int | None,
    now: datetime,
    reason: str | None,
) -> None:
    request_planning(booking.occurrence)
    if from_status in SLOT_HOLDING or to_status in SLOT_HOLDING:
        _mark_lineup_changed(booking.occurrence, now)
    booking.history.append(
        BookingStatusChange(
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            actor_id=actor_id,
            changed_at=now,
        )
    )
    booking.updated_at = now


def _mark_lineup_changed(occurrence: Occurrence, now: datetime) -> None:
    """After the line-up was published, investors see that it changed."""
    if occurrence is not None and occurrence.lineup_published_at is not None:
        occurrence.lineup_changed_at = now


def _new_booking(occurrence: Occurrence, startup: StartupProfile, **fields: Any) -> Booking:
    booking = Booking(
        occurrence=occurrence,
        startup=startup,
        intake_snapshot=intake_snapshot(startup),
        history=[],
        **fields,
    )
    db.session.add(booking)
    return booking


def _flush_or_conflict(*, slot_race: bool = True) -> None:
    """Let the partial unique indexes decide a race, and name the loser's problem."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        text = str(exc.orig)
        if "uq_booking_startup_active" in text or "booking.startup_id" in text:
            raise AlreadyBooked() from exc
        if slot_race and ("uq_booking_slot_holding" in text or "booking.slot_id" in text):
            raise SlotTaken() from exc
        raise


def _lock(booking: Booking) -> Booking:
    if is_postgresql():
        lock_row(Booking, booking.id)
        db.session.refresh(booking)
    return booking


def get_booking(booking_id: int, *, startup: StartupProfile | None = None) -> Booking:
    """A booking by id; another startup's booking looks exactly like a missing one."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or (startup is not None and booking.startup_id != startup.id):
        raise BookingNotFound()
    return booking


def occurrence_bookings(occurrence_id: int) -> list[Booking]:
    """Every booking of an occurrence, in the order they were made."""
    return list(
        db.session.scalars(
            sa.select(Booking).where(Booking.occurrence_id == occurrence_id).order_by(Booking.id)
        )
    )


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


def active_booking_of(occurrence_id: int, startup: StartupProfile) -> Booking | None:
    """The startup's live booking, application or waitlist place for an occurrence."""
    return db.session.scalar(
        sa.select(Booking).where(
            Booking.occurrence_id == occurrence_id,
            Booking.startup_id == startup.id,
            Booking.status.in_(ACTIVE),
        )
    )


def startup_of(user: User | AnonymousUserMixin) -> StartupProfile | None:
    """The startup profile of a signed-in startup user."""
    return getattr(user, "startup_profile", None)
