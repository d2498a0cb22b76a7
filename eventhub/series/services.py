"""Series use cases: expanding a rule into dated occurrences and listing what is upcoming."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from dateutil.rrule import rrulestr
from sqlalchemy.orm import joinedload

from eventhub.extensions import db
from eventhub.series.models import EventSeries, Occurrence, SeriesStatus


def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock time in `tz` as a UTC instant, resolved as RFC 5545 section 3.3.5 says.

    A time that does not exist (in a spring-forward gap) uses the offset before the gap, and
    a time that exists twice (in a fall-back fold) means the first one. Both are what
    zoneinfo does with ``fold=0``.
    """
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def local_starts(series: EventSeries, *, until_local: datetime) -> list[datetime]:
    """The rule's start times in the series' wall-clock time, up to `until_local`."""
    dtstart = datetime.combine(series.start_date, series.start_time)
    if not series.rrule:
        return [dtstart] if dtstart <= until_local else []
    rule = rrulestr(series.rrule, dtstart=dtstart)
    return list(rule.between(dtstart, until_local, inc=True))


def materialize_occurrences(series: EventSeries, *, until: datetime) -> list[Occurrence]:
    """Store the occurrences the rule yields up to `until` that are not stored yet."""
    tz = series.tz
    until_local = until.astimezone(tz).replace(tzinfo=None)
    known = set(
        db.session.scalars(
            sa.select(Occurrence.original_start_at).where(Occurrence.series_id == series.id)
        )
    )
    created = []
    duration = timedelta(minutes=series.duration_minutes)
    for local in local_starts(series, until_local=until_local):
        start = to_utc(local, tz)
        if start in known:
            continue
        end = to_utc(local + duration, tz)
        occurrence = Occurrence(series=series, original_start_at=start, start_at=start, end_at=end)
        db.session.add(occurrence)
        created.append(occurrence)
    series.materialized_until_at = until
    db.session.flush()
    return created


def upcoming_occurrences(
    *, now: datetime, limit: int = 20, center_id: int | None = None
) -> list[Occurrence]:
    """The next public occurrences of published series, soonest first."""
    query = (
        sa.select(Occurrence)
        .join(Occurrence.series)
        .where(
            Occurrence.end_at >= now,
            EventSeries.status == SeriesStatus.published,
            EventSeries.is_public.is_(True),
        )
        .options(joinedload(Occurrence.series).joinedload(EventSeries.center))
        .order_by(Occurrence.start_at, Occurrence.id)
        .limit(limit)
    )
    if center_id is not None:
        query = query.where(EventSeries.center_id == center_id)
    return list(db.session.scalars(query))
