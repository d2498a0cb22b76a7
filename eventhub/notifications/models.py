"""Reminder rules of a series, people's notification preferences, and announcements."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from eventhub.core.clock import utcnow
from eventhub.core.db import LimitedText, UTCDateTime, enum_column
from eventhub.extensions import db


class Audience(StrEnum):
    startups = "startups"  # startups with a confirmed booking, before their slot
    investors = "investors"  # investors who accepted, before the occurrence
    unanswered = "unanswered"  # invited investors who have not answered yet (a nudge)
    organizers = "organizers"  # the center's organizers: the line-up, before the occurrence
    offer_expiry = "offer_expiry"  # a startup offered a freed slot, before the hold runs out


AUDIENCE_LABELS = {
    Audience.startups: _l("Startups with a confirmed booking (before their slot)"),
    Audience.investors: _l("Investors who accepted"),
    Audience.unanswered: _l("Invited investors without an answer"),
    Audience.organizers: _l("Organizers: the line-up digest"),
    Audience.offer_expiry: _l("Startups holding a waitlist offer (before the hold runs out)"),
}

DAY, HOUR = 24 * 60, 60
# What a new series starts with (minutes before the moment the rule is about).
DEFAULT_RULES: dict[Audience, tuple[int, ...]] = {
    Audience.startups: (7 * DAY, 1 * DAY, 2 * HOUR),
    Audience.investors: (3 * DAY, 1 * DAY),
    Audience.unanswered: (5 * DAY,),
    Audience.organizers: (1 * DAY,),
    Audience.offer_expiry: (3 * HOUR,),
}
MAX_OFFSET_MINUTES = 60 * DAY


def offset_code(minutes: int) -> str:
    """ISO 8601 duration of an offset, as it appears in outbox keys: P7D, PT2H, PT90M."""
    days, rest = divmod(minutes, DAY)
    if not rest:
        return f"P{days}D"
    hours, mins = divmod(minutes, HOUR)
    return f"PT{hours}H" if not mins else f"PT{minutes}M"


class ReminderRule(db.Model):
    """Send the rule's audience a reminder `offset_minutes` before the moment it is about."""

    __tablename__ = "reminder_rule"
    __table_args__ = (
        sa.UniqueConstraint("series_id", "audience", "offset_minutes"),
        sa.CheckConstraint(
            f"offset_minutes > 0 AND offset_minutes <= {MAX_OFFSET_MINUTES}",
            name="offset_in_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event_series.id", ondelete="CASCADE"), index=True
    )
    audience: Mapped[Audience] = mapped_column(enum_column(Audience, "reminder_audience"))
    offset_minutes: Mapped[int]

    @property
    def offset(self) -> timedelta:
        return timedelta(minutes=self.offset_minutes)


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
