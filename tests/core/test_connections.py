"""PostgreSQL connections the pool hands out: checked without a round trip, replaced when the
server has dropped them, and pinged after sitting idle (core/db.py, `_check_postgresql`); public
pages that only read run without a transaction (core/transactions.py, `read_only`)."""

from __future__ import annotations

import time

import psycopg
import pytest
import sqlalchemy as sa

from eventhub.accounts.models import User
from eventhub.core import db as core_db
from eventhub.core.transactions import READ_ONLY

pytestmark = pytest.mark.postgres_only


def _terminate_idle_backends(url: str) -> int:
    """What a server restart or an idle timeout does to the app's pooled connections: the
    server ends them (FATAL, then it hangs up) while they sit idle in the pool."""
    with psycopg.connect(url, autocommit=True) as admin:
        pids = [
            row[0]
            for row in admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state = 'idle'"
            )
        ]
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(50):
            alive = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)
            ).fetchone()[0]
            if not alive:
                break
            time.sleep(0.1)
    return len(pids)


def test_pages_and_writes_go_on_after_the_server_dropped_every_pooled_connection(
    app, db, client, database_url, create_center, create_user
):
    create_center(slug="busan")
    for _ in range(4):  # several requests: several connections in the pool
        assert client.get("/").status_code == 200
        assert client.get("/centers/busan").status_code == 200

    assert _terminate_idle_backends(database_url) >= 1

    for _ in range(4):
        assert client.get("/").status_code == 200
        assert client.get("/centers/busan").status_code == 200
    user_id = create_user(email="after-restart@example.com")
    with app.app_context():
        assert db.session.get(User, user_id).email == "after-restart@example.com"


def test_a_connection_idle_past_the_limit_is_pinged_and_stays_transactional(
    app, db, client, monkeypatch, create_center
):
    monkeypatch.setattr(core_db, "IDLE_PING_SECONDS", -1.0)  # every checkout pings
    create_center(slug="daegu")
    assert client.get("/centers/daegu").status_code == 200
    with app.app_context():
        connection = db.session.connection()
        # The ping ran in autocommit and left the connection as the pool expects it.
        assert connection.connection.dbapi_connection.autocommit is False
        connection.execute(sa.text("UPDATE center SET name_en = 'Changed' WHERE slug = 'daegu'"))
        db.session.rollback()
        name = db.session.scalar(sa.text("SELECT name_en FROM center WHERE slug = 'daegu'"))
        assert name != "Changed"


def test_a_flush_in_a_read_only_request_is_refused(app, db):
    with app.app_context():
        db.session.info[READ_ONLY] = True
        db.session.add(User(email="sneaky@example.com", password_hash="x", role="startup"))
        with pytest.raises(RuntimeError, match="read_only"):
            db.session.flush()
        db.session.rollback()
        assert READ_ONLY not in db.session.info
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
