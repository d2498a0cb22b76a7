"""Fixtures: the app on SQLite or PostgreSQL, a clean database per test, clients, factories.

The suite runs once per backend: `pytest` (SQLite) and `pytest --backend=postgresql`, which
needs EVENTHUB_TEST_POSTGRES_URL. Without it the PostgreSQL pass skips with a reason, except
under CI=true, where a missing PostgreSQL (or Chromium) fails the run.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Property tests explore new examples on developers' machines; CI replays a fixed set so that
# a submission's result does not depend on luck. EVENTHUB_HYPOTHESIS_EXAMPLES scales them up.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    hypothesis_settings.load_profile("ci")
EXAMPLES = int(os.environ.get("EVENTHUB_HYPOTHESIS_EXAMPLES", "0")) or None
PG_ENV = "EVENTHUB_TEST_POSTGRES_URL"
PASSWORD = "correct-horse-42"
ROOT_DIR = Path(__file__).resolve().parents[1]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="database backend for this pass of the suite",
    )
    parser.addoption(
        "--fake-today",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="run the whole pass as if today were this date (time-machine; the time of day and "
        "the seconds keep running): proves the suite does not depend on the real date",
    )


TIME_SHIFT_ENV = "TESTS_TIME_SHIFT_SECONDS"
TIMESHIFT_DIR = Path(__file__).resolve().parent / "timeshift"


@contextlib.contextmanager
def moved_clock(to: datetime) -> Iterator[None]:
    """Move the clock to `to` while the block runs; it keeps ticking from there.

    Everything in this process that asks for the time follows (`core.clock.utcnow`,
    `datetime.now`, `time.time`, so signed tokens too); `time.monotonic` and `sleep` do not, so
    timeouts stay real. Python processes started inside the block (gunicorn, `eventhub worker`)
    move by the same shift through tests/timeshift/sitecustomize.py. The database server's own
    clock does not move: no SQL of ours reads it (NOW(), CURRENT_TIMESTAMP).
    """
    import time_machine
    from time_machine import escape_hatch

    real = escape_hatch.datetime.datetime if escape_hatch.is_travelling() else datetime
    shift = to - real.now(UTC)
    saved = {name: os.environ.get(name) for name in (TIME_SHIFT_ENV, "PYTHONPATH")}
    os.environ[TIME_SHIFT_ENV] = str(shift.total_seconds())
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(TIMESHIFT_DIR), saved["PYTHONPATH"]])
    )
    try:
        with time_machine.travel(to, tick=True):
            time.time()  # time-machine ticks from the first reading: start it now, as `shift` did
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


FAKE_TODAY = pytest.StashKey[contextlib.ExitStack]()


def pytest_configure(config: pytest.Config) -> None:
    today = config.getoption("--fake-today")
    if today is not None:
        stack = contextlib.ExitStack()
        stack.enter_context(moved_clock(datetime.combine(today, datetime.now(UTC).time(), UTC)))
        config.stash[FAKE_TODAY] = stack


def pytest_unconfigure(config: pytest.Config) -> None:
    stack = config.stash.get(FAKE_TODAY, None)
    if stack is not None:
        stack.close()


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"eventhub backend: {config.getoption('--backend')}"]
    if config.getoption("--fake-today") is not None:
        lines.append(f"eventhub fake today: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    return lines


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    backend = config.getoption("--backend")
    if backend == "postgresql" and not os.environ.get(PG_ENV):
        if IN_CI:
            raise pytest.UsageError(
                f"CI=true but {PG_ENV} is not set: the PostgreSQL pass must run in CI"
            )
        skip = pytest.mark.skip(reason=f"PostgreSQL pass needs {PG_ENV} (see README)")
        for item in items:
            item.add_marker(skip)
        return
    if backend == "sqlite":
        skip_pg = pytest.mark.skip(reason="runs in the PostgreSQL pass only")
        for item in items:
            if "postgres_only" in item.keywords:
                item.add_marker(skip_pg)
    js_ready = shutil.which("node") and (ROOT_DIR / "tests/js/node_modules/ical.js").exists()
    if IN_CI and not js_ready and any("icaljs" in item.keywords for item in items):
        raise pytest.UsageError("CI=true but Node.js or ical.js is missing (make node-deps)")
    if not shutil.which("chromium"):
        if IN_CI and any("browser" in item.keywords for item in items):
            raise pytest.UsageError("CI=true but Debian's chromium is not installed")
        skip_browser = pytest.mark.skip(reason="needs Debian's chromium (make browser-deps)")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip_browser)


@pytest.fixture(scope="session")
def backend(pytestconfig: pytest.Config) -> str:
    return pytestconfig.getoption("--backend")


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if backend == "postgresql":
        return os.environ[PG_ENV]
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'eventhub-test.sqlite3'}"


def make_test_app(database_url: str, instance: Path, **overrides: Any) -> Flask:
    from eventhub import create_app

    os.environ["EVENTHUB_INSTANCE_PATH"] = str(instance)
    # Room for the concurrency tests' 50 threads, each with a connection of its own.
    engine = {"pool_size": 60, "max_overflow": 10, "pool_timeout": 60}
    return create_app(
        {
            "ENV_NAME": "testing",
            "DATABASE_URL": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine,
            **overrides,
        }
    )


def wipe_schema(engine: sa.Engine) -> None:
    """Drop every table (and the Alembic version) so migrations start from nothing."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        else:
            meta = sa.MetaData()
            meta.reflect(connection)
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            meta.drop_all(connection)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app per pass; its schema is built by the real migrations."""
    from flask_migrate import upgrade

    from eventhub.extensions import db

    application = make_test_app(database_url, tmp_path_factory.mktemp("instance"))
    with application.app_context():
        wipe_schema(db.engine)
        upgrade()
        db.session.remove()
    yield application
    with application.app_context():
        db.engine.dispose()


def clean_database(engine: sa.Engine) -> None:
    from eventhub.extensions import db

    tables = [t.name for t in db.metadata.sorted_tables]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.exec_driver_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        else:
            # Audit rows refuse DELETE (TRUNCATE on PostgreSQL fires no row trigger): lift the
            # guards while emptying, and put them back.
            from eventhub.core.audit import SQLITE_GUARD_NAMES, SQLITE_GUARDS

            for name in SQLITE_GUARD_NAMES:
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
            for name in reversed(tables):
                # Table names come from our own metadata, not from input.
                connection.exec_driver_sql(f'DELETE FROM "{name}"')  # noqa: S608
            for statement in SQLITE_GUARDS:
                connection.exec_driver_sql(statement)


@pytest.fixture
def db(app: Flask) -> Iterator[Any]:
    """The database, empty at the start of the test and emptied after it."""
    from eventhub.extensions import db as database

    with app.app_context():
        clean_database(database.engine)
    yield database
    with app.app_context():
        database.session.remove()
        clean_database(database.engine)
    mail_outbox = getattr(app.extensions["mailman"], "outbox", None)
    if mail_outbox is not None:
        mail_outbox.clear()


@pytest.fixture
def client(app: Flask, db: Any) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask, db: Any) -> Any:
    return app.test_cli_runner()


CLOCK = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 2026-11-30 10:00 KST, a Monday


@pytest.fixture
def clock() -> Iterator[datetime]:
    """The test's "now": 2026-11-30 10:00 KST. Services get it as `now=clock`; the app's clock
    (views, jobs, `core.clock.utcnow`) starts there too and ticks on for the test, so data built
    at fixed dates (a series from 2026-12-16) stays in the future whatever the real date is."""
    with moved_clock(CLOCK):
        yield CLOCK


@pytest.fixture(autouse=True)
def _clock_before_other_fixtures(request: pytest.FixtureRequest) -> None:
    """A test that uses `clock` (itself or through a fixture) moves time before any other of
    its fixtures runs, so none of them reads the real time first."""
    if "clock" in request.fixturenames:
        request.getfixturevalue("clock")


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# The token in forms and in the page's csrf-token meta (for htmx) carries the second it was
# made: two renders of the same page differ by it when a second passes between them.
TOKENS_RE = re.compile(r'(name="csrf_token" value|name="csrf-token" content)="[^"]*"')


def without_tokens(page: str) -> str:
    """A page with its CSRF tokens taken out, to compare two renders of it."""
    return TOKENS_RE.sub("", page)


def csrf_token(client: FlaskClient, url: str, headers: dict[str, str] | None = None) -> str:
    page = client.get(url, headers=headers or {})
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """Submit a form the way a browser does: load the page, then post with its CSRF token."""
    token = csrf_token(client, kwargs.pop("form_url", url), kwargs.get("headers"))
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


@pytest.fixture
def create_center(app: Flask, db: Any) -> Callable[..., int]:
    from eventhub.centers.models import Center

    def factory(slug: str = "daegu", **fields: Any) -> int:
        with app.app_context():
            center = Center(
                slug=slug,
                name_ko=fields.pop("name_ko", f"{slug} 센터"),
                name_en=fields.pop("name_en", f"{slug} center"),
                region_ko=fields.pop("region_ko", slug),
                region_en=fields.pop("region_en", slug),
                partner_company_ko=fields.pop("partner_company_ko", "삼성"),
                partner_company_en=fields.pop("partner_company_en", "Samsung"),
                industries=fields.pop("industries", ["electronics"]),
                **fields,
            )
            db.session.add(center)
            db.session.commit()
            return center.id

    return factory


@pytest.fixture
def create_user(app: Flask, db: Any, clock: datetime) -> Callable[..., int]:
    from eventhub.accounts import services as accounts
    from eventhub.accounts.models import Role

    def factory(
        email: str = "someone@example.com",
        *,
        role: str = "startup",
        password: str = PASSWORD,
        locale: str = "ko",
        center_ids: tuple[int, ...] = (),
        display_name: str = "Someone",
    ) -> int:
        from eventhub.centers.models import OrganizerMembership

        with app.app_context():
            user = accounts.create_user(
                email=email,
                password=password,
                display_name=display_name,
                role=Role(role),
                locale=locale,
                now=clock,
            )
            for center_id in center_ids:
                db.session.add(OrganizerMembership(user_id=user.id, center_id=center_id))
            db.session.commit()
            return user.id

    return factory


@pytest.fixture
def auth(client: FlaskClient, create_user: Callable[..., int]) -> Callable[..., int]:
    """Log the test client in as a new user of `role`; returns the user's id."""

    def login(role: str = "startup", email: str | None = None, **kwargs: Any) -> int:
        email = email or f"{role}@example.com"
        user_id = create_user(email, role=role, **kwargs)
        response = post_form(client, "/login", {"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user_id

    return login


class RecordingHandler:
    """An aiosmtpd handler that keeps every message it accepts, and can misbehave on purpose:

    - `refuse[address]`: the RCPT answer for that recipient (e.g. "550 5.1.1 no such user");
    - `data_faults[address]`: answers to give, one per attempt, instead of accepting a
      message to that recipient (e.g. ["451 4.3.0 try later"]; "421 ..." closes the link);
    - `delay`: seconds to take over each message (a slow server, for crash tests).
    """

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.refuse: dict[str, str] = {}
        self.data_faults: dict[str, list[str]] = {}
        self.delay = 0.0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio
        from email import message_from_bytes, policy

        if self.delay:
            await asyncio.sleep(self.delay)
        for address in envelope.rcpt_tos:
            faults = self.data_faults.get(address)
            if faults:
                return faults.pop(0)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.messages]


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def smtp_sink(port: int | None = None) -> Iterator[RecordingHandler]:
    """Run a real SMTP server (aiosmtpd) on a loopback port while the block runs."""
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    handler.port = port or free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) on a free loopback port; `.messages` holds what arrived."""
    with smtp_sink() as handler:
        yield handler


@pytest.fixture
def plan_reminders(app: Flask) -> Callable[[datetime], int]:
    """Run the reminder planner job at a chosen instant, as the worker does after changes;
    returns how many occurrences it planned."""
    from flask import has_app_context

    from eventhub.extensions import db as database
    from eventhub.notifications.jobs import plan_reminders_job

    def plan(now: datetime) -> int:
        if has_app_context():
            # End the caller's transaction: the job runs in a session of its own and must see
            # what the caller committed, and the caller must see what the job commits.
            database.session.commit()
        return plan_reminders_job(app, now=now)

    return plan


@pytest.fixture
def send_mail(app: Flask, smtp_server: Any) -> Callable[[], int]:
    """Run the outbox dispatcher once against the test SMTP server."""
    from eventhub.core.dispatch import dispatch_batch
    from eventhub.core.mailsmtp import SMTP_BACKEND
    from eventhub.extensions import mail

    def send(now: datetime | None = None) -> int:
        with app.app_context():
            connection = mail.get_connection(
                backend=SMTP_BACKEND, host="127.0.0.1", port=smtp_server.port, timeout=5
            )
            return dispatch_batch(now=now, connection=connection).sent

    return send
