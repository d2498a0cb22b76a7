"""The declarative base, the UTC column type, SQLite connection settings and the check of a
PostgreSQL connection handed out by the pool."""

from __future__ import annotations

import select
import time
from datetime import UTC, datetime
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import pq as psycopg_pq
from sqlalchemy import event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import Pool

from eventhub.core.errors import TextTooLong

# Stable constraint names, so that migrations can drop and alter them on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator):
    """An instant, always aware UTC in Python.

    PostgreSQL stores ``timestamptz``. SQLite has no zone, so the value is stored as naive UTC
    and the zone is put back on the way out; a naive value on the way in is a bug and refused.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """Read values without a conversion where none is needed.

        On SQLite, parse the stored text as UTC in one step.

        The generic path parses, then `process_result_value` calls ``replace(tzinfo=UTC)``,
        which costs ten times the parse; a feed reads thousands of these. Parsing the text with
        ``+00:00`` appended gives the same value (a test pins the values); a stored text
        that already has an offset takes the generic path.
        """
        if dialect.name != "sqlite":
            if self.impl_instance.result_processor(dialect, coltype) is not None:
                return super().result_processor(dialect, coltype)

            def aware(value: datetime | None) -> datetime | None:
                # Sessions run in UTC (see create_app), so this is mostly the first line.
                if value is None or value.tzinfo is UTC:
                    return value
                return self.process_result_value(value, dialect)

            return aware
        parse = datetime.fromisoformat

        def process(value: str | None) -> datetime | None:
            if value is None:
                return None
            try:
                return parse(value + "+00:00")
            except (TypeError, ValueError):
                return self.process_result_value(parse(value), dialect)

        return process


class LimitedText(sa.types.TypeDecorator):
    """Text of at most `length` characters: TEXT in the database, bounded in the model.

    A TEXT column keeps the schema (and every migration) as it was; VARCHAR(n) would bound
    PostgreSQL only, since SQLite ignores the length. The bound is checked on assignment for
    this and every String(n) column, on both backends (see `_refuse_too_long_text`).
    """

    impl = sa.Text
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__()
        self.length = length


class Base(DeclarativeBase):
    """Base of every model."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


# Per mapped class: (attribute, longest) for every bounded text column.
_BOUNDED: dict[type, list[tuple[str, int]]] = {}


@event.listens_for(sa.orm.Mapper, "mapper_configured")
def _collect_bounded_columns(mapper: Any, class_: type) -> None:
    bounded = []
    for prop in mapper.column_attrs:
        column_type = prop.columns[0].type
        longest = getattr(column_type, "length", None)
        text = isinstance(column_type, (sa.String, LimitedText))
        if longest and text and not isinstance(column_type, sa.Enum):
            bounded.append((prop.key, longest))
    _BOUNDED[class_] = bounded


@event.listens_for(sa.orm.Session, "before_flush")
def _refuse_too_long_text(session: sa.orm.Session, flush_context: Any, instances: Any) -> None:
    """Refuse too-long text at flush, as a message for a person (422), instead of a database
    error (PostgreSQL) or a silently stored megabyte (SQLite). At flush, not on assignment:
    a service may set a raw value and normalize it before it is written."""
    for instance in (*session.new, *session.dirty):
        for key, longest in _BOUNDED.get(type(instance), ()):
            value = instance.__dict__.get(key)
            if isinstance(value, str) and len(value) > longest:
                raise TextTooLong(longest)


def enum_column(enum_cls: type, name: str, **kwargs: Any) -> sa.Enum:
    """A portable enum: VARCHAR plus a named CHECK constraint, storing the enum's values."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        validate_strings=True,
        values_callable=lambda e: [member.value for member in e],
        **kwargs,
    )


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL, a busy timeout and foreign keys on every SQLite connection."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # Let SQLAlchemy, not the sqlite3 module, decide when a transaction begins (see _begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection: sa.Connection) -> None:
    """Start SQLite transactions ourselves, so that savepoints work and a writer can ask for
    ``BEGIN IMMEDIATE`` (execution option ``sqlite_begin="IMMEDIATE"``): in WAL mode a
    transaction that reads and then writes otherwise fails with "database is locked"."""
    if connection.dialect.name != "sqlite":
        return
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
        raise ValueError(f"unknown SQLite begin mode {mode!r}")
    connection.exec_driver_sql(f"BEGIN {mode}")


# --- PostgreSQL connections: checked at checkout without a round trip ------------------------

# A connection idle for longer than this is pinged (one round trip) before it is handed out.
IDLE_PING_SECONDS = 30.0


@event.listens_for(Pool, "connect")
@event.listens_for(Pool, "checkin")
def _note_idle_since(dbapi_connection: Any, connection_record: Any) -> None:
    connection_record.info["idle_since"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _check_postgresql(dbapi_connection: Any, connection_record: Any, proxy: Any) -> None:
    """Hand out only a live PostgreSQL connection, usually without asking the server.

    The pool's pre-ping cost every request a round trip (a SELECT 1) before its first query;
    on the public pages that was one of five or six (issue 13). Instead: a connection whose
    socket has something to read while it sat idle in the pool has been closed by the server
    (a restart, `pg_terminate_backend`, an idle timeout: the server says FATAL and hangs up),
    and one idle for longer than `IDLE_PING_SECONDS` is pinged as before, for the network
    losses nobody announces. Raising `DisconnectionError` makes the pool throw the connection
    away and hand out a fresh one (tests/test_production.py restarts the backends under a
    running server)."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return  # SQLite: a file, nothing to lose
    if dbapi_connection.closed or pgconn.status != psycopg_pq.ConnStatus.OK:
        raise sa.exc.DisconnectionError("the connection is closed")
    try:
        poller = select.poll()  # not select(): that refuses file descriptors above 1023
        poller.register(pgconn.socket, select.POLLIN)
        readable = poller.poll(0)
    except (OSError, ValueError, psycopg.Error) as exc:  # psycopg: "the connection is lost"
        raise sa.exc.DisconnectionError("the connection's socket is gone") from exc
    if readable:
        raise sa.exc.DisconnectionError("the server closed the connection while it was idle")
    if time.monotonic() - connection_record.info.get("idle_since", 0.0) <= IDLE_PING_SECONDS:
        return
    autocommit = dbapi_connection.autocommit
    try:
        dbapi_connection.autocommit = True  # no BEGIN for the ping
        dbapi_connection.execute("SELECT 1")
        dbapi_connection.autocommit = autocommit
    except psycopg.Error as exc:
        raise sa.exc.DisconnectionError("the connection did not answer a ping") from exc
