"""Pitch slots, bookings, and the history of every booking's status."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.clock import utcnow
from eventhub.core.db import LimitedText, UTCDateTime, enum_column
from eventhub.extensions import db

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


class BookingMode(StrEnum):
    first_come = "first_come"  # a booking is confirmed at once
    application = "application"  # the startup applies; an organizer screens


class WaitlistMode(StrEnum):
    auto_confirm = "auto_confirm"  # a freed slot goes straight to the first in line
    offer = "offer"  # the first in line is offered the slot for a limited time


# A booking in one of these holds its slot; at most one per slot.
SLOT_HOLDING = ("confirmed", "offered", "attended", "no_show")
# A booking in one of these is the startup's live claim on the occurrence; at most one each.
ACTIVE = ("applied", "approved", "confirmed", "offered", "waitlisted", "attended", "no_show")


def _in_list(column: str, values: tuple[str, ...]) -> sa.TextClause:
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.text(f"{column} IN ({quoted})")


class PitchSlot(db.Model):
    """A time window inside an occurrence that one startup can hold."""

    __tablename__ = "pitch_slot"
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
            "status NOT IN ('confirmed', 'offered', 'attended', 'no_show') OR slot_id IS NOT NULL",
            name="holding_needs_slot",
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    occurrence: Mapped[Occurrence] = relationship()
    slot: Mapped[PitchSlot | None] = relationship()
    startup: Mapped[StartupProfile] = relationship()
    history: Mapped[list[BookingStatusChange]] = relationship(
        back_populates="booking", order_by="BookingStatusChange.id"
    )


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
