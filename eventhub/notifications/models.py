"""People's notification preferences and announcements (a series' reminder rules are
series configuration: `eventhub.series.models.ReminderRule`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from eventhub.core.clock import utcnow
from eventhub.core.db import LimitedText, UTCDateTime
from eventhub.extensions import db
from eventhub.series.models import Audience

AUDIENCE_LABELS = {
    Audience.startups: _l("Startups with a confirmed booking (before their slot)"),
    Audience.investors: _l("Investors who accepted"),
    Audience.unanswered: _l("Invited investors without an answer"),
    Audience.organizers: _l("Organizers: the line-up digest"),
    Audience.offer_expiry: _l("Startups holding a waitlist offer (before the hold runs out)"),
    Audience.meetings: _l(
        "Investors and startups with published one-to-one meetings (before their first one)"
    ),
}


class NotificationPreference(db.Model):
    """What one email address wants to receive; by address, so people without an account
    (directory investors, a startup's contact) can choose too."""

    __tablename__ = "notification_preference"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    reminders_enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnnouncementAudience(StrEnum):
    startups = "startups"  # confirmed startups
    investors = "investors"  # accepted investors
    waitlist = "waitlist"  # startups on the waitlist (and holding an offer)


ANNOUNCEMENT_AUDIENCE_LABELS = {
    AnnouncementAudience.startups: _l("Confirmed startups"),
    AnnouncementAudience.investors: _l("Investors who accepted"),
    AnnouncementAudience.waitlist: _l("Startups on the waitlist"),
}


class Announcement(db.Model):
    """An organizer's message to the people of one occurrence."""

    __tablename__ = "announcement"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("occurrence.id", ondelete="CASCADE"), index=True
    )
    subject_ko: Mapped[str] = mapped_column(sa.String(200))
    body_ko: Mapped[str] = mapped_column(LimitedText(10_000))
    subject_en: Mapped[str] = mapped_column(sa.String(200))
    body_en: Mapped[str] = mapped_column(LimitedText(10_000))
    audiences: Mapped[list[str]] = mapped_column(sa.JSON)
    recipient_count: Mapped[int] = mapped_column(default=0)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
