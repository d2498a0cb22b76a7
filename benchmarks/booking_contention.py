"""200 concurrent booking attempts for 20 slots, against the app on PostgreSQL.

The app runs in a threaded WSGI server (werkzeug) on a loopback port; 200 logged-in startups
each POST one booking to the JSON API at once (50 client threads). Reported: correctness
(exactly 20 confirmed, everyone else told 409), attempts per second, and the ratio to the rate
of the same number of read-only slot-list requests measured in the same run.

The machine's speed drifts while it runs (a shared host), so a round brackets its bookings
with a read phase before and one after, against the mean of the two, and the script runs
ROUNDS rounds on fresh dates and reports the median ratio (and every round's figures).

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
ROUNDS = 5
CLIENT_THREADS = 50
PASSWORD = "bench-password-1"


def _database() -> tuple[str, callable]:
    from _postgres import throwaway_database

    return throwaway_database()


def _setup(app) -> list[int]:
    from flask_migrate import upgrade

    from eventhub.accounts import services as accounts
    from eventhub.accounts.models import Role, Stage, StartupProfile
    from eventhub.centers.models import Center
    from eventhub.extensions import db
    from eventhub.scheduling import services as series
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
        from eventhub.bookings import services as bookings

        occurrences = []
        for round_number in range(ROUNDS):
            values = series.SeriesValues(
                title_ko=f"벤치마크 데이 {round_number + 1}",
                title_en=f"Benchmark Day {round_number + 1}",
                start_date=(now + timedelta(days=10 + round_number)).date(),
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
            for slot in bookings.slots_of(occurrence.id):
                db.session.delete(slot)
            db.session.flush()
            bookings.create_slots(occurrence)
            occurrences.append(occurrence)
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
        assert all(len(bookings.slots_of(o.id)) == SLOTS for o in occurrences)
        return [o.id for o in occurrences]


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
        occurrence_ids = _setup(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        import logging

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            openers = list(pool.map(lambda i: _login(base, i), range(ATTEMPTS)))
        rng = random.Random(7)

        def timed(work) -> tuple[float, list[int]]:
            started = time.perf_counter()
            with ThreadPoolExecutor(CLIENT_THREADS) as pool:
                results = list(pool.map(work, range(ATTEMPTS)))
            return ATTEMPTS / (time.perf_counter() - started), results

        rounds = []
        correct = True
        for occurrence_id in occurrence_ids:
            with app.app_context():
                from eventhub.bookings import services as bookings

                slot_ids = [s.id for s in bookings.slots_of(occurrence_id)]
            book_url = f"{base}/api/occurrences/{occurrence_id}/bookings"
            list_url = f"{base}/api/occurrences/{occurrence_id}/slots"
            choices = [rng.choice(slot_ids) for _ in range(ATTEMPTS)]
            read_before, reads = timed(lambda i, url=list_url: _get(openers[i], url))
            booking_rate, statuses = timed(
                lambda i, url=book_url, choices=choices: _post(
                    openers[i], url, {"slot_id": choices[i]}
                )
            )
            read_after, reads_after = timed(lambda i, url=list_url: _get(openers[i], url))
            read_rate = (read_before + read_after) / 2
            with app.app_context():
                from eventhub.bookings.models import Booking, BookingStatus
                from eventhub.extensions import db

                confirmed = db.session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Booking)
                    .where(
                        Booking.occurrence_id == occurrence_id,
                        Booking.status == BookingStatus.confirmed,
                    )
                )
                per_slot = db.session.execute(
                    sa.select(Booking.slot_id, sa.func.count())
                    .where(Booking.occurrence_id == occurrence_id)
                    .group_by(Booking.slot_id)
                ).all()
                db.session.remove()
            created = statuses.count(201)
            conflicts = statuses.count(409)
            ok = (
                confirmed == SLOTS == created
                and conflicts == ATTEMPTS - SLOTS
                and all(count == 1 for _, count in per_slot)
                and set(reads) | set(reads_after) == {200}
            )
            correct = correct and ok
            rounds.append((booking_rate, read_rate, ok, confirmed, created, conflicts))
        server.shutdown()
        with app.app_context():
            from eventhub.extensions import db

            db.engine.dispose()
        print(
            f"booking_contention: {ATTEMPTS} attempts for {SLOTS} slots, {CLIENT_THREADS} client threads, {ROUNDS} rounds"
        )
        for number, (booking_rate, read_rate, ok, confirmed, created, conflicts) in enumerate(
            rounds, start=1
        ):
            print(
                f"  round {number}: {'OK' if ok else 'FAILED'} ({confirmed} confirmed, {created} x 201, {conflicts} x 409); "
                f"{booking_rate:.1f} attempts/s, {read_rate:.1f} reads/s, ratio {booking_rate / read_rate:.2f}"
            )
        ratios = sorted(b / r for b, r, *_ in rounds)
        print(f"  correctness: {'OK' if correct else 'FAILED'} in every round")
        print(f"  median ratio booking/read: {ratios[len(ratios) // 2]:.2f} (target >= 0.8)")
        return 0 if correct else 1
    finally:
        drop()


if __name__ == "__main__":
    sys.exit(main())
