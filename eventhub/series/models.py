"""Event series and their dated occurrences."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.audit import Tracked
from eventhub.core.clock import utcnow
from eventhub.core.db import LimitedText, UTCDateTime, enum_column
from eventhub.core.i18n import current_language
from eventhub.extensions import db

if TYPE_CHECKING:
    from eventhub.centers.models import Center


class BookingMode(StrEnum):
    first_come = "first_come"  # a booking is confirmed at once
    application = "application"  # the startup applies; an organizer screens


class WaitlistMode(StrEnum):
    auto_confirm = "auto_confirm"  # a freed slot goes straight to the first in line
    offer = "offer"  # the first in line is offered the slot for a limited time


# What a new series starts with for its slot layout and registration policy: the model's
# defaults, the edit form's and the service's (one place for the numbers).
POLICY_DEFAULTS: dict[str, int] = {
    "session_offset_minutes": 30,
    "slot_minutes": 15,
    "gap_minutes": 0,
    "slot_count": 8,
    "break_minutes": 10,
    "offer_hold_hours": 24,
    "registration_opens_days": 30,
    "registration_closes_hours": 48,
    "cancel_cutoff_hours": 48,
}


class EditScope(StrEnum):
    """Which occurrences an edit of a series applies to."""

    all = "all"  # every occurrence from now on
    following = "following"  # this one and all following: the series splits


class EditAction(StrEnum):
    """What an edit of a series does to one stored future occurrence."""

    kept = "kept"
    moved = "moved"
    removed = "removed"


class SeriesStatus(StrEnum):
    draft = "draft"
    published = "published"
    archived = "archived"


class HolidayPolicy(StrEnum):
    keep = "keep"
    skip = "skip"
    next_business_day = "next_business_day"


class OccurrenceStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


def _localized(obj: object, field: str) -> str:
    ko = getattr(obj, f"{field}_ko") or ""
    en = getattr(obj, f"{field}_en") or ""
    if current_language() == "ko":
        return ko or en
    return en or ko


class EventSeries(db.Model):
    """A recurring investor day: what, where, when (an RFC 5545 RRULE in local time)."""

    __tablename__ = "event_series"
    __audit__ = Tracked(center=lambda series: series.center_id)
    __table_args__ = (
        sa.CheckConstraint(
            "duration_minutes > 0 AND duration_minutes <= 1440", name="duration_within_a_day"
        ),
        sa.CheckConstraint("slug <> ''", name="slug_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(
        sa.ForeignKey("center.id", ondelete="RESTRICT"), index=True
    )
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    title_ko: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(200))
    description_ko: Mapped[str] = mapped_column(LimitedText(10_000), default="")
    description_en: Mapped[str] = mapped_column(LimitedText(10_000), default="")
    # The venue in Korean (venue_name, venue_address) and in English (the _en columns).
    venue_name: Mapped[str | None] = mapped_column(sa.String(200))
    venue_address: Mapped[str | None] = mapped_column(sa.String(300))
    venue_name_en: Mapped[str | None] = mapped_column(sa.String(200))
    venue_address_en: Mapped[str | None] = mapped_column(sa.String(300))
    online_url: Mapped[str | None] = mapped_column(sa.String(500))
    # Wall-clock start in `timezone`; the recurrence is expanded from here.
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Seoul")
    start_date: Mapped[date]
    start_time: Mapped[time]
    duration_minutes: Mapped[int]
    rrule: Mapped[str | None] = mapped_column(LimitedText(1000))
    holiday_policy: Mapped[HolidayPolicy] = mapped_column(
        enum_column(HolidayPolicy, "holiday_policy"), default=HolidayPolicy.keep
    )
    status: Mapped[SeriesStatus] = mapped_column(
        enum_column(SeriesStatus, "series_status"), default=SeriesStatus.draft
    )
    is_public: Mapped[bool] = mapped_column(default=True)
    # Slot layout every occurrence inherits.
    session_offset_minutes: Mapped[int] = mapped_column(
        default=POLICY_DEFAULTS["session_offset_minutes"],
        server_default=sa.text(str(POLICY_DEFAULTS["session_offset_minutes"])),
    )
    slot_minutes: Mapped[int] = mapped_column(
        default=POLICY_DEFAULTS["slot_minutes"],
        server_default=sa.text(str(POLICY_DEFAULTS["slot_minutes"])),
    )
    gap_minutes: Mapped[int] = mapped_column(
        default=POLICY_DEFAULTS["gap_minutes"],
        server_default=sa.text(str(POLICY_DEFAULTS["gap_minutes"])),
    )
    slot_count: Mapped[int] = mapped_column(
        default=POLICY_DEFAULTS["slot_count"],
        server_default=sa.text(str(POLICY_DEFAULTS["slot_count"])),
    )
    break_every: Mapped[int | None]  # a break after every N slots
    break_minutes: Mapped[int] = mapped_column(
        default=POLICY_DEFAULTS["break_minutes"],
        server_default=sa.text(str(POLICY_DEFAULTS["break_minutes"])),
    )
    # Registration policy (an occurrence may override the instants).
    booking_mode: Mapped[BookingMode] = mapped_column(
        enum_column(BookingMode, "booking_mode"),
        default=BookingMode.first_come,
        server_default=BookingMode.first_come.value,
    )
    waitlist_mode: Mapped[WaitlistMode] = mapped_column(
        enum_column(WaitlistMode, "waitlist_mode"),
        default=WaitlistMode.offer,
        server_default=WaitlistMode.offer.value,
    )
    offer_hold_hours: Mapped[int] = mapped_column(
        default=POLICY_DEFAULTS["offer_hold_hours"],
        server_default=sa.text(str(POLICY_DEFAULTS["offer_hold_hours"])),
    )
    registration_opens_days: Mapped[int] = mapped_column(
        default=POLICY_DEFAULTS["registration_opens_days"],
        server_default=sa.text(str(POLICY_DEFAULTS["registration_opens_days"])),
    )
    registration_closes_hours: Mapped[int] = mapped_column(
        default=POLICY_DEFAULTS["registration_closes_hours"],
        server_default=sa.text(str(POLICY_DEFAULTS["registration_closes_hours"])),
    )
    cancel_cutoff_hours: Mapped[int] = mapped_column(
        default=POLICY_DEFAULTS["cancel_cutoff_hours"],
        server_default=sa.text(str(POLICY_DEFAULTS["cancel_cutoff_hours"])),
    )
    # Industry codes allowed to book; NULL or empty means every industry.
    eligible_industries: Mapped[list[str] | None] = mapped_column(sa.JSON)
    # Dates the organizer closes on top of the country's public holidays: {"2026-12-31": "종무식"}.
    extra_holidays: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    # Set on the series that "this and all following" split off from an older one.
    parent_series_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event_series.id", ondelete="SET NULL")
    )
    # The iCalendar SEQUENCE of the series' master event; every edit of the series bumps it.
    sequence: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    # Occurrences exist as rows up to this instant (the rolling horizon).
    materialized_until_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When what calendars show of the master event last changed (its DTSTAMP and LAST-MODIFIED).
    # Unlike `updated_at`, the horizon job and other bookkeeping never move it.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    center: Mapped[Center] = relationship(back_populates="series")
    occurrences: Mapped[list[Occurrence]] = relationship(
        back_populates="series", order_by="Occurrence.start_at"
    )
    skipped: Mapped[list[SkippedOccurrence]] = relationship(
        back_populates="series", order_by="SkippedOccurrence.original_start_at"
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @hybrid_property
    def is_listed(self) -> bool:
        """Shown to the public: on pages and feeds, and open to bookings. The one definition,
        in Python and (as `EventSeries.is_listed`) in SQL."""
        return self.status == SeriesStatus.published and self.is_public

    @is_listed.inplace.expression
    @classmethod
    def _is_listed_expression(cls) -> sa.ColumnElement[bool]:
        return sa.and_(cls.status == SeriesStatus.published, cls.is_public.is_(True))

    @property
    def title(self) -> str:
        return _localized(self, "title")

    @property
    def description(self) -> str:
        return _localized(self, "description")

    def __repr__(self) -> str:
        return f"<EventSeries {self.slug}>"


class Occurrence(db.Model):
    """One dated instance of a series. Its identity is (series, original start)."""

    __tablename__ = "occurrence"
    __audit__ = Tracked(center=lambda occurrence: center_of_series(occurrence.series_id))
    __table_args__ = (
        sa.UniqueConstraint("series_id", "original_start_at"),
        sa.CheckConstraint("end_at > start_at", name="ends_after_start"),
        sa.CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        sa.Index("ix_occurrence_start_at", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event_series.id", ondelete="RESTRICT"), index=True
    )
    # The start the rule gave; it is the RECURRENCE-ID in calendars and never changes.
    original_start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[OccurrenceStatus] = mapped_column(
        enum_column(OccurrenceStatus, "occurrence_status"), default=OccurrenceStatus.scheduled
    )
    cancel_reason: Mapped[str | None] = mapped_column(LimitedText(2000))
    # Per-occurrence overrides; NULL means "as the series says".
    venue_name: Mapped[str | None] = mapped_column(sa.String(200))
    venue_address: Mapped[str | None] = mapped_column(sa.String(300))
    venue_name_en: Mapped[str | None] = mapped_column(sa.String(200))
    venue_address_en: Mapped[str | None] = mapped_column(sa.String(300))
    online_url: Mapped[str | None] = mapped_column(sa.String(500))
    # True once an organizer changed this occurrence on its own (it then survives regeneration).
    is_overridden: Mapped[bool] = mapped_column(default=False)
    # True once the rule no longer produces this date but it was kept (bookings) as a one-off.
    is_detached: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The holiday this date falls on (policy "keep") or was moved away from ("next business day").
    holiday_name: Mapped[str | None] = mapped_column(sa.String(200))
    sequence: Mapped[int] = mapped_column(default=0)
    # Registration overrides for this occurrence; NULL means "as the series says".
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_cutoff_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The line-up shown to accepted and tentative investors once published; a change after
    # publication is marked so that they notice.
    lineup_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lineup_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When what calendars show of this date last changed (an `occurrence_change`); registration
    # windows and line-ups, which feeds of the date do not show, leave it alone.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    series: Mapped[EventSeries] = relationship(back_populates="occurrences")
    changes: Mapped[list[OccurrenceChange]] = relationship(
        back_populates="occurrence",
        order_by="OccurrenceChange.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def tz(self) -> ZoneInfo:
        return self.series.tz

    @property
    def starts_at_local(self) -> datetime:
        return self.start_at.astimezone(self.tz)

    @property
    def ends_at_local(self) -> datetime:
        return self.end_at.astimezone(self.tz)

    @property
    def is_cancelled(self) -> bool:
        return self.status == OccurrenceStatus.cancelled

    @property
    def default_opens_at(self) -> datetime:
        """When registration opens if this occurrence does not say otherwise."""
        return self.start_at - timedelta(days=self.series.registration_opens_days)

    @property
    def default_closes_at(self) -> datetime:
        """When registration closes if this occurrence does not say otherwise."""
        return self.start_at - timedelta(hours=self.series.registration_closes_hours)

    @property
    def opens_at(self) -> datetime:
        """When startups may start to book or apply."""
        return self.registration_opens_at or self.default_opens_at

    @property
    def closes_at(self) -> datetime:
        """When booking and applying end."""
        return self.registration_closes_at or self.default_closes_at

    @property
    def cutoff_at(self) -> datetime:
        """The last moment a startup may cancel or switch its booking."""
        return self.cancel_cutoff_at or self.start_at - timedelta(
            hours=self.series.cancel_cutoff_hours
        )

    def registration_is_open(self, now: datetime) -> bool:
        return self.status == OccurrenceStatus.scheduled and self.opens_at <= now < self.closes_at

    @property
    def original_start_local(self) -> datetime:
        return self.original_start_at.astimezone(self.tz)

    @property
    def is_moved(self) -> bool:
        return self.start_at != self.original_start_at

    @property
    def effective_venue_name(self) -> str | None:
        return self.venue_name or self.series.venue_name

    @property
    def effective_venue_address(self) -> str | None:
        return self.venue_address or self.series.venue_address

    def venue_in(self, locale: str) -> tuple[str | None, str | None]:
        """(name, address) of where this date takes place, in `locale` ("ko" or "en").
        English falls back to Korean where no English is given; an occurrence with a venue
        of its own never borrows the series' English (it would name another place)."""
        own = self.venue_name or self.venue_address
        source = self if own else self.series
        name, address = source.venue_name, source.venue_address
        if locale == "en":
            return (source.venue_name_en or name, source.venue_address_en or address)
        return (name, address)

    def __repr__(self) -> str:
        return f"<Occurrence {self.series_id} {self.start_at.isoformat()}>"


class SkippedOccurrence(db.Model):
    """A date the rule gives but the holiday policy skipped (an EXDATE in calendars)."""

    __tablename__ = "skipped_occurrence"
    __table_args__ = (sa.UniqueConstraint("series_id", "original_start_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event_series.id", ondelete="CASCADE"), index=True
    )
    original_start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    holiday_name: Mapped[str | None] = mapped_column(sa.String(200))

    series: Mapped[EventSeries] = relationship(back_populates="skipped")


class ChangeKind(StrEnum):
    moved = "moved"
    venue_changed = "venue_changed"
    cancelled = "cancelled"
    restored = "restored"
    rescheduled = "rescheduled"  # moved by an edit of the series
    detached = "detached"  # the rule dropped it; kept as a one-off
    removed = "removed"  # the rule dropped it; cancelled
    details_changed = "details_changed"  # the series' title, description or venue changed


class OccurrenceChange(db.Model):
    """A change to one occurrence, for the people concerned to be told (reminders issue)."""

    __tablename__ = "occurrence_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("occurrence.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ChangeKind] = mapped_column(enum_column(ChangeKind, "change_kind"))
    before: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    reason: Mapped[str | None] = mapped_column(LimitedText(2000))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set by the reminders issue once everyone concerned has been told.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    occurrence: Mapped[Occurrence] = relationship(back_populates="changes")


# --- Reminder rules: part of a series' configuration, like its slot layout -----------------


class Audience(StrEnum):
    startups = "startups"  # startups with a confirmed booking, before their slot
    investors = "investors"  # investors who accepted, before the occurrence
    unanswered = "unanswered"  # invited investors who have not answered yet (a nudge)
    organizers = "organizers"  # the center's organizers: the line-up, before the occurrence
    offer_expiry = "offer_expiry"  # a startup offered a freed slot, before the hold runs out
    meetings = "meetings"  # people with published one-to-one meetings, before their first


DAY, HOUR = 24 * 60, 60
# What a new series starts with (minutes before the moment the rule is about).
DEFAULT_RULES: dict[Audience, tuple[int, ...]] = {
    Audience.startups: (7 * DAY, 1 * DAY, 2 * HOUR),
    Audience.investors: (3 * DAY, 1 * DAY),
    Audience.unanswered: (5 * DAY,),
    Audience.organizers: (1 * DAY,),
    Audience.offer_expiry: (3 * HOUR,),
    Audience.meetings: (1 * DAY, 2 * HOUR),
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
    __audit__ = Tracked(center=lambda rule: center_of_series(rule.series_id))
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


class PlanningRequest(db.Model):
    """An occurrence whose reminders must be planned again: a change wrote it, the planner job
    deletes it once it planned from data at least as new (`eventhub.series.planning`)."""

    __tablename__ = "planning_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("occurrence.id", ondelete="CASCADE"), index=True
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)


def center_of_series(series_id: int | None) -> int | None:
    """The center a series belongs to (for audit entries of what hangs off a series)."""
    series = db.session.get(EventSeries, series_id) if series_id is not None else None
    return series.center_id if series is not None else None


def center_of_occurrence(occurrence_id: int | None) -> int | None:
    """The center a date belongs to (for audit entries of slots, bookings, invitations)."""
    occurrence = db.session.get(Occurrence, occurrence_id) if occurrence_id is not None else None
    return center_of_series(occurrence.series_id) if occurrence is not None else None
