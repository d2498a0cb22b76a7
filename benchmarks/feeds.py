"""Calendar feed speed, measured against baselines in the same run.

1. Cold render: GET /calendar/centers/<slug>.ics with an empty cache (a center with 20 series
   and 1,000 occurrences, some moved, cancelled or re-venued) against icalendar alone
   serializing the same, already built calendar. Target: at most 1.5 times.
2. Warm requests through the WSGI app, in-process: conditional requests answered 304 and cached
   200s, against an endpoint of the same app that returns constant bytes of the same size.
   Target: at least 0.5 times its throughput. On PostgreSQL the feed version comes from memory,
   kept by LISTEN/NOTIFY (`feeds/versioning.py`), as in production.
3. A series-level edit (every series renamed): the feed's size and cold render time after it,
   against before. Target: within 10 %.

Runs on a throwaway SQLite database, then on a throwaway PostgreSQL database (see
_postgres.py); nothing else is touched.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SERIES = 20
PER_SERIES = 50
REQUESTS = 2000
ROUNDS = 9


def _setup(app) -> str:
    from flask_migrate import upgrade

    from eventhub.centers.models import Center
    from eventhub.extensions import db
    from eventhub.scheduling import services
    from eventhub.series.models import HolidayPolicy

    with app.app_context():
        upgrade()
        now = datetime(2026, 12, 1, tzinfo=UTC)
        center = Center(
            slug="bench", name_ko="벤치 센터", name_en="Bench Center", region_ko="대구",
            region_en="Daegu", partner_company_ko="삼성", partner_company_en="Samsung",
            contact_email="contact@bench.example",
        )  # fmt: skip
        db.session.add(center)
        db.session.flush()
        weekdays = ["MO", "TU", "WE", "TH", "FR"]
        for i in range(SERIES):
            start = date(2026, 12, 7) + timedelta(days=i % 5)
            values = services.SeriesValues(
                title_ko=f"투자 설명회 {i}", title_en=f"Investor day {i}", start_date=start,
                start_time=dtime(10 + i % 6, 0), duration_minutes=180,
                rrule=f"FREQ=WEEKLY;BYDAY={weekdays[i % 5]};COUNT={PER_SERIES}",
                holiday_policy=HolidayPolicy.keep, description_ko="설명 " * 20,
                description_en="Description " * 20, venue_name="센터", venue_address="대구광역시",
            )  # fmt: skip
            series = services.create_series(
                center, values=values, actor_id=None, now=now, horizon_days=400
            )
            for n, occ in enumerate(sorted(series.occurrences, key=lambda o: o.start_at)):
                if n % 10 == 3:
                    services.cancel_occurrence(occ, reason="일정 변경", actor_id=None, now=now)
                elif n % 10 == 6:
                    services.move_occurrence(
                        occ,
                        start_at=occ.start_at + timedelta(hours=1),
                        end_at=occ.end_at + timedelta(hours=1),
                        actor_id=None,
                        now=now,
                    )
                elif n % 10 == 8:
                    services.change_venue(
                        occ,
                        venue_name="온라인",
                        venue_address=None,
                        online_url="https://meet.example",
                        actor_id=None,
                        now=now,
                    )
        db.session.commit()
        count = db.session.execute(db.text("SELECT count(*) FROM occurrence")).scalar()
        assert count == SERIES * PER_SERIES, count
    return "bench"


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def _measure(label: str, database_url: str) -> tuple[float, float, float]:
    """Print the figures for one database; return the three ratios that have targets."""
    from flask import Response

    from eventhub import create_app
    from eventhub.extensions import db
    from eventhub.feeds import build, versioning
    from eventhub.feeds import services as feeds

    app = create_app(
        {
            "ENV_NAME": "testing",
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
            "FEED_VERSION_LISTEN": True,  # as in production (testing turns it off)
        }
    )
    holder = {"body": b""}
    # Registered before the first request; it answers with bytes as long as the feed.
    app.add_url_rule(
        "/bench-constant",
        "bench_constant",
        lambda: Response(holder["body"], mimetype="text/calendar"),
    )
    slug = _setup(app)
    url = f"/calendar/centers/{slug}.ics"
    client = app.test_client()

    def forget_memos() -> None:  # the per-process memos of pure helpers (rule dates, texts)
        build._rule_dates.cache_clear()
        build.text.cache_clear()

    def cold_get(*, forget: bool = False) -> float:
        app.extensions.pop("eventhub_feed_cache", None)
        if forget:
            forget_memos()
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200
        return elapsed

    def serialize() -> float:
        started = time.perf_counter()
        calendar.to_ical()
        return time.perf_counter() - started

    # 1. Cold render against icalendar's own serialization of the built calendar, in
    # interleaved pairs (this machine's speed drifts; a pair sees the same drift).
    first = cold_get(forget=True)  # the first render of this app, nothing memoized
    with app.app_context():
        from eventhub.centers.models import Center

        center_id = db.session.scalar(db.select(Center.id))
        calendar = feeds.build_series_calendar(feeds.FeedScope("center", center_id), locale="ko")
    cold, serialized, forgetful = [], [], []
    for _ in range(ROUNDS):
        cold.append(cold_get())
        serialized.append(serialize())
        forgetful.append(cold_get(forget=True))
    cold_ratio = _median(cold) / _median(serialized)
    forgetful_ratio = _median(forgetful) / _median(serialized)
    response = client.get(url)
    body = response.data

    # 2. Warm: 304s and cached 200s against a constant endpoint of the same size.
    holder["body"] = bytes(len(body))
    etag = response.headers["ETag"]

    def rate(path: str, headers: dict | None = None, expect: int = 200) -> float:
        started = time.perf_counter()
        for _ in range(REQUESTS):
            result = client.get(path, headers=headers or {})
            assert result.status_code == expect, result.status_code
        return REQUESTS / (time.perf_counter() - started)

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            listener = versioning.listener_for(db.engine.url)
            while listener.current() is None:
                time.sleep(0.01)
    rate(url)  # warm the cache
    baseline = rate("/bench-constant")
    not_modified = rate(url, {"If-None-Match": etag}, expect=304)
    cached = rate(url)
    events = body.count(b"BEGIN:VEVENT")
    print(
        f"{label}: center feed of {SERIES} series, {SERIES * PER_SERIES} occurrences, {events} VEVENTs, {len(body):,} bytes"
    )
    print(
        f"  cold render (median of {ROUNDS}): {_median(cold) * 1000:.1f} ms; icalendar serialize alone: {_median(serialized) * 1000:.1f} ms; ratio {cold_ratio:.2f} (target <= 1.5)"
    )
    print(
        f"  cold render with the per-process memos cleared too: {_median(forgetful) * 1000:.1f} ms, ratio {forgetful_ratio:.2f}; first render of the app: {first * 1000:.1f} ms"
    )
    print(f"  constant endpoint: {baseline:.0f} req/s")
    print(
        f"  304 conditional: {not_modified:.0f} req/s, ratio {not_modified / baseline:.2f} (target >= 0.5)"
    )
    print(f"  cached 200: {cached:.0f} req/s, ratio {cached / baseline:.2f} (target >= 0.5)")

    # 3. Every series renamed (an edit of the whole series): size and cold render time.
    with app.app_context():
        from eventhub.scheduling import services as series_services
        from eventhub.series.models import EventSeries

        for series in db.session.scalars(db.select(EventSeries)).all():
            values = series_services.values_of(series)
            values.title_en += " (renamed)"
            values.title_ko += " (새 이름)"
            series_services.apply_series_edit(
                series, values=values, scope="all", from_occurrence=None, keep_conflicts=True,
                actor_id=None, now=datetime(2026, 12, 2, tzinfo=UTC), horizon_days=400,
            )  # fmt: skip
        db.session.commit()
    # Against the same serialization as before (the calendar built before the rename, a fixed
    # amount of work), interleaved: this machine's speed drifts between the two measurements.
    renamed, serialized_after = [], []
    for _ in range(ROUNDS):
        renamed.append(cold_get())
        serialized_after.append(serialize())
    renamed_body = client.get(url).data
    size_ratio = len(renamed_body) / len(body)
    time_ratio = (_median(renamed) / _median(serialized_after)) / cold_ratio
    print(
        f"  after renaming every series: {renamed_body.count(b'BEGIN:VEVENT')} VEVENTs, {len(renamed_body):,} bytes ({size_ratio:.3f}x); cold render {_median(renamed) * 1000:.1f} ms, {_median(renamed) / _median(serialized_after):.2f}x serialization against {cold_ratio:.2f}x before: {time_ratio:.2f}x (target within 10 %)"
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            versioning.listener_for(db.engine.url).stop()  # before the database is dropped
        db.session.remove()
        db.engine.dispose()
        version_engine = app.extensions.get("eventhub_version_engine")
        if version_engine is not None:
            version_engine.dispose()
    return cold_ratio, not_modified / baseline, cached / baseline


def main() -> int:
    os.environ["EVENTHUB_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="eventhub-bench-feeds-")
    from _postgres import database_targets

    targets, drops = database_targets(Path(os.environ["EVENTHUB_INSTANCE_PATH"]) / "bench.sqlite3")
    met = True
    try:
        for label, url in targets:
            cold, not_modified, cached = _measure(label, url)
            met = met and cold <= 1.5 and not_modified >= 0.5 and cached >= 0.5
    finally:
        for drop in drops:
            drop()
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
