"""`eventhub backup` and `eventhub restore`: a consistent SQLite snapshot taken under writes."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa

from eventhub.core.clock import utcnow
from eventhub.core.outbox import MessageKind, OutboxMessage, OutboxStatus


def _pair(n: int) -> list[dict]:
    """Two rows written by one transaction: a backup holds both or neither."""
    now = utcnow()
    return [
        {
            "key": f"load:{n}:{half}",
            "kind": MessageKind.transactional.value,
            "recipient": f"p{n}@example.com",
            "locale": "en",
            "template": "t",
            "data": {},
            "subject": "s",
            "body_text": "b",
            "body_html": "b",
            "headers": {},
            "attachments": [],
            "status": OutboxStatus.pending.value,
            "due_at": now,
            "attempts": 0,
            "created_at": now,
        }
        for half in ("a", "b")
    ]


def test_a_backup_taken_under_writes_restores_every_committed_row(
    app, db, runner, backend, tmp_path
):
    target = tmp_path / "backup.sqlite3"
    if backend == "postgresql":
        result = runner.invoke(args=["backup", str(target)])
        assert result.exit_code == 1
        assert "for PostgreSQL use pg_dump and pg_restore" in result.output
        return
    with app.app_context():
        for n in range(200):
            db.session.execute(sa.insert(OutboxMessage.__table__), _pair(n))
        db.session.commit()
    stop = threading.Event()
    written = []

    def write() -> None:
        n = 1000
        with app.app_context():
            while not stop.is_set():
                db.session.execute(sa.insert(OutboxMessage.__table__), _pair(n))
                db.session.commit()
                written.append(n)
                n += 1
            db.session.remove()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 20:
            stop.wait(0.01)
        result = runner.invoke(args=["backup", str(target)])
        while len(written) < 40:  # the app kept writing during and after the backup
            stop.wait(0.01)
    finally:
        stop.set()
        writer.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Backed up to {target} (")
    with sqlite3.connect(target) as copy:
        keys = {key for (key,) in copy.execute("SELECT key FROM outbox_message")}
    pairs = {key.rsplit(":", 1)[0] for key in keys}
    # Every row committed before the backup began, and never half of a transaction.
    assert {f"load:{n}" for n in range(200)} <= pairs
    assert keys == {f"{pair}:{half}" for pair in pairs for half in ("a", "b")}
    assert len(pairs) < 200 + len(written)  # the writes after the snapshot are not in it

    # Restore into the app's own database file: what was written after the backup is gone.
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()
        restored = set(db.session.scalars(sa.select(OutboxMessage.key)))
        db.session.remove()
    assert restored == keys


def test_backup_refuses_to_overwrite_and_restore_refuses_a_file_that_is_not_a_database(
    runner, backend, tmp_path
):
    if backend == "postgresql":
        pytest.skip("SQLite files only; the PostgreSQL answer is checked above")
    existing = tmp_path / "exists.sqlite3"
    existing.write_bytes(b"")
    result = runner.invoke(args=["backup", str(existing)])
    assert (result.exit_code, "exists already" in result.output) == (1, True)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    result = runner.invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code == 1
    assert "is not an SQLite database" in result.output
