"""A bounded loopback load against the production shape, on SQLite and on PostgreSQL.

gunicorn with four processes and two `eventhub worker` processes serve the demo data plus a
date open for booking. 16 client threads in a closed loop send, for EVENTHUB_LOAD_SECONDS
(default 60) per database: calendar feed polls 80 % (half of them conditional, as calendar
apps send them: If-None-Match), public pages 15 % (home, center, series, date), booking
attempts 5 % (logged-in startups, JSON API; a 409 for a taken slot is an answer, not an error).

Reported per database: requests per second, p50/p95/p99 latency by kind, errors (5xx or no
answer; must be 0), and the number of feed subscribers polling once an hour that one web
process carries at the measured feed rate.

Before the mix, in the same run and against the same server: the public pages one kind at a
time (16 clients for EVENTHUB_LOAD_PAGE_SECONDS, default 10, each), between two rounds of a
static file (the stylesheet, through the app as gunicorn serves it without nginx). Each page's
rate is reported as a ratio of the static file's (the mean of its two rounds), with its p95.
Goal (issue 13): every public page at least 0.2x with p95 under 50 ms.

EVENTHUB_LOAD_DATABASES=sqlite (or postgresql) measures on one database only.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import sqlalchemy.exc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

SECONDS = int(os.environ.get("EVENTHUB_LOAD_SECONDS", "60"))
PAGE_SECONDS = int(os.environ.get("EVENTHUB_LOAD_PAGE_SECONDS", "10"))
CLIENTS = 16
WEB_PROCESSES = 4
STARTUPS = 200
PASSWORD = "load-password-1"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _prepare(url: str, instance: str) -> dict:
    """Migrate, load the demo, add a date open for booking and startups; what the load uses."""
    os.environ["EVENTHUB_INSTANCE_PATH"] = instance
    from flask_migrate import upgrade

    from eventhub import create_app
    from eventhub.accounts import services as accounts
    from eventhub.accounts.models import Role, Stage, StartupProfile
    from eventhub.bookings import services as bookings
    from eventhub.centers.models import Center
    from eventhub.demo import seed_demo
    from eventhub.extensions import db
    from eventhub.scheduling import services as series
    from eventhub.series.models import EventSeries, HolidayPolicy, Occurrence

    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        now = datetime.now(UTC)
        seed_demo(now=now, horizon_days=548)
        center = db.session.scalar(__import__("sqlalchemy").select(Center).limit(1))
        created = series.create_series(
            center,
            values=series.SeriesValues(
                title_ko="부하 시험의 날",
                title_en="Load day",
                start_date=(now + timedelta(days=10)).date(),
                start_time=dtime(9, 0),
                duration_minutes=720,
                rrule=None,
                holiday_policy=HolidayPolicy.keep,
            ),
            actor_id=None,
            now=now,
            horizon_days=30,
        )
        created.slot_count = 40
        db.session.flush()
        occurrence = created.occurrences[0]
        for slot in bookings.slots_of(occurrence.id):
            db.session.delete(slot)
        db.session.flush()
        bookings.create_slots(occurrence)
        for i in range(STARTUPS):
            user = accounts.create_user(
                email=f"load{i}@startup.example",
                password=PASSWORD,
                display_name=f"L{i}",
                role=Role.startup,
                now=now,
            )
            db.session.add(
                StartupProfile(
                    user=user,
                    company_name=f"Load {i}",
                    industry="ict",
                    stage=Stage.seed,
                    one_liner="Load",
                    contact_name="CEO",
                    contact_email=f"load{i}@startup.example",
                )
            )
        db.session.commit()
        sa = __import__("sqlalchemy")
        centers = list(db.session.scalars(sa.select(Center.slug)))
        slugs = list(db.session.scalars(sa.select(EventSeries.slug)))
        dates = list(
            db.session.scalars(sa.select(Occurrence.id).where(Occurrence.start_at > now).limit(30))
        )
        plan = {
            "feeds": ["/calendar/all.ics"] + [f"/calendar/centers/{c}.ics" for c in centers],
            "pages": ["/"]
            + [f"/centers/{c}" for c in centers[:5]]
            + [f"/series/{s}" for s in slugs]
            + [f"/occurrences/{d}" for d in dates],
            "occurrence": occurrence.id,
            "slots": [s.id for s in bookings.slots_of(occurrence.id)],
        }
        db.engine.dispose()
    return plan


def _start(url: str, instance: str, port: int) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "EVENTHUB_ENV": "testing",
        "DATABASE_URL": url,
        "EVENTHUB_INSTANCE_PATH": instance,
        "EVENTHUB_SCHEDULER_EMBEDDED": "false",
        "EVENTHUB_LOG_LEVEL": "WARNING",
        "WEB_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(WEB_PROCESSES),
        "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="eventhub-load-metrics-"),
        # No worker replaced in the middle of a phase.
        "WEB_MAX_REQUESTS": "1000000",
    }
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes = [
        subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "python:eventhub.gunicorn_conf", "eventhub:create_app()"],
            env=env,
            **quiet,
        )
    ]
    processes += [
        subprocess.Popen([str(BIN / "eventhub"), "worker"], env=env, **quiet) for _ in range(2)
    ]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return processes
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def _login(base: str, i: int) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"csrf_token": token, "email": f"load{i}@startup.example", "password": PASSWORD}
    ).encode()
    opener.open(urllib.request.Request(f"{base}/login", data=body, headers={"Origin": base}))
    return opener


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _closed_loop(base: str, paths: list[str], seconds: float) -> tuple[float, list[float], int]:
    """CLIENTS threads asking for `paths` in turn for `seconds`: requests per second, the
    latencies, and the answers that were not 200."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(number: int) -> None:
        opener = urllib.request.build_opener()
        mine: list[float] = []
        turn = number
        while time.monotonic() < stop_at:
            path = paths[turn % len(paths)]
            turn += 1
            started = time.perf_counter()
            try:
                with opener.open(base + path, timeout=30) as response:
                    response.read()
                    ok = response.status == 200
            except OSError:
                ok = False
            mine.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    failures[0] += 1
        with lock:
            latencies.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.monotonic() - started), latencies, failures[0]


def _public_pages(base: str, plan: dict) -> bool:
    """Each public page kind alone, against the static file before and after; True when
    every page meets the goal."""
    kinds = [
        ("home", ["/"]),
        ("center", [p for p in plan["pages"] if p.startswith("/centers/")]),
        ("series", [p for p in plan["pages"] if p.startswith("/series/")]),
        ("date", [p for p in plan["pages"] if p.startswith("/occurrences/")]),
    ]
    static = ["/static/style.css"]
    _closed_loop(base, static + [paths[0] for _, paths in kinds], 2)  # warm every process
    first = _closed_loop(base, static, PAGE_SECONDS)
    measured = [(name, _closed_loop(base, paths, PAGE_SECONDS)) for name, paths in kinds]
    last = _closed_loop(base, static, PAGE_SECONDS)
    baseline = (first[0] + last[0]) / 2
    print(
        f"    static   {baseline:7.1f}/s  p95 {_percentile(first[1] + last[1], 0.95) * 1000:6.1f} ms"
        f"  (rounds {first[0]:.0f} and {last[0]:.0f}/s)"
    )
    met = True
    for name, (rate, latencies, failures) in measured:
        p95 = _percentile(latencies, 0.95) * 1000
        ok = rate >= 0.2 * baseline and p95 < 50 and not failures
        met = met and ok
        print(
            f"    {name:8s} {rate:7.1f}/s = {rate / baseline:.2f}x  p50 "
            f"{_percentile(latencies, 0.5) * 1000:6.1f} ms  p95 {p95:6.1f} ms  "
            f"non-200 {failures}  {'met' if ok else 'NOT met'}"
        )
    return met


def _run(label: str, url: str) -> bool:
    instance = tempfile.mkdtemp(prefix=f"eventhub-load-{label}-")
    plan = _prepare(url, instance)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    processes = _start(url, instance, port)
    try:
        print(f"  {label}: public pages, {PAGE_SECONDS} s each, {CLIENTS} clients")
        _public_pages(base, plan)
        if SECONDS <= 0:
            return True  # EVENTHUB_LOAD_SECONDS=0: the public pages only
        with ThreadPoolExecutor(CLIENTS) as pool:
            openers = list(pool.map(lambda i: _login(base, i), range(STARTUPS)))
        etags: dict[str, str] = {}
        latencies: dict[str, list[float]] = defaultdict(list)
        statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        errors: list[str] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + SECONDS

        def client(number: int) -> None:
            rng = random.Random(number)
            plain = urllib.request.build_opener()
            while time.monotonic() < stop_at:
                roll = rng.random()
                headers = {}
                if roll < 0.80:
                    kind, path = "feed", rng.choice(plan["feeds"])
                    if rng.random() < 0.5 and path in etags:
                        headers["If-None-Match"] = etags[path]
                    opener, data = plain, None
                elif roll < 0.95:
                    kind, path, opener, data = "page", rng.choice(plan["pages"]), plain, None
                else:
                    kind = "booking"
                    path = f"/api/occurrences/{plan['occurrence']}/bookings"
                    opener = openers[rng.randrange(STARTUPS)]
                    data = json.dumps({"slot_id": rng.choice(plan["slots"])}).encode()
                    headers = {"Content-Type": "application/json", "Origin": base}
                request = urllib.request.Request(base + path, data=data, headers=headers)
                started = time.perf_counter()
                try:
                    with opener.open(request, timeout=30) as response:
                        status = response.status
                        if kind == "feed" and response.headers.get("ETag"):
                            etags[path] = response.headers["ETag"]
                        response.read()
                except urllib.error.HTTPError as exc:
                    status = exc.code
                    exc.read()
                except OSError as exc:
                    status = 0
                    with lock:
                        errors.append(f"{kind} {path}: {exc}")
                elapsed = time.perf_counter() - started
                with lock:
                    latencies[kind].append(elapsed)
                    statuses[kind][status] += 1
                    if status >= 500:
                        errors.append(f"{kind} {path}: {status}")

        started = time.monotonic()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
    total = sum(len(v) for v in latencies.values())
    print(f"  {label}: {total / elapsed:.0f} requests/s over {elapsed:.0f} s, errors {len(errors)}")
    for kind in ("feed", "page", "booking"):
        values = latencies[kind]
        answers = ", ".join(f"{code}: {n}" for code, n in sorted(statuses[kind].items()))
        print(
            f"    {kind:8s} {len(values) / elapsed:7.1f}/s  p50 {_percentile(values, 0.5) * 1000:6.1f} ms"
            f"  p95 {_percentile(values, 0.95) * 1000:6.1f} ms  p99 {_percentile(values, 0.99) * 1000:6.1f} ms  ({answers})"
        )
    feed_rate = len(latencies["feed"]) / elapsed / WEB_PROCESSES
    print(
        f"    one web process answers {feed_rate:.0f} feed polls/s at this mix: "
        f"about {feed_rate * 3600:,.0f} subscribers polling hourly"
    )
    for line in errors[:5]:
        print(f"    error: {line}")
    return not errors


def main() -> int:
    from _postgres import database_targets

    print(
        f"load: {SECONDS} s per database, {CLIENTS} clients, gunicorn x{WEB_PROCESSES} + 2 workers; "
        "feeds 80 %, pages 15 %, bookings 5 %"
    )
    targets, drops = database_targets(Path(tempfile.mkdtemp()) / "load.sqlite3")
    # EVENTHUB_LOAD_DATABASES=sqlite (or postgresql) measures on one database only.
    chosen = os.environ.get("EVENTHUB_LOAD_DATABASES", "sqlite,postgresql").split(",")
    ok = True
    try:
        for label, url in targets:
            if label not in chosen:
                continue
            try:
                ok = _run(label, url) and ok
            except sqlalchemy.exc.OperationalError as exc:
                # A shared server out of connections, say: a message, not a traceback.
                print(f"  {label}: the database refused the benchmark: {exc.orig}")
                ok = False
    finally:
        for drop in drops:
            drop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
