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
from eventhub.core.transactions import READ_ONLY, read_only
from eventhub.extensions import db as database


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


@pytest.mark.postgres_only
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


@pytest.mark.postgres_only
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
        assert name == "daegu center"


@pytest.mark.postgres_only
def test_a_public_page_holds_no_transaction_open_on_postgresql(app, db, client, create_center):
    # No BEGIN before a public page's reads and no COMMIT after: after each of its statements
    # the server is idle, not inside a transaction (as it is for any other page).
    create_center(slug="busan")
    seen: list[tuple[str, str]] = []

    def note(conn, cursor, statement, parameters, context, many):
        status = conn.connection.dbapi_connection.info.transaction_status.name
        seen.append((statement.split(maxsplit=1)[0], status))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "after_cursor_execute", note)
    try:
        assert client.get("/").status_code == 200
        assert client.get("/centers/busan").status_code == 200
        public = list(seen)
        seen.clear()
        with app.app_context():  # any other reading: inside its transaction
            db.session.execute(sa.text("SELECT 1"))
            db.session.rollback()
    finally:
        sa.event.remove(engine, "after_cursor_execute", note)
    assert len(public) >= 3  # the home page's centers and dates, the center page's
    assert {status for _, status in public} == {"IDLE"}
    assert seen == [("SELECT", "INTRANS")]


def _writing_view() -> str:
    db_session().add(User(email="sneaky@example.com", password_hash="x", role="startup"))
    db_session().flush()
    return "written"


def _writing_statement() -> str:
    db_session().execute(sa.text("UPDATE center SET name_en = 'Changed'"))
    return "written"


@pytest.mark.parametrize("view", [_writing_view, _writing_statement])
def test_a_read_only_page_that_writes_fails_and_nothing_is_written(app, db, create_center, view):
    create_center(slug="daegu")
    with app.test_request_context("/", method="GET"):
        with pytest.raises(RuntimeError, match="read_only"):
            read_only(view)()
        db_session().rollback()
    with app.app_context():
        assert db_session().scalar(sa.select(sa.func.count()).select_from(User)) == 0
        assert db_session().scalar(sa.text("SELECT name_en FROM center")) == "daegu center"
        assert READ_ONLY not in db_session().info


def db_session():
    return database.session
