"""The shape centers deploy: gunicorn with four processes (and `eventhub worker` processes),
driven over HTTP with real sessions and CSRF tokens, on SQLite and on PostgreSQL.

A rule that holds in one process is not yet proven: here every request may land in another
process, with its own connection pool, and the database alone decides.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import time as dtime
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from eventhub.accounts.models import Role, Stage, StartupProfile, User
from eventhub.bookings import services as bookings
from eventhub.bookings.models import Booking, BookingStatus
from eventhub.core.clock import utcnow
from eventhub.core.outbox import MessageKind, OutboxMessage, OutboxStatus
from eventhub.scheduling import services as series_services
from eventhub.series.models import HolidayPolicy, Occurrence
from tests.conftest import PASSWORD, free_port, smtp_sink
from tests.core.test_metrics import sample

BIN = Path(sys.executable).parent
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """One person's cookies against the server; answers are (status, body)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(self, path: str, data: dict[str, Any] | None = None) -> tuple[int, str]:
        headers = {"Accept-Language": "en"}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            headers |= {"Origin": self.base, "Referer": self.base + path}
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def submit(self, path: str, data: dict[str, Any], *, form_path: str | None = None) -> int:
        """Load the form's page for its CSRF token, then post, as a browser does."""
        status, page = self.request(form_path or path)
        match = CSRF_RE.search(page)
        assert match, f"no form on {form_path or path} ({status})"
        return self.request(path, {"csrf_token": match.group(1), **data})[0]


def _environment(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "EVENTHUB_ENV": "testing",
        "DATABASE_URL": database_url,
        "EVENTHUB_INSTANCE_PATH": str(instance),
        "EVENTHUB_SCHEDULER_EMBEDDED": "false",
        "EVENTHUB_LOG_LEVEL": "WARNING",
        **extra,
    }


def _wait_until_ready(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not answer in time")


@contextlib.contextmanager
def _gunicorn(
    database_url: str, tmp_path: Path, processes: int = 4, **extra: str
) -> Iterator[tuple[str, subprocess.Popen]]:
    """gunicorn with `processes` worker processes against the test database: its base URL and
    its master process. Stopped with SIGTERM at the end, if still running."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "python:eventhub.gunicorn_conf", "eventhub:create_app()"],
        env=_environment(
            database_url,
            tmp_path,
            WEB_BIND=f"127.0.0.1:{port}",
            WEB_CONCURRENCY=str(processes),
            **extra,
        ),
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "gunicorn.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in log, log[-3000:]


@pytest.fixture
def web(database_url: str, db: Any, tmp_path: Path) -> Iterator[str]:
    """gunicorn with four worker processes against the test database; its base URL."""
    with _gunicorn(database_url, tmp_path) as (base, _process):
        yield base


def _open_date(app: Any, db: Any, *, slots: int, startups: int) -> tuple[int, list[str]]:
    """A listed date ten days ahead (registration open now), `slots` slots, and `startups`
    startup accounts with a complete intake; their emails."""
    from eventhub.accounts import services as accounts
    from eventhub.centers.models import Center

    now = utcnow()
    with app.app_context():
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
        created = series_services.create_series(
            center,
            values=series_services.SeriesValues(
                title_ko="투자 설명회",
                title_en="Investor day",
                start_date=(now + timedelta(days=10)).date(),
                start_time=dtime(14, 0),
                duration_minutes=600,
                rrule=None,
                holiday_policy=HolidayPolicy.keep,
            ),
            actor_id=None,
            now=now,
            horizon_days=30,
        )
        created.slot_count = slots
        db.session.flush()
        occurrence = created.occurrences[0]
        for slot in bookings.slots_of(occurrence.id):
            db.session.delete(slot)
        db.session.flush()
        bookings.create_slots(occurrence)
        emails = []
        for i in range(startups):
            email = f"s{i}@startup.example"
            user = accounts.create_user(
                email=email, password=PASSWORD, display_name=f"S{i}", role=Role.startup, now=now
            )
            db.session.add(
                StartupProfile(
                    user=user,
                    company_name=f"Startup {i}",
                    industry="ict",
                    stage=Stage.seed,
                    one_liner="We build things",
                    contact_name="CEO",
                    contact_email=email,
                )
            )
            emails.append(email)
        db.session.commit()
        return occurrence.id, emails


def _logged_in(base: str, emails: list[str]) -> list[Browser]:
    def login(email: str) -> Browser:
        browser = Browser(base)
        assert browser.submit("/login", {"email": email, "password": PASSWORD}) == 302
        return browser

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(login, emails))


def _all_at_once(count: int, work: Callable[[int], int]) -> Counter:
    with ThreadPoolExecutor(count) as pool:
        return Counter(pool.map(work, range(count)))


def _slot_ids(app: Any, occurrence_id: int) -> list[int]:
    with app.app_context():
        return [slot.id for slot in bookings.slots_of(occurrence_id)]


def _booking_forms(browsers: list[Browser], occurrence_id: int) -> list[str]:
    """Each browser loads the date's page (as a person would) and keeps its form token."""

    def token(browser: Browser) -> str:
        status, page = browser.request(f"/occurrences/{occurrence_id}")
        assert status == 200
        return CSRF_RE.search(page).group(1)

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(token, browsers))


def test_a_hundred_startups_race_for_the_last_slot_across_processes(app, db, web):
    occurrence_id, emails = _open_date(app, db, slots=1, startups=100)
    browsers = _logged_in(web, emails)
    tokens = _booking_forms(browsers, occurrence_id)
    (slot_id,) = _slot_ids(app, occurrence_id)

    def book(i: int) -> int:
        path = f"/occurrences/{occurrence_id}/book"
        return browsers[i].request(path, {"csrf_token": tokens[i], "slot_id": slot_id})[0]

    # Every attempt is answered by a redirect back to the date (with "booked" or "taken").
    assert _all_at_once(100, book) == Counter({303: 100})
    with app.app_context():
        rows = db.session.execute(sa.select(Booking.status, Booking.slot_id)).all()
        assert rows == [(BookingStatus.confirmed, slot_id)]


def test_eight_startups_book_eight_slots_at_once_across_processes(app, db, web):
    occurrence_id, emails = _open_date(app, db, slots=8, startups=8)
    browsers = _logged_in(web, emails)
    tokens = _booking_forms(browsers, occurrence_id)
    slot_ids = _slot_ids(app, occurrence_id)

    def book(i: int) -> int:
        path = f"/occurrences/{occurrence_id}/book"
        return browsers[i].request(path, {"csrf_token": tokens[i], "slot_id": slot_ids[i]})[0]

    assert _all_at_once(8, book) == Counter({303: 8})
    # The four processes' counts, added up by /metrics (prometheus-client's multi-process mode).
    status, text = Browser(web).request("/metrics")
    assert status == 200
    booked = {"endpoint": "bookings.book", "method": "POST", "status": "303"}
    assert sample(text, "eventhub_http_requests_total", **booked) == 8
    with app.app_context():
        held = db.session.scalars(
            sa.select(Booking.slot_id).where(Booking.status == BookingStatus.confirmed)
        ).all()
        assert sorted(held) == sorted(slot_ids)


def test_fifty_sign_ups_log_ins_and_intake_saves_at_once_are_all_stored(app, db, web):
    def sign_up(i: int) -> int:
        return Browser(web).submit(
            "/signup",
            {
                "role": "startup",
                "email": f"new{i}@startup.example",
                "display_name": f"N{i}",
                "organization": f"New {i}",
                "password": PASSWORD,
                "confirm": PASSWORD,
            },
        )

    assert _all_at_once(50, sign_up) == Counter({303: 50})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 50
        # Verified by their links, as they would be; then they log in and fill the intake.
        db.session.execute(sa.update(User).values(email_verified_at=utcnow()))
        db.session.commit()
    browsers: list[Browser] = [Browser(web) for _ in range(50)]

    def log_in(i: int) -> int:
        return browsers[i].submit(
            "/login", {"email": f"new{i}@startup.example", "password": PASSWORD}
        )

    assert _all_at_once(50, log_in) == Counter({302: 50})
    tokens = []
    for browser in browsers:
        status, page = browser.request("/intake")
        assert status == 200
        tokens.append(CSRF_RE.search(page).group(1))

    def save_intake(i: int) -> int:
        answers = {
            "csrf_token": tokens[i],
            "company_name": f"New {i}",
            "industry": "ict",
            "stage": "seed",
            "one_liner": "Batteries",
            "contact_name": "CEO",
            "contact_email": f"new{i}@startup.example",
            "business_registration_number": "",
        }
        return browsers[i].request("/intake", answers)[0]

    assert _all_at_once(50, save_intake) == Counter({302: 50})
    with app.app_context():
        saved = db.session.scalar(
            sa.select(sa.func.count()).where(StartupProfile.one_liner == "Batteries")
        )
        assert saved == 50


def test_two_workers_plan_and_send_each_reminder_once(app, db, web, database_url, tmp_path):
    occurrence_id, emails = _open_date(app, db, slots=8, startups=8)
    browsers = _logged_in(web, emails)
    tokens = _booking_forms(browsers, occurrence_id)
    slot_ids = _slot_ids(app, occurrence_id)

    def book(i: int) -> int:
        path = f"/occurrences/{occurrence_id}/book"
        return browsers[i].request(path, {"csrf_token": tokens[i], "slot_id": slot_ids[i]})[0]

    assert _all_at_once(8, book) == Counter({303: 8})
    with smtp_sink() as sink:
        environment = _environment(
            database_url,
            tmp_path,
            EVENTHUB_MAIL_BACKEND="smtp",
            EVENTHUB_MAIL_SERVER="127.0.0.1",
            EVENTHUB_MAIL_PORT=str(sink.port),
            EVENTHUB_DISPATCH_INTERVAL_SECONDS="1",
        )
        workers = [
            subprocess.Popen(
                [str(BIN / "eventhub"), "worker"],
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(sink.messages) < 8:
                time.sleep(0.5)
            time.sleep(2)  # a duplicate would arrive within a dispatch interval or two
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                assert worker.wait(timeout=30) == 0
    # The eight confirmations, each exactly once.
    assert sorted(str(m["To"]) for m in sink.messages) == sorted(emails)
    with app.app_context():
        reminders = db.session.execute(
            sa.select(OutboxMessage.recipient, sa.func.count())
            .where(
                OutboxMessage.kind == MessageKind.reminder,
                OutboxMessage.status == OutboxStatus.pending,
                OutboxMessage.occurrence_id == occurrence_id,
            )
            .group_by(OutboxMessage.recipient)
        ).all()
        # Three reminders per startup (7 days, 1 day and 2 hours before its slot), planned by
        # one of the two workers, once.
        assert dict(reminders) == dict.fromkeys(emails, 3)


def test_gunicorn_refuses_the_embedded_scheduler_with_a_message(database_url, db, tmp_path):
    process = subprocess.run(
        [str(BIN / "gunicorn"), "-c", "python:eventhub.gunicorn_conf", "eventhub:create_app()"],
        env=_environment(
            database_url,
            tmp_path,
            WEB_BIND=f"127.0.0.1:{free_port()}",
            WEB_CONCURRENCY="1",
            EVENTHUB_SCHEDULER_EMBEDDED="true",
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert process.returncode != 0
    assert "SCHEDULER_EMBEDDED is for the development server (eventhub run)" in process.stderr


def test_fifty_investors_answer_their_invitations_at_once(app, db, web):
    from eventhub.accounts.models import InvestorProfile
    from eventhub.invitations import services as invitations
    from eventhub.invitations.models import Invitation, RsvpStatus

    occurrence_id, _emails = _open_date(app, db, slots=1, startups=0)
    with app.app_context():
        investors = [
            InvestorProfile(email=f"vc{i}@fund.example", firm=f"Fund {i}", person_name=f"VC {i}")
            for i in range(50)
        ]
        db.session.add_all(investors)
        db.session.flush()
        occurrence = db.session.get(Occurrence, occurrence_id)
        made = invitations.invite([occurrence], investors=investors, actor_id=None, now=utcnow())
        db.session.commit()
        tokens = [invitations.rsvp_token(invitation) for invitation in made]
    browsers = [Browser(web) for _ in tokens]
    forms = []
    for browser, token in zip(browsers, tokens, strict=True):
        status, page = browser.request(f"/rsvp/{token}")
        assert status == 200
        forms.append(CSRF_RE.search(page).group(1))

    def answer(i: int) -> int:
        data = {"csrf_token": forms[i], "answer": "accepted"}
        return browsers[i].request(f"/rsvp/{tokens[i]}", data)[0]

    assert _all_at_once(50, answer) == Counter({303: 50})
    with app.app_context():
        answered = db.session.scalars(sa.select(Invitation.status)).all()
        assert Counter(answered) == Counter({RsvpStatus.accepted: 50})


def test_gunicorn_answers_an_untrusted_host_with_a_plain_400(database_url, db, tmp_path):
    with _gunicorn(database_url, tmp_path, processes=1, EVENTHUB_TRUSTED_HOSTS="127.0.0.1") as (
        base,
        _process,
    ):
        port = int(base.rsplit(":", 1)[1])
        for method in ("GET", "HEAD", "POST"):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request(method, "/login", headers={"Host": "evil.example"})
            response = connection.getresponse()
            body = response.read().decode()
            connection.close()
            assert response.status == 400, (method, body)
            assert response.getheader("Content-Type").startswith("text/plain")
            assert (body == "") if method == "HEAD" else ("not served at this address" in body)
        assert Browser(base).request("/login")[0] == 200


@contextlib.contextmanager
def _write_lock_held(app: Any, database_url: str) -> Iterator[None]:
    """Hold the database's write lock on the user table from outside the server while the
    block runs: a sign-up waits for it, as it would behind a long write."""
    if database_url.startswith("sqlite"):
        import sqlite3

        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    from eventhub.extensions import db as database

    with app.app_context(), database.engine.connect() as connection:
        connection.exec_driver_sql('LOCK TABLE "user" IN SHARE ROW EXCLUSIVE MODE')
        try:
            yield
        finally:
            connection.rollback()


def test_sigterm_lets_gunicorn_finish_the_request_in_flight_and_store_it(
    app, db, database_url, tmp_path
):
    with _gunicorn(database_url, tmp_path, processes=2) as (base, master):
        browser = Browser(base)
        status, page = browser.request("/signup")
        assert status == 200
        form = {
            "csrf_token": CSRF_RE.search(page).group(1),
            "role": "startup",
            "email": "late@startup.example",
            "display_name": "Late",
            "organization": "Late Inc",
            "password": PASSWORD,
            "confirm": PASSWORD,
        }
        with ThreadPoolExecutor(1) as pool, _write_lock_held(app, database_url):
            answer = pool.submit(browser.request, "/signup", form)
            time.sleep(1)  # the sign-up is now waiting for the write lock
            assert not answer.done()
            master.send_signal(signal.SIGTERM)
            time.sleep(1)  # every process has been told to stop
        # The lock is free: the request in flight completes, then the server exits cleanly.
        assert answer.result(timeout=30)[0] == 303
        assert master.wait(timeout=30) == 0
    with app.app_context():
        stored = db.session.scalars(sa.select(User.email)).all()
    assert stored == ["late@startup.example"]
