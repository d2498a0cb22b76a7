"""Dates as plain rows for the public lists (home, center, series pages): one query of the
columns a list shows, no ORM objects, every label made once in Python.

A list of twenty dates built from ORM occurrences cost about a third of the home page: loading
the dates with their series and centers into objects, then a dozen attribute lookups and
filters per date in Jinja (each through its `getattr` machinery, a zone lookup and a
formatter). A row carries what the template prints, in the reader's language (issue 13,
docs/benchmarks.md "Public pages").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from eventhub.centers.models import Center
from eventhub.core.i18n import current_language, weekday_name
from eventhub.extensions import db
from eventhub.series.models import EventSeries, Occurrence, OccurrenceStatus


class DateRow(NamedTuple):
    """One date as a list shows it. A tuple: templates unpack it in their `for` (an attribute
    lookup in Jinja costs two calls; twenty dates of eight fields, three hundred calls)."""

    id: int
    start_iso: str  # the UTC start, for <time datetime>
    anchor: str  # "day-2026-12-10" on the first date of each day when asked for, else ""
    when: str  # "2026-12-10 14:00 KST (목)"
    title: str
    center_name: str
    cancelled: bool
    moved: bool


# The columns every list selects, in the order `_date_row` unpacks them; add joins and
# conditions to `date_rows_query()`.
COLUMNS = (
    Occurrence.id,
    Occurrence.start_at,
    Occurrence.original_start_at,
    Occurrence.status,
    EventSeries.timezone,
    EventSeries.title_ko,
    EventSeries.title_en,
    Center.name_ko,
    Center.name_en,
)


def date_rows_query(*extra: sa.ColumnElement) -> sa.Select:
    """The dates with their series and center, as columns; `extra` columns come after."""
    return (
        sa.select(*COLUMNS, *extra)
        .join(Occurrence.series)
        .join(EventSeries.center)
        .order_by(Occurrence.start_at, Occurrence.id)
    )


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def to_rows(rows: Iterable[sa.Row], *, day_anchors: bool = False) -> tuple[DateRow, ...]:
    """Rows of `date_rows_query()` as `DateRow`s in the language being rendered; with
    `day_anchors`, the first date of each local day carries the day's anchor (the home page's
    calendar links to it)."""
    language = current_language()
    made = []
    last_day = ""
    for row in rows:
        date_row, day = _date_row(tuple(row), language)
        if day_anchors and day != last_day:
            date_row = date_row._replace(anchor=f"day-{day}")
        made.append(date_row)
        last_day = day
    return tuple(made)


@lru_cache(maxsize=4096)
def _date_row(values: tuple, language: str) -> tuple[DateRow, str]:
    """One date's row and local day, kept per process by every value read and the language:
    the same dates are listed to every visitor, and making a row's labels (a zone conversion,
    three formats, the weekday's name) cost twenty calls a date. A date whose values changed
    is another key, so nothing shown is older than the query (issue 13)."""
    id_, start_at, original_start_at, status, timezone, title_ko, title_en, name_ko, name_en = (
        values[:9]
    )
    korean = language == "ko"
    local = start_at.astimezone(_zone(timezone))
    day = local.strftime("%Y-%m-%d")
    title = (title_ko or title_en) if korean else (title_en or title_ko)
    return (
        DateRow(
            id=id_,
            start_iso=start_at.isoformat(),
            anchor="",
            when=f"{day} {local.strftime('%H:%M')} {local.tzname()} "
            f"({weekday_name(local.weekday())})",
            title=title or "",
            center_name=(name_ko if korean else name_en) or "",
            cancelled=status == OccurrenceStatus.cancelled,
            moved=start_at != original_start_at,
        ),
        day,
    )


def run(statement: sa.Select, **params: object) -> Sequence[sa.Row]:
    """A read of plain columns on the request's connection. The public pages' statements are
    built once, at import, with bound parameters: SQLAlchemy walks every statement it is given
    to find its compiled form, and for these short lists the walk cost as much as the query
    (issue 13). Core execution skips the ORM's handling of results, which columns do not need,
    and the rows are fetched at once (psycopg's row-by-row fetch costs a dozen calls a row)."""
    return db.session.connection().execute(statement, params).all()


BY_IDS = date_rows_query().where(Occurrence.id.in_(sa.bindparam("ids", expanding=True)))

SERIES_PAGE_SIZE = 12
_SERIES_NEXT = (
    date_rows_query(sa.literal(True).label("upcoming"))
    .where(Occurrence.series_id == sa.bindparam("series_id"))
    .where(Occurrence.end_at >= sa.bindparam("now"))
    .limit(SERIES_PAGE_SIZE)
    .subquery()
)
_SERIES_PAST = (
    date_rows_query(sa.literal(False).label("upcoming"))
    .where(Occurrence.series_id == sa.bindparam("series_id"))
    .where(Occurrence.end_at < sa.bindparam("now"))
    .order_by(None)
    .order_by(Occurrence.start_at.desc(), Occurrence.id.desc())
    .limit(SERIES_PAGE_SIZE)
    .subquery()
)
# Both lists in one statement (one round trip); each part keeps its own order and limit.
_SERIES_BOTH = sa.union_all(sa.select(_SERIES_NEXT), sa.select(_SERIES_PAST))

CENTER_PAGE_SIZE = 20
_CENTER_NEXT = (
    date_rows_query()
    .where(EventSeries.center_id == sa.bindparam("center_id"))
    .where(Occurrence.end_at >= sa.bindparam("now"), EventSeries.is_listed)
    .limit(CENTER_PAGE_SIZE)
)


def series_date_rows(
    series_id: int, *, now: datetime
) -> tuple[tuple[DateRow, ...], tuple[DateRow, ...]]:
    """A series' next dates (soonest first) and its past ones (latest first), twelve at most
    each, in one query: the series page showed twelve of each after loading every date the
    series ever had, and then read the two lists in two statements."""
    rows = run(_SERIES_BOTH, series_id=series_id, now=now)
    upcoming = sorted((row for row in rows if row.upcoming), key=lambda r: (r.start_at, r.id))
    past = sorted(
        (row for row in rows if not row.upcoming),
        key=lambda r: (r.start_at, r.id),
        reverse=True,
    )
    return to_rows(upcoming), to_rows(past)


def center_date_rows(center_id: int, *, now: datetime) -> tuple[DateRow, ...]:
    """A center's next listed dates, soonest first, twenty at most, in one query."""
    return to_rows(run(_CENTER_NEXT, center_id=center_id, now=now))
