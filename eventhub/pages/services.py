"""What the composed pages ask of several areas at once: the home page's list of dates (search,
industry, month, paging) and its month calendar, and a founder's next step."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from eventhub.centers.industries import industry_label
from eventhub.centers.models import Center
from eventhub.core.i18n import current_language, weekday_name
from eventhub.extensions import db
from eventhub.series.models import EventSeries, Occurrence
from eventhub.series.rows import BY_IDS, DateRow, date_rows_query, run, to_rows

# The home page's calendar and month filter count days in Seoul, where every center is.
HOME_ZONE = ZoneInfo("Asia/Seoul")


@dataclass(frozen=True)
class DatePage:
    """One page of upcoming dates, and the days of `month` that have any (for the calendar)."""

    items: tuple[DateRow, ...]
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


# Every upcoming listed date (built once: see `series.rows.run`); filters add conditions.
_LISTED = (
    sa.select(Occurrence.id, Occurrence.start_at)
    .join(Occurrence.series)
    .join(EventSeries.center)
    .where(Occurrence.end_at >= sa.bindparam("now"), EventSeries.is_listed)
    .order_by(Occurrence.start_at, Occurrence.id)
)


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
    over every matching date (id and start; the eligible industries only when filtered by
    industry) that counts, pages and fills the calendar, then the page's dates as plain rows
    (`series.rows`)."""
    light = _LISTED if industry is None else _LISTED.add_columns(EventSeries.eligible_industries)
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
        row
        for row in run(light, now=now)
        # Eligible industries are a short JSON list: filtered here, the same on both backends.
        if industry is None or may_apply(row.eligible_industries, industry)
    ]
    shown_month = month or now.astimezone(HOME_ZONE).date().replace(day=1)
    first, after = _month_bounds(shown_month)
    busy: dict[date, int] = {}
    for row in rows:
        if first <= row.start_at < after:
            day = row.start_at.astimezone(HOME_ZONE).date()
            busy[day] = busy.get(day, 0) + 1
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(page, 1), pages)
    ids = [row.id for row in rows[(page - 1) * per_page : page * per_page]]
    items = to_rows(run(BY_IDS, ids=ids) if ids else (), day_anchors=True)
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
) -> dict[int, tuple[DateRow, ...]]:
    """The next dates of every series of these centers, listed or not (organizers see their
    drafts' dates too), at most `per_center` each, as rows (`series.rows`), in one query."""
    if not center_ids:
        return {}
    found: dict[int, list[sa.Row]] = {center_id: [] for center_id in center_ids}
    query = (
        date_rows_query(EventSeries.center_id)
        .where(EventSeries.center_id.in_(center_ids), Occurrence.end_at >= now)
        .limit(per_center * len(center_ids) * 4)
    )
    for row in db.session.execute(query):
        dates = found[row.center_id]
        if len(dates) < per_center:
            dates.append(row)
    return {center_id: to_rows(rows) for center_id, rows in found.items()}


class CenterRow(NamedTuple):
    """A center as the home page lists it and offers it in the filter, in the reader's
    language (a tuple: the template unpacks it, see `series.rows.DateRow`)."""

    slug: str
    name: str
    partner: str  # "Partner: Samsung"
    industries: str


def center_rows() -> list[CenterRow]:
    """Every center (by id) as plain rows: one query of the columns shown, no ORM objects."""
    query = _CENTERS_KO if current_language() == "ko" else _CENTERS_EN
    partner_label = _("Partner: %(company)s")  # translated once, filled in per center
    return [
        CenterRow(
            slug,
            name,
            partner_label % {"company": partner},
            ", ".join(industry_label(code) for code in codes or ()),
        )
        for slug, name, partner, codes in run(query)
    ]


_CENTERS_KO, _CENTERS_EN = (
    sa.select(Center.slug, name, partner, Center.industries).order_by(Center.id)
    for name, partner in (
        (Center.name_ko, Center.partner_company_ko),
        (Center.name_en, Center.partner_company_en),
    )
)


class CalendarDay(NamedTuple):
    """One cell of the month calendar; a day of the months around it has number 0."""

    number: int
    today: bool
    count: int  # the dates listed on that day
    day: str  # 2026-12-10; the list's anchor for that day is "day-" + day


BLANK_DAY = CalendarDay(0, False, 0, "")


def calendar_weeks(
    month: date, busy: dict[date, int], today: date
) -> tuple[tuple[CalendarDay, ...], ...]:
    """`month_weeks` as cells, with what each day shows."""
    return tuple(
        tuple(
            BLANK_DAY
            if day is None
            else CalendarDay(day.day, day == today, busy.get(day, 0), day.isoformat())
            for day in week
        )
        for week in month_weeks(month)
    )


class Filters(NamedTuple):
    """What the home page's filter form was sent (as typed, cut to size)."""

    q: str
    center: str
    industry: str
    month: str


def weekday_names() -> tuple[tuple[str, str], ...]:
    """Monday to Sunday in the reader's language, long (for screen readers) and short."""
    return tuple((weekday_name(n, "EEEE"), weekday_name(n)) for n in range(7))
