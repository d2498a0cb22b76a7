"""Invitations of investors to occurrences, with their RSVP answer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.clock import utcnow
from eventhub.core.db import UTCDateTime, enum_column
from eventhub.extensions import db

if TYPE_CHECKING:
    from eventhub.accounts.models import InvestorProfile
    from eventhub.series.models import Occurrence


class RsvpStatus(StrEnum):
    pending = "pending"  # invited, no answer yet
    accepted = "accepted"
    tentative = "tentative"
    declined = "declined"


class Invitation(db.Model):
    __tablename__ = "invitation"
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

    occurrence: Mapped[Occurrence] = relationship()
    investor: Mapped[InvestorProfile] = relationship()
