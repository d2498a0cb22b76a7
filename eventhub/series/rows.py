"""Dates as plain rows for the public lists (home, center, series pages): one query of the
columns a list shows, no ORM objects, every label made once in Python.

A list of twenty dates built from ORM occurrences cost about a third of the home page: loading
the dates with their series and centers into objects, then a dozen attribute lookups and
filters per date in Jinja (each through its `getattr` machinery, a zone lookup and a
formatter). A row carries what the template prints, in the reader's language (issue 13,
docs/benchmarks.md "Public pages").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import format_date

from eventhub.centers.models import Center
from eventhub.core.i18n import current_language
from eventhub.extensions import db
from eventhub.series.models import EventSeries, Occurrence, OccurrenceStatus


@dataclass(frozen=True, slots=True)
class DateRow:
    """One date as a list shows it."""

    id: int
    start_at: datetime  # UTC, for <time datetime>
    day: str  # the local day, YYYY-MM-DD (the calendar's anchors)
    when: str  # "2026-12-10 14:00 KST (목)"
    title: str
    center_name: str
    cancelled: bool
    moved: bool


# The columns every list selects; add joins and conditions to `date_rows_query()`.
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


@lru_cache(maxsize=32)
def _weekday(language: str, weekday: int) -> str:
    # 2024-01-01 was a Monday. Babel's formatting costs about 40 us: seven names per language.
    # `language` is part of the key: Flask-Babel formats in the language being rendered.
    return format_date(date(2024, 1, 1 + weekday), "EEE")


def to_rows(rows: Iterable[sa.Row]) -> list[DateRow]:
    """Rows of `date_rows_query()` as `DateRow`s in the language being rendered."""
    korean = current_language() == "ko"
    language = "ko" if korean else "en"
    made = []
    for row in rows:
        local = row.start_at.astimezone(_zone(row.timezone))
        title = (row.title_ko or row.title_en) if korean else (row.title_en or row.title_ko)
        made.append(
            DateRow(
                id=row.id,
                start_at=row.start_at,
                day=local.strftime("%Y-%m-%d"),
                when=f"{local.strftime('%Y-%m-%d %H:%M')} {local.tzname()} "
                f"({_weekday(language, local.weekday())})",
                title=title or "",
                center_name=(row.name_ko if korean else row.name_en) or "",
                cancelled=row.status == OccurrenceStatus.cancelled,
                moved=row.start_at != row.original_start_at,
            )
        )
    return made


def series_date_rows(
    series_id: int, *, now: datetime, upcoming: bool, limit: int = 12
) -> list[DateRow]:
    """A series' next dates (soonest first) or its past ones (latest first), at most `limit`,
    in one query: the series page showed twelve of each after loading every date the series
    ever had."""
    query = date_rows_query().where(Occurrence.series_id == series_id).limit(limit)
    if upcoming:
        query = query.where(Occurrence.end_at >= now)
    else:
        query = (
            query.where(Occurrence.end_at < now)
            .order_by(None)
            .order_by(Occurrence.start_at.desc(), Occurrence.id.desc())
        )
    return to_rows(db.session.execute(query))
