"""Pitch slots, bookings, and the history of every booking's status."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.audit import Tracked
from eventhub.core.clock import utcnow
from eventhub.core.db import LimitedText, UTCDateTime, enum_column
from eventhub.extensions import db
from eventhub.series.models import center_of_occurrence

if TYPE_CHECKING:
    from eventhub.accounts.models import StartupProfile
    from eventhub.series.models import Occurrence


class BookingStatus(StrEnum):
    applied = "applied"  # applied, waiting for screening
    approved = "approved"  # screened and accepted, waiting for a slot
    confirmed = "confirmed"  # holds its slot
    offered = "offered"  # a freed slot is held for it until the offer expires
    waitlisted = "waitlisted"
    cancelled = "cancelled"
    rejected = "rejected"
    expired = "expired"  # an offer that was not taken in time
    carried_over = "carried_over"  # moved on to the next occurrence of the series
    attended = "attended"
    no_show = "no_show"


S = BookingStatus

# The booking lifecycle, written once: from a status (None: a new booking) to the statuses it
# may take. `eventhub.bookings.services` refuses every other change with `WrongState`.
TRANSITIONS: dict[BookingStatus | None, frozenset[BookingStatus]] = {
    None: frozenset({S.applied, S.confirmed, S.waitlisted}),
    # The screening desk may put an application on the waitlist (in the order it applied).
    S.applied: frozenset(
        {S.approved, S.confirmed, S.rejected, S.cancelled, S.carried_over, S.waitlisted}
    ),
    S.approved: frozenset(
        {S.approved, S.confirmed, S.rejected, S.cancelled, S.carried_over, S.waitlisted}
    ),
    S.waitlisted: frozenset(
        {S.approved, S.confirmed, S.offered, S.rejected, S.cancelled, S.carried_over}
    ),
    S.offered: frozenset({S.confirmed, S.expired, S.cancelled}),
    # confirmed -> confirmed is a move to another slot, kept in the history.
    S.confirmed: frozenset({S.confirmed, S.cancelled, S.attended, S.no_show}),
    S.attended: frozenset({S.no_show}),
    S.no_show: frozenset({S.attended}),
    S.cancelled: frozenset(),
    S.rejected: frozenset(),
    S.expired: frozenset(),
    S.carried_over: frozenset(),
}


def can_transition(from_status: BookingStatus | None, to_status: BookingStatus) -> bool:
    return to_status in TRANSITIONS[from_status]


# Status groups; the partial unique indexes and the CHECK below are generated from them.
# A booking in one of these holds its slot; at most one per slot.
SLOT_HOLDING: tuple[BookingStatus, ...] = (S.confirmed, S.offered, S.attended, S.no_show)
# A booking in one of these is the startup's live claim on the occurrence; at most one each.
ACTIVE: tuple[BookingStatus, ...] = (
    S.applied, S.approved, S.confirmed, S.offered, S.waitlisted, S.attended, S.no_show,
)  # fmt: skip
# Active, and still open to the startup's own cancellation (the day has not been marked).
CANCELLABLE: tuple[BookingStatus, ...] = (
    S.applied, S.approved, S.confirmed, S.offered, S.waitlisted,
)  # fmt: skip
# The day happened: attendance is marked.
ATTENDANCE: tuple[BookingStatus, ...] = (S.attended, S.no_show)
# Applications the organizers still have to decide on (the screening list).
APPLICATIONS: tuple[BookingStatus, ...] = (S.applied, S.approved)
# Waiting for the organizers' decision: applications and waitlist places.
SCREENABLE: tuple[BookingStatus, ...] = (S.applied, S.approved, S.waitlisted)


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _in_list(column: str, values: tuple[str, ...]) -> sa.TextClause:
    return sa.text(f"{column} IN ({_quoted(values)})")


class PitchSlot(db.Model):
    """A time window inside an occurrence that one startup can hold."""

    __tablename__ = "pitch_slot"
    __audit__ = Tracked(center=lambda slot: center_of_occurrence(slot.occurrence_id))
    __table_args__ = (
        sa.UniqueConstraint("occurrence_id", "position"),
        sa.CheckConstraint("end_at > start_at", name="ends_after_start"),
        sa.CheckConstraint("position >= 1", name="position_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("occurrence.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    is_blocked: Mapped[bool] = mapped_column(default=False)
    blocked_reason: Mapped[str | None] = mapped_column(sa.String(300))

    occurrence: Mapped[Occurrence] = relationship()


class Booking(db.Model):
    """A startup's hold on a slot, or its application or waitlist place for an occurrence."""

    __tablename__ = "booking"
    __audit__ = Tracked(center=lambda booking: center_of_occurrence(booking.occurrence_id))
    __table_args__ = (
        sa.Index(
            "uq_booking_slot_holding",
            "slot_id",
            unique=True,
            sqlite_where=_in_list("status", SLOT_HOLDING),
            postgresql_where=_in_list("status", SLOT_HOLDING),
        ),
        sa.Index(
            "uq_booking_startup_active",
            "occurrence_id",
            "startup_id",
            unique=True,
            sqlite_where=_in_list("status", ACTIVE),
            postgresql_where=_in_list("status", ACTIVE),
        ),
        sa.CheckConstraint(
            f"status NOT IN ({_quoted(SLOT_HOLDING)}) OR slot_id IS NOT NULL",
            name="holding_needs_slot",
        ),
        sa.CheckConstraint(
            "screening_score IS NULL OR (screening_score >= 1 AND screening_score <= 5)",
            name="screening_score_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("occurrence.id", ondelete="RESTRICT"), index=True
    )
    slot_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("pitch_slot.id", ondelete="RESTRICT"), index=True
    )
    startup_id: Mapped[int] = mapped_column(
        sa.ForeignKey("startup_profile.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[BookingStatus] = mapped_column(enum_column(BookingStatus, "booking_status"))
    # The intake answers as they were when the booking was made.
    intake_snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Waitlist order: lower priority first (carried-over entries get 0), then queued_at, id.
    queue_priority: Mapped[int] = mapped_column(default=100, server_default=sa.text("100"))
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Application mode: the slots the startup would like, in order.
    preferred_slot_ids: Mapped[list[int] | None] = mapped_column(sa.JSON)
    screened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    screened_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    carried_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("booking.id", ondelete="SET NULL")
    )
    # The screening desk: the organizers' score (1 to 5) and note; the startup never sees them.
    screening_score: Mapped[int | None]
    screening_note: Mapped[str | None] = mapped_column(LimitedText(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    occurrence: Mapped[Occurrence] = relationship()
    slot: Mapped[PitchSlot | None] = relationship()
    startup: Mapped[StartupProfile] = relationship()
    history: Mapped[list[BookingStatusChange]] = relationship(
        back_populates="booking", order_by="BookingStatusChange.id"
    )

    @property
    def calendar_sequence(self) -> int:
        """The iCalendar SEQUENCE of the booking's event (emails and the personal feed alike):
        every change of the booking, and every change of its occurrence, is a new version."""
        return len(self.history) + self.occurrence.sequence


class BookingStatusChange(db.Model):
    """Who moved a booking from which status to which, when and why."""

    __tablename__ = "booking_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        sa.ForeignKey("booking.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[BookingStatus | None] = mapped_column(
        enum_column(BookingStatus, "from_status")
    )
    to_status: Mapped[BookingStatus] = mapped_column(enum_column(BookingStatus, "to_status"))
    reason: Mapped[str | None] = mapped_column(LimitedText(2000))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    booking: Mapped[Booking] = relationship(back_populates="history")
