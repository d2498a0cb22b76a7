"""The figures centers report, each one SQL aggregate (GROUP BY), never a loop over rows.

Months and quarters are local to the center's zone: PostgreSQL converts with AT TIME ZONE;
SQLite shifts by the zone's offset now (exact for Asia/Seoul, which has no daylight saving).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from eventhub.bookings.models import APPLICATIONS, SLOT_HOLDING, Booking, BookingStatus, PitchSlot
from eventhub.centers.models import Center
from eventhub.core.forms import FIRST_DATE, LAST_DATE
from eventhub.extensions import db
from eventhub.invitations.models import FollowUp, Invitation, Outcome, OutcomeKind, RsvpStatus
from eventhub.series.models import EventSeries, Occurrence, OccurrenceStatus

HELD = (OccurrenceStatus.scheduled,)  # a date that was not cancelled took place once it ended


def _is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def _local_text(column: sa.ColumnElement, tz: str, pg_format: str, sqlite_format: str):
    """An instant column as local text (a month, a quarter) in SQL."""
    if _is_postgresql():
        return sa.func.to_char(sa.func.timezone(tz, column), pg_format)
    offset = ZoneInfo(tz).utcoffset(datetime.now(ZoneInfo(tz)))
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return sa.func.strftime(sqlite_format, column, f"{minutes:+d} minutes")


def month_of(column: sa.ColumnElement, tz: str):
    return _local_text(column, tz, "YYYY-MM", "%Y-%m")


def quarter_of_date(column: sa.ColumnElement):
    """'2026-Q4' for a DATE column."""
    if _is_postgresql():
        return sa.func.to_char(column, 'YYYY-"Q"Q')
    month = sa.cast(sa.func.strftime("%m", column), sa.Integer)
    return sa.func.strftime("%Y", column) + "-Q" + sa.cast((month + 2) // 3, sa.String)


def quarter_of(column: sa.ColumnElement, tz: str):
    """'2026-Q4' for an instant, in the zone `tz`."""
    if _is_postgresql():
        return sa.func.to_char(sa.func.timezone(tz, column), 'YYYY-"Q"Q')
    month = sa.cast(_local_text(column, tz, "", "%m"), sa.Integer)
    return _local_text(column, tz, "", "%Y") + "-Q" + sa.cast((month + 2) // 3, sa.String)


@dataclass
class UpcomingDate:
    occurrence_id: int
    start_at: datetime
    series_title_ko: str
    series_title_en: str
    timezone: str
    slots: int = 0
    held: int = 0
    applications: int = 0
    waitlist: int = 0
    rsvp: dict[str, int] = field(default_factory=dict)

    @property
    def fill_percent(self) -> int:
        return round(100 * self.held / self.slots) if self.slots else 0


def upcoming_dates(center_id: int, *, now: datetime, limit: int = 6) -> list[UpcomingDate]:
    """The center's next dates with slot fill, applications, waitlist and RSVP counts."""
    rows = db.session.execute(
        sa.select(
            Occurrence.id,
            Occurrence.start_at,
            EventSeries.title_ko,
            EventSeries.title_en,
            EventSeries.timezone,
        )
        .join(EventSeries, Occurrence.series_id == EventSeries.id)
        .where(
            EventSeries.center_id == center_id,
            Occurrence.start_at > now,
            Occurrence.status == OccurrenceStatus.scheduled,
        )
        .order_by(Occurrence.start_at, Occurrence.id)
        .limit(limit)
    ).all()
    dates = {row[0]: UpcomingDate(*row) for row in rows}
    if not dates:
        return []
    ids = list(dates)
    slot_counts = db.session.execute(
        sa.select(PitchSlot.occurrence_id, sa.func.count())
        .where(PitchSlot.occurrence_id.in_(ids), PitchSlot.is_blocked.is_(False))
        .group_by(PitchSlot.occurrence_id)
    )
    for occurrence_id, count in slot_counts:
        dates[occurrence_id].slots = count
    booking_counts = db.session.execute(
        sa.select(Booking.occurrence_id, Booking.status, sa.func.count())
        .where(Booking.occurrence_id.in_(ids))
        .group_by(Booking.occurrence_id, Booking.status)
    )
    for occurrence_id, status, count in booking_counts:
        entry = dates[occurrence_id]
        if status in SLOT_HOLDING:
            entry.held += count
        elif status in APPLICATIONS:
            entry.applications += count
        elif status == BookingStatus.waitlisted:
            entry.waitlist += count
    rsvp_counts = db.session.execute(
        sa.select(Invitation.occurrence_id, Invitation.status, sa.func.count())
        .where(Invitation.occurrence_id.in_(ids))
        .group_by(Invitation.occurrence_id, Invitation.status)
    )
    for occurrence_id, status, count in rsvp_counts:
        dates[occurrence_id].rsvp[RsvpStatus(status).value] = count
    return list(dates.values())


@dataclass
class SeriesMonth:
    series_id: int
    title_ko: str
    title_en: str
    month: str
    booked: int = 0
    attended: int = 0
    no_show: int = 0


def series_over_time(center_id: int, *, tz: str) -> list[SeriesMonth]:
    """Per series and local month of its dates: slot bookings, attended, no-shows."""
    month = month_of(Occurrence.start_at, tz).label("month")
    rows = db.session.execute(
        sa.select(
            EventSeries.id,
            EventSeries.title_ko,
            EventSeries.title_en,
            month,
            sa.func.count(Booking.id),
            sa.func.count(Booking.id).filter(Booking.status == BookingStatus.attended),
            sa.func.count(Booking.id).filter(Booking.status == BookingStatus.no_show),
        )
        .join(Occurrence, Occurrence.series_id == EventSeries.id)
        .join(Booking, Booking.occurrence_id == Occurrence.id)
        .where(EventSeries.center_id == center_id, Booking.status.in_(SLOT_HOLDING))
        .group_by(EventSeries.id, EventSeries.title_ko, EventSeries.title_en, month)
        .order_by(EventSeries.id, month)
    )
    return [SeriesMonth(*row) for row in rows]


@dataclass
class QuarterOutcome:
    quarter: str
    follow_ups: int = 0
    companies_raised: int = 0
    krw_raised: int = 0


def outcomes_by_quarter(center_id: int, *, tz: str) -> list[QuarterOutcome]:
    """Per quarter: follow-up requests (when made) and investments (when they happened):
    how many companies raised and how much."""
    quarters: dict[str, QuarterOutcome] = {}
    follow_quarter = quarter_of(FollowUp.created_at, tz).label("quarter")
    follow_ups = db.session.execute(
        sa.select(follow_quarter, sa.func.count(FollowUp.id))
        .join(Occurrence, FollowUp.occurrence_id == Occurrence.id)
        .join(EventSeries, Occurrence.series_id == EventSeries.id)
        .where(EventSeries.center_id == center_id)
        .group_by(follow_quarter)
    )
    for quarter, count in follow_ups:
        quarters.setdefault(quarter, QuarterOutcome(quarter)).follow_ups = count
    raised_quarter = quarter_of_date(Outcome.happened_on).label("quarter")
    raised = db.session.execute(
        sa.select(
            raised_quarter,
            sa.func.count(sa.distinct(Outcome.startup_id)),
            sa.func.coalesce(sa.func.sum(Outcome.amount_krw), 0),
        )
        .join(Occurrence, Outcome.occurrence_id == Occurrence.id)
        .join(EventSeries, Occurrence.series_id == EventSeries.id)
        .where(EventSeries.center_id == center_id, Outcome.kind == OutcomeKind.investment)
        .group_by(raised_quarter)
    )
    for quarter, companies, krw in raised:
        entry = quarters.setdefault(quarter, QuarterOutcome(quarter))
        entry.companies_raised, entry.krw_raised = companies, int(krw)
    return [quarters[key] for key in sorted(quarters)]


def raised_totals(center_id: int) -> tuple[int, int]:
    """Companies that raised (each counted once) and KRW raised after the center's days."""
    companies, krw = db.session.execute(
        sa.select(
            sa.func.count(sa.distinct(Outcome.startup_id)),
            sa.func.coalesce(sa.func.sum(Outcome.amount_krw), 0),
        )
        .join(Occurrence, Outcome.occurrence_id == Occurrence.id)
        .join(EventSeries, Occurrence.series_id == EventSeries.id)
        .where(EventSeries.center_id == center_id, Outcome.kind == OutcomeKind.investment)
    ).one()
    return companies, int(krw)


@dataclass
class CenterFigures:
    center_id: int
    slug: str
    name_ko: str
    name_en: str
    days_held: int = 0
    attended: int = 0
    no_show: int = 0
    follow_ups: int = 0
    companies_raised: int = 0
    krw_raised: int = 0


@dataclass
class Totals:
    companies: int
    krw: int
    days: int
    centers: int


def national_figures(
    *, now: datetime, only_public: bool = False
) -> tuple[list[CenterFigures], Totals]:
    """Every center side by side, and the totals in the report's form ("N companies raised X
    through M investor days at K centers"). Companies are counted once across centers."""
    query = sa.select(Center.id, Center.slug, Center.name_ko, Center.name_en).order_by(Center.id)
    if only_public:
        query = query.where(Center.shows_public_summary.is_(True))
    figures = {row[0]: CenterFigures(*row) for row in db.session.execute(query)}
    ids = list(figures)
    in_scope = EventSeries.center_id.in_(ids)
    held = Occurrence.status.in_(HELD) & (Occurrence.end_at <= now)
    days = db.session.execute(
        sa.select(EventSeries.center_id, sa.func.count(Occurrence.id))
        .join(Occurrence, Occurrence.series_id == EventSeries.id)
        .where(in_scope, held)
        .group_by(EventSeries.center_id)
    )
    for center_id, count in days:
        figures[center_id].days_held = count
    attendance = db.session.execute(
        sa.select(
            EventSeries.center_id,
            sa.func.count(Booking.id).filter(Booking.status == BookingStatus.attended),
            sa.func.count(Booking.id).filter(Booking.status == BookingStatus.no_show),
        )
        .join(Occurrence, Occurrence.series_id == EventSeries.id)
        .join(Booking, Booking.occurrence_id == Occurrence.id)
        .where(in_scope)
        .group_by(EventSeries.center_id)
    )
    for center_id, attended, no_show in attendance:
        figures[center_id].attended, figures[center_id].no_show = attended, no_show
    follow_ups = db.session.execute(
        sa.select(EventSeries.center_id, sa.func.count(FollowUp.id))
        .join(Occurrence, Occurrence.series_id == EventSeries.id)
        .join(FollowUp, FollowUp.occurrence_id == Occurrence.id)
        .where(in_scope)
        .group_by(EventSeries.center_id)
    )
    for center_id, count in follow_ups:
        figures[center_id].follow_ups = count
    investment = (Outcome.kind == OutcomeKind.investment) & in_scope
    raised = db.session.execute(
        sa.select(
            EventSeries.center_id,
            sa.func.count(sa.distinct(Outcome.startup_id)),
            sa.func.coalesce(sa.func.sum(Outcome.amount_krw), 0),
        )
        .join(Occurrence, Outcome.occurrence_id == Occurrence.id)
        .join(EventSeries, Occurrence.series_id == EventSeries.id)
        .where(investment)
        .group_by(EventSeries.center_id)
    )
    for center_id, companies, krw in raised:
        figures[center_id].companies_raised, figures[center_id].krw_raised = companies, int(krw)
    companies, krw = db.session.execute(
        sa.select(
            sa.func.count(sa.distinct(Outcome.startup_id)),
            sa.func.coalesce(sa.func.sum(Outcome.amount_krw), 0),
        )
        .join(Occurrence, Outcome.occurrence_id == Occurrence.id)
        .join(EventSeries, Occurrence.series_id == EventSeries.id)
        .where(investment)
    ).one()
    rows = list(figures.values())
    totals = Totals(
        companies=companies,
        krw=int(krw),
        days=sum(f.days_held for f in rows),
        centers=sum(1 for f in rows if f.days_held),
    )
    return rows, totals


def quarter_bounds(quarter: str) -> tuple[date, date] | None:
    """'2026-Q4' -> (2026-10-01, 2027-01-01); None when it is not a quarter."""
    year, _, number = quarter.partition("-Q")
    if not (
        year.isascii() and year.isdigit() and len(year) == 4 and number in {"1", "2", "3", "4"}
    ):
        return None
    if not FIRST_DATE.year <= int(year) <= LAST_DATE.year:
        return None  # 0000 and 9999-Q4 have no first or next day
    first_month = 3 * (int(number) - 1) + 1
    start = date(int(year), first_month, 1)
    end = date(int(year) + 1, 1, 1) if number == "4" else date(int(year), first_month + 3, 1)
    return start, end
