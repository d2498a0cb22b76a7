"""How many writes per second SQLite holds behind gunicorn on this machine, and with how many
web processes.

Each request is a real write path: a logged-in startup saves its intake form (CSRF token,
session cookie, BEGIN IMMEDIATE, one UPDATE, commit). For 1, 2 and 4 gunicorn processes, and
for 4, 16 and 32 client threads in a closed loop (EVENTHUB_SQLITE_SECONDS, default 10, each),
reported: writes per second, p50/p95/p99 latency, and errors (anything but the redirect that
follows a save; "database is locked" would show here as a 500). No worker runs: only the web
processes write.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from load import _free_port, _percentile  # noqa: E402 - after the path is set

SECONDS = int(os.environ.get("EVENTHUB_SQLITE_SECONDS", "10"))
PROCESSES = (1, 2, 4)
CLIENTS = (4, 16, 32)
STARTUPS = max(CLIENTS)
PASSWORD = "writes-password-1"
BIN = Path(sys.executable).parent
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _prepare(url: str, instance: str) -> None:
    os.environ["EVENTHUB_INSTANCE_PATH"] = instance
    from flask_migrate import upgrade

    from eventhub import create_app
    from eventhub.accounts import services as accounts
    from eventhub.accounts.models import Role, Stage, StartupProfile
    from eventhub.extensions import db

    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        now = datetime.now(UTC)
        for i in range(STARTUPS):
            email = f"w{i}@startup.example"
            user = accounts.create_user(
                email=email, password=PASSWORD, display_name=f"W{i}", role=Role.startup, now=now
            )
            user.email_verified_at = now
            db.session.add(
                StartupProfile(
                    user=user,
                    company_name=f"Writes {i}",
                    industry="ict",
                    stage=Stage.seed,
                    one_liner="Writes",
                    contact_name="CEO",
                    contact_email=email,
                )
            )
        db.session.commit()
        db.engine.dispose()


def _start(url: str, instance: str, port: int, processes: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "EVENTHUB_ENV": "testing",
        "DATABASE_URL": url,
        "EVENTHUB_INSTANCE_PATH": instance,
        "EVENTHUB_SCHEDULER_EMBEDDED": "false",
        "EVENTHUB_LOG_LEVEL": "WARNING",
        "EVENTHUB_RATELIMIT_ENABLED": "false",
        "WEB_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(processes),
        "WEB_MAX_REQUESTS": "1000000",
    }
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "python:eventhub.gunicorn_conf", "eventhub:create_app()"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _session(base: str, i: int) -> tuple[urllib.request.OpenerDirector, str]:
    """A logged-in startup and the CSRF token of its intake form."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
    )
    token = CSRF_RE.search(opener.open(f"{base}/login").read().decode()).group(1)
    body = urllib.parse.urlencode(
        {"csrf_token": token, "email": f"w{i}@startup.example", "password": PASSWORD}
    ).encode()
    try:
        opener.open(urllib.request.Request(f"{base}/login", data=body, headers={"Origin": base}))
    except urllib.error.HTTPError as exc:  # the redirect after logging in
        if exc.code != 302:
            raise
    token = CSRF_RE.search(opener.open(f"{base}/intake").read().decode()).group(1)
    return opener, token


def _load(base: str, sessions: list, clients: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + SECONDS

    def client(i: int) -> None:
        opener, token = sessions[i]
        mine = []
        count = 0
        while time.monotonic() < stop_at:
            count += 1
            body = urllib.parse.urlencode(
                {
                    "csrf_token": token,
                    "company_name": f"Writes {i} {count}",
                    "industry": "ict",
                    "stage": "seed",
                    "one_liner": f"Save {count}",
                    "contact_name": "CEO",
                    "contact_email": f"w{i}@startup.example",
                    "business_registration_number": "",
                }
            ).encode()
            request = urllib.request.Request(
                f"{base}/intake", data=body, headers={"Origin": base, "Referer": f"{base}/intake"}
            )
            started = time.perf_counter()
            try:
                with opener.open(request, timeout=60) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError:
                status = 0
            mine.append(time.perf_counter() - started)
            if status != 302:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.monotonic() - started), latencies, errors[0]


def main() -> int:
    print(
        f"sqlite_writes: intake saves (one write transaction each), {SECONDS} s per point, "
        f"gunicorn x{'/'.join(map(str, PROCESSES))}, clients {'/'.join(map(str, CLIENTS))}"
    )
    instance = tempfile.mkdtemp(prefix="eventhub-sqlite-writes-")
    url = f"sqlite:///{instance}/writes.sqlite3"
    _prepare(url, instance)
    ok = True
    for processes in PROCESSES:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = _start(url, instance, port, processes)
        try:
            with ThreadPoolExecutor(8) as pool:
                sessions = list(pool.map(_session, [base] * STARTUPS, range(STARTUPS)))
            for clients in CLIENTS:
                rate, latencies, errors = _load(base, sessions, clients)
                ok = ok and not errors
                print(
                    f"  x{processes} processes, {clients:2d} clients: {rate:6.1f} writes/s  "
                    f"p50 {_percentile(latencies, 0.5) * 1000:6.1f} ms  "
                    f"p95 {_percentile(latencies, 0.95) * 1000:6.1f} ms  "
                    f"p99 {_percentile(latencies, 0.99) * 1000:6.1f} ms  errors {errors}"
                )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=40)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
