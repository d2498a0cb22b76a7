"""What the composed pages ask of several areas at once: the home page's list of dates (search,
industry, month, paging) and its month calendar, and a founder's next step."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from eventhub.centers.models import Center
from eventhub.extensions import db
from eventhub.series.models import EventSeries, Occurrence

# The home page's calendar and month filter count days in Seoul, where every center is.
HOME_ZONE = ZoneInfo("Asia/Seoul")


@dataclass(frozen=True)
class DatePage:
    """One page of upcoming dates, and the days of `month` that have any (for the calendar)."""

    items: list[Occurrence]
    total: int
    page: int
    per_page: int
    month: date
    busy_days: dict[date, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _month_bounds(month: date) -> tuple[datetime, datetime]:
    first = datetime(month.year, month.month, 1, tzinfo=HOME_ZONE)
    nxt = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=HOME_ZONE)
    return first.astimezone(UTC), nxt.astimezone(UTC)


def may_apply(eligible: list[str] | None, industry: str) -> bool:
    """A series open to no industry in particular (NULL or empty) takes every industry."""
    return not eligible or industry in eligible


def find_dates(
    *,
    now: datetime,
    page: int = 1,
    per_page: int = 20,
    center_id: int | None = None,
    industry: str | None = None,
    month: date | None = None,
    search: str = "",
) -> DatePage:
    """Upcoming listed dates, soonest first, in two queries whatever the page size: a light one
    over the matching dates (id, start, eligible industries) that counts, pages and fills the
    calendar, then the page's dates with their series and center."""
    light = (
        sa.select(Occurrence.id, Occurrence.start_at, EventSeries.eligible_industries)
        .join(Occurrence.series)
        .join(EventSeries.center)
        .where(Occurrence.end_at >= now, EventSeries.is_listed)
        .order_by(Occurrence.start_at, Occurrence.id)
    )
    if center_id is not None:
        light = light.where(EventSeries.center_id == center_id)
    if month is not None:
        start, end = _month_bounds(month)
        light = light.where(Occurrence.start_at >= start, Occurrence.start_at < end)
    words = search.split()
    for word in words[:5]:
        # The words are searched for as they are: LIKE's own wildcards are dropped from them.
        plain = word.replace("\\", "").replace("%", "").replace("_", "")
        pattern = f"%{plain}%"
        light = light.where(
            sa.or_(
                EventSeries.title_ko.ilike(pattern),
                EventSeries.title_en.ilike(pattern),
                Center.name_ko.ilike(pattern),
                Center.name_en.ilike(pattern),
                Center.region_ko.ilike(pattern),
                Center.region_en.ilike(pattern),
                Center.partner_company_ko.ilike(pattern),
                Center.partner_company_en.ilike(pattern),
            )
        )
    rows = [
        (row.id, row.start_at)
        for row in db.session.execute(light)
        # Eligible industries are a short JSON list: filtered here, the same on both backends.
        if industry is None or may_apply(row.eligible_industries, industry)
    ]
    shown_month = month or now.astimezone(HOME_ZONE).date().replace(day=1)
    busy: dict[date, int] = {}
    for _id, start_at in rows:
        day = start_at.astimezone(HOME_ZONE).date()
        if (day.year, day.month) == (shown_month.year, shown_month.month):
            busy[day] = busy.get(day, 0) + 1
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(page, 1), pages)
    ids = [occurrence_id for occurrence_id, _ in rows[(page - 1) * per_page : page * per_page]]
    items: list[Occurrence] = []
    if ids:
        loaded = db.session.scalars(
            sa.select(Occurrence)
            .where(Occurrence.id.in_(ids))
            .options(joinedload(Occurrence.series).joinedload(EventSeries.center))
        ).all()
        by_id = {occurrence.id: occurrence for occurrence in loaded}
        items = [by_id[i] for i in ids]
    return DatePage(
        items=items,
        total=len(rows),
        page=page,
        per_page=per_page,
        month=shown_month,
        busy_days=busy,
    )


def month_weeks(month: date) -> list[list[date | None]]:
    """The weeks of `month`, Monday first, with None for the days of the months around it."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    return [[day if day.month == month.month else None for day in week] for week in weeks]


def upcoming_by_center(
    center_ids: list[int], *, now: datetime, per_center: int = 8
) -> dict[int, list[Occurrence]]:
    """The next dates of every series of these centers, listed or not (organizers see their
    drafts' dates too), at most `per_center` each, in one query."""
    if not center_ids:
        return {}
    found: dict[int, list[Occurrence]] = {center_id: [] for center_id in center_ids}
    query = (
        sa.select(Occurrence)
        .join(Occurrence.series)
        .where(EventSeries.center_id.in_(center_ids), Occurrence.end_at >= now)
        .options(joinedload(Occurrence.series).joinedload(EventSeries.center))
        .order_by(Occurrence.start_at, Occurrence.id)
        .limit(per_center * len(center_ids) * 4)
    )
    for occurrence in db.session.scalars(query):
        dates = found[occurrence.series.center_id]
        if len(dates) < per_center:
            dates.append(occurrence)
    return found
