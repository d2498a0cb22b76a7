"""Invitations of investors to occurrences, with their RSVP answer."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.audit import Tracked
from eventhub.core.clock import utcnow
from eventhub.core.db import LimitedText, UTCDateTime, enum_column
from eventhub.extensions import db
from eventhub.series.models import center_of_occurrence

if TYPE_CHECKING:
    from eventhub.accounts.models import InvestorProfile, StartupProfile
    from eventhub.series.models import Occurrence


class RsvpStatus(StrEnum):
    pending = "pending"  # invited, no answer yet
    accepted = "accepted"
    tentative = "tentative"
    declined = "declined"


class Invitation(db.Model):
    __tablename__ = "invitation"
    __audit__ = Tracked(
        center=lambda invitation: center_of_occurrence(invitation.occurrence_id),
        secret=frozenset({"token_nonce"}),
    )
    __table_args__ = (sa.UniqueConstraint("occurrence_id", "investor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("occurrence.id", ondelete="RESTRICT"), index=True
    )
    investor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investor_profile.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[RsvpStatus] = mapped_column(
        enum_column(RsvpStatus, "rsvp_status"), default=RsvpStatus.pending
    )
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every RSVP token: a new nonce makes the old links stop working.
    token_nonce: Mapped[str] = mapped_column(sa.String(32), default="", server_default="")
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    nudge_count: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))

    occurrence: Mapped[Occurrence] = relationship()
    investor: Mapped[InvestorProfile] = relationship()


class FollowUp(db.Model):
    """An investor who attended wants to meet a startup again."""

    __tablename__ = "follow_up"
    __audit__ = Tracked(center=lambda follow_up: center_of_occurrence(follow_up.occurrence_id))
    __table_args__ = (sa.UniqueConstraint("occurrence_id", "investor_id", "startup_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("occurrence.id", ondelete="RESTRICT"), index=True
    )
    investor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investor_profile.id", ondelete="CASCADE"), index=True
    )
    startup_id: Mapped[int] = mapped_column(
        sa.ForeignKey("startup_profile.id", ondelete="CASCADE"), index=True
    )
    note: Mapped[str | None] = mapped_column(LimitedText(1000))
    # The startup sees the firm's name only when the investor allows it.
    share_with_startup: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    investor: Mapped[InvestorProfile] = relationship()
    startup: Mapped[StartupProfile] = relationship()


class OutcomeKind(StrEnum):
    meeting = "meeting"
    term_sheet = "term_sheet"
    investment = "investment"


class Outcome(db.Model):
    """What came of an investor day: a meeting, a term sheet, an investment (KRW)."""

    __tablename__ = "outcome"
    __audit__ = Tracked(center=lambda outcome: center_of_occurrence(outcome.occurrence_id))
    __table_args__ = (
        sa.CheckConstraint("amount_krw IS NULL OR amount_krw >= 0", name="amount_not_negative"),
        sa.CheckConstraint(
            "kind <> 'investment' OR amount_krw IS NOT NULL", name="investment_has_amount"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("occurrence.id", ondelete="SET NULL"), index=True
    )
    investor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investor_profile.id", ondelete="RESTRICT"), index=True
    )
    startup_id: Mapped[int] = mapped_column(
        sa.ForeignKey("startup_profile.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[OutcomeKind] = mapped_column(enum_column(OutcomeKind, "outcome_kind"))
    amount_krw: Mapped[int | None] = mapped_column(sa.BigInteger)
    happened_on: Mapped[date]
    note: Mapped[str | None] = mapped_column(LimitedText(1000))
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    investor: Mapped[InvestorProfile] = relationship()
    startup: Mapped[StartupProfile] = relationship()
