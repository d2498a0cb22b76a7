"""200 concurrent booking attempts for 20 slots, against the app on PostgreSQL.

The app runs in a threaded WSGI server (werkzeug) on a loopback port; 200 logged-in startups
each POST one booking to the JSON API at once (50 client threads). Reported: correctness
(exactly 20 confirmed, everyone else told 409), attempts per second, and the ratio to the rate
of the same number of read-only slot-list requests measured in the same run.

Needs PostgreSQL: EVENTHUB_BENCH_POSTGRES_URL, else EVENTHUB_TEST_POSTGRES_URL, else
postgresql://postgres@127.0.0.1:5432/postgres (a throwaway database is created beside it).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ATTEMPTS = 200
SLOTS = 20
CLIENT_THREADS = 50
PASSWORD = "bench-password-1"


def _database() -> tuple[str, callable]:
    from _postgres import throwaway_database

    return throwaway_database()


def _setup(app) -> int:
    from flask_migrate import upgrade

    from eventhub.accounts import services as accounts
    from eventhub.accounts.models import Role, Stage, StartupProfile
    from eventhub.centers.models import Center
    from eventhub.extensions import db
    from eventhub.series import services as series
    from eventhub.series.models import HolidayPolicy

    with app.app_context():
        upgrade()
        now = datetime.now(UTC)
        center = Center(
            slug="daegu",
            name_ko="대구",
            name_en="Daegu",
            region_ko="대구",
            region_en="Daegu",
            partner_company_ko="삼성",
            partner_company_en="Samsung",
        )
        db.session.add(center)
        db.session.flush()
        start = (now + timedelta(days=10)).date()
        values = series.SeriesValues(
            title_ko="벤치마크 데이",
            title_en="Benchmark Day",
            start_date=start,
            start_time=dtime(14, 0),
            duration_minutes=600,
            rrule=None,
            holiday_policy=HolidayPolicy.keep,
        )
        created = series.create_series(
            center, values=values, actor_id=None, now=now, horizon_days=30
        )
        created.slot_count = SLOTS
        db.session.flush()
        occurrence = created.occurrences[0]
        from eventhub.bookings import services as bookings

        for slot in bookings.slots_of(occurrence.id):
            db.session.delete(slot)
        db.session.flush()
        bookings.create_slots(occurrence)
        for i in range(ATTEMPTS):
            user = accounts.create_user(
                email=f"s{i}@bench.example",
                password=PASSWORD,
                display_name=f"S{i}",
                role=Role.startup,
                now=now,
            )
            db.session.add(
                StartupProfile(
                    user=user,
                    company_name=f"Startup {i}",
                    industry="ict",
                    stage=Stage.seed,
                    one_liner="Benchmark",
                    contact_name="CEO",
                    contact_email=f"s{i}@bench.example",
                )
            )
        db.session.commit()
        assert len(bookings.slots_of(occurrence.id)) == SLOTS
        return occurrence.id


def _login(base: str, i: int) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"csrf_token": token, "email": f"s{i}@bench.example", "password": PASSWORD}
    ).encode()
    opener.open(urllib.request.Request(f"{base}/login", data=body))
    return opener


def _post(opener, url: str, payload: dict) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        return opener.open(request).status
    except urllib.error.HTTPError as exc:
        return exc.code


def _get(opener, url: str) -> int:
    try:
        return opener.open(url).status
    except urllib.error.HTTPError as exc:
        return exc.code


def main() -> int:
    from werkzeug.serving import make_server

    from eventhub import create_app

    url, drop = _database()
    instance = tempfile.mkdtemp(prefix="eventhub-bench-")
    os.environ["EVENTHUB_INSTANCE_PATH"] = instance
    try:
        app = create_app(
            {
                "ENV_NAME": "testing",
                "DATABASE_URL": url,
                "LOG_LEVEL": "WARNING",
                "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 60, "max_overflow": 10},
            }
        )
        occurrence_id = _setup(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        import logging

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            openers = list(pool.map(lambda i: _login(base, i), range(ATTEMPTS)))
        with app.app_context():
            from eventhub.bookings import services as bookings

            slot_ids = [s.id for s in bookings.slots_of(occurrence_id)]
        book_url = f"{base}/api/occurrences/{occurrence_id}/bookings"
        list_url = f"{base}/api/occurrences/{occurrence_id}/slots"
        rng = random.Random(7)
        choices = [rng.choice(slot_ids) for _ in range(ATTEMPTS)]

        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            statuses = list(
                pool.map(
                    lambda i: _post(openers[i], book_url, {"slot_id": choices[i]}), range(ATTEMPTS)
                )
            )
        booking_seconds = time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            reads = list(pool.map(lambda i: _get(openers[i], list_url), range(ATTEMPTS)))
        read_seconds = time.perf_counter() - started
        server.shutdown()

        with app.app_context():
            from eventhub.bookings.models import Booking, BookingStatus
            from eventhub.extensions import db

            confirmed = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Booking)
                .where(Booking.status == BookingStatus.confirmed)
            )
            per_slot = db.session.execute(
                sa.select(Booking.slot_id, sa.func.count()).group_by(Booking.slot_id)
            ).all()
            db.engine.dispose()
        created = statuses.count(201)
        conflicts = statuses.count(409)
        correct = (
            confirmed == SLOTS == created
            and conflicts == ATTEMPTS - SLOTS
            and all(count == 1 for _, count in per_slot)
            and set(reads) == {200}
        )
        booking_rate = ATTEMPTS / booking_seconds
        read_rate = ATTEMPTS / read_seconds
        print(
            f"booking_contention: {ATTEMPTS} attempts for {SLOTS} slots, {CLIENT_THREADS} client threads"
        )
        print(
            f"  correctness: {'OK' if correct else 'FAILED'} ({confirmed} confirmed, {created} x 201, {conflicts} x 409, other {ATTEMPTS - created - conflicts})"
        )
        print(f"  booking attempts/s: {booking_rate:.1f}")
        print(f"  read-only slot lists/s: {read_rate:.1f}")
        print(f"  ratio booking/read: {booking_rate / read_rate:.2f}")
        return 0 if correct else 1
    finally:
        drop()


if __name__ == "__main__":
    sys.exit(main())
