"""Center and organizer membership."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.audit import Tracked
from eventhub.core.clock import utcnow
from eventhub.core.db import UTCDateTime
from eventhub.core.i18n import current_language
from eventhub.extensions import db

if TYPE_CHECKING:
    from eventhub.accounts.models import User
    from eventhub.series.models import EventSeries


class Center(db.Model):
    __tablename__ = "center"
    __audit__ = Tracked(center=lambda center: center.id)
    __table_args__ = (
        sa.CheckConstraint("slug <> ''", name="slug_not_empty"),
        sa.CheckConstraint("length(country_code) = 2", name="country_code_two_letters"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name_ko: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    region_ko: Mapped[str] = mapped_column(sa.String(50))
    region_en: Mapped[str] = mapped_column(sa.String(50))
    partner_company_ko: Mapped[str] = mapped_column(sa.String(100))
    partner_company_en: Mapped[str] = mapped_column(sa.String(100))
    # Industry codes from eventhub.centers.industries.INDUSTRIES.
    industries: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Seoul")
    country_code: Mapped[str] = mapped_column(sa.String(2), default="KR")
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(30))
    # An https:// address of the center's logo image (shown on its pages and reports).
    logo_url: Mapped[str | None] = mapped_column(sa.String(500))
    # The center chose to show its figures on the public summary page.
    shows_public_summary: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Made by `eventhub seed-demo`: shown as demo data on the admin screens.
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organizers: Mapped[list[User]] = relationship(
        secondary="organizer_membership", back_populates="centers", viewonly=True
    )
    series: Mapped[list[EventSeries]] = relationship(back_populates="center")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def name(self) -> str:
        return self.name_ko if current_language() == "ko" else self.name_en

    @property
    def region(self) -> str:
        return self.region_ko if current_language() == "ko" else self.region_en

    @property
    def partner_company(self) -> str:
        return self.partner_company_ko if current_language() == "ko" else self.partner_company_en

    def __repr__(self) -> str:
        return f"<Center {self.slug}>"


class OrganizerMembership(db.Model):
    """An organizer belongs to one or more centers and organizes only those."""

    __tablename__ = "organizer_membership"
    __audit__ = Tracked(center=lambda membership: membership.center_id)

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    center_id: Mapped[int] = mapped_column(
        sa.ForeignKey("center.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
