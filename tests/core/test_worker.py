"""`eventhub worker` as real processes: killed mid-batch, stopped with SIGTERM, run in pairs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from eventhub.core.clock import utcnow
from eventhub.core.outbox import OutboxMessage, OutboxStatus
from tests.core.test_dispatch import add_messages

EVENTHUB = Path(sys.executable).parent / "eventhub"


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class Workers:
    """Start `eventhub worker` processes against the test database and SMTP server."""

    def __init__(self, database_url: str, tmp_path: Path, smtp_port: int) -> None:
        self.env = {
            **os.environ,
            "EVENTHUB_ENV": "testing",
            "DATABASE_URL": database_url,
            "EVENTHUB_INSTANCE_PATH": str(tmp_path / "instance"),
            "EVENTHUB_MAIL_BACKEND": "smtp",
            "EVENTHUB_MAIL_SERVER": "127.0.0.1",
            "EVENTHUB_MAIL_PORT": str(smtp_port),
            "EVENTHUB_DISPATCH_INTERVAL_SECONDS": "1",
            "EVENTHUB_OUTBOX_BATCH_SIZE": "50",
            "EVENTHUB_OUTBOX_LEASE_SECONDS": "4",
        }
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        log = (self.tmp_path / f"worker-{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 - our own console script
            [str(EVENTHUB), "worker"], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.tmp_path.glob("worker-*.log")))

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def workers(database_url, tmp_path, smtp_server) -> Any:
    group = Workers(database_url, tmp_path, smtp_server.port)
    yield group
    group.stop_all()


def rows_by_status(db: Any) -> dict[str, int]:
    counts = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    ).tuples()
    db.session.rollback()
    return {OutboxStatus(status).value: count for status, count in counts}


def test_a_worker_killed_mid_batch_is_taken_over_and_every_message_arrives(
    app, db, smtp_server, workers
):
    smtp_server.delay = 0.005
    with app.app_context():
        add_messages(db, 500, now=utcnow() - timedelta(seconds=1))
    first = workers.start()
    wait_until(lambda: len(smtp_server.messages) >= 120, timeout=60, what="a first part")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    arrived_before_the_kill = len(smtp_server.messages)
    assert arrived_before_the_kill < 500, "the worker finished before it could be killed"
    workers.start()
    wait_until(
        lambda: len(set(smtp_server.message_ids())) == 500, timeout=90, what="all 500 messages"
    )
    ids = smtp_server.message_ids()
    # Every message arrived. Copies can only be messages sent since the killed worker's last
    # commit of outcomes (at most OUTBOX_MARK_EVERY, within the one batch in flight), and
    # each carries the same Message-ID as its first.
    assert len(set(ids)) == 500
    assert len(ids) - 500 <= app.config["OUTBOX_MARK_EVERY"], workers.logs()
    with app.app_context():
        wait_until(lambda: rows_by_status(db) == {"sent": 500}, timeout=10, what="all marked sent")


def test_sigterm_stops_a_worker_after_the_message_in_flight(app, db, smtp_server, workers):
    smtp_server.delay = 0.02
    with app.app_context():
        add_messages(db, 200, now=utcnow() - timedelta(seconds=1))
    worker = workers.start()
    wait_until(lambda: len(smtp_server.messages) >= 20, timeout=60, what="sending to start")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0, workers.logs()
    arrived = len(smtp_server.messages)
    assert arrived < 200
    with app.app_context():
        # Nothing was lost or left claimed: what arrived is marked sent, the rest is pending
        # for the next worker, with no attempt counted.
        assert rows_by_status(db) == {"sent": arrived, "pending": 200 - arrived}
        attempts = db.session.scalars(
            sa.select(sa.func.max(OutboxMessage.attempts)).where(
                OutboxMessage.status == OutboxStatus.pending
            )
        ).one()
        assert attempts == 0
    assert "stopping after the message in flight" in workers.logs()
    # A worker started again sends the rest: each of the 200 exactly once.
    restarted = workers.start()
    wait_until(lambda: len(smtp_server.messages) >= 200, timeout=60, what="the rest to arrive")
    time.sleep(2)  # a copy would arrive within a dispatch interval or two
    restarted.send_signal(signal.SIGTERM)
    assert restarted.wait(timeout=30) == 0, workers.logs()
    ids = smtp_server.message_ids()
    assert len(ids) == len(set(ids)) == 200
    with app.app_context():
        assert rows_by_status(db) == {"sent": 200}


@pytest.mark.postgres_only
def test_two_workers_on_postgresql_send_each_message_exactly_once(app, db, smtp_server, workers):
    with app.app_context():
        add_messages(db, 1000, now=utcnow() - timedelta(seconds=1))
    one, two = workers.start(), workers.start()
    wait_until(lambda: len(smtp_server.messages) >= 1000, timeout=120, what="1000 messages")
    time.sleep(1)  # anything sent twice would arrive now
    for worker in (one, two):
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    ids = smtp_server.message_ids()
    assert (len(ids), len(set(ids))) == (1000, 1000)
    with app.app_context():
        assert rows_by_status(db) == {"sent": 1000}
