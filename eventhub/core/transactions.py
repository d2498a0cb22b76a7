"""Write transactions that read before they write.

SQLite in WAL mode fails a transaction that read and then tries to write while another writer
committed in between ("database is locked", whatever the busy timeout). A use case that reads
and then writes therefore starts its transaction with BEGIN IMMEDIATE, which takes the write
lock up front and waits (busy timeout) for it. PostgreSQL uses row locks (SELECT ... FOR
UPDATE) and constraints instead; there this is a plain BEGIN.

The other way round, a public page that only reads (`read_only`) runs its statements on
PostgreSQL without a transaction around them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from flask import request
from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session

from eventhub.core.metrics import count_job_failure
from eventhub.extensions import db

log = logging.getLogger("eventhub.jobs")


def begin_write() -> None:
    """End the request's read-only transaction so far and begin a write transaction.

    Call it before the use case reads anything it decides on. Anything read earlier in the
    request is expired and reloaded in the new transaction.
    """
    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_write() must come before any change in the session")
    if session.in_transaction():
        session.rollback()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


@dataclass
class Unit:
    """What became of a unit of work: `committed` is true once its commit went through."""

    committed: bool = False


@contextmanager
def unit_of_work(what: str) -> Iterator[Unit]:
    """One unit of a job's work (one message, one occurrence, one offer) in a write transaction
    of its own: committed when the block ends, rolled back and logged if it raises, so one
    failure can neither undo nor repeat the others."""
    unit = Unit()
    try:
        begin_write()
        yield unit
        db.session.commit()
        unit.committed = True
    except Exception:
        db.session.rollback()
        count_job_failure()
        log.exception("%s failed; the next run tries again", what)


def lock_row(model: type, row_id: int) -> None:
    """Take the row lock of `model`'s row `row_id` until the transaction ends (SELECT ... FOR
    UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already lets one writer in at a time). A
    change that reads what it then writes takes it first, so two of them at once run one after
    the other instead of both writing what they read."""
    db.session.execute(sa.select(model.id).where(model.id == row_id).with_for_update())


READ_ONLY = "eventhub_read_only"
P = ParamSpec("P")
R = TypeVar("R")


def read_only(view: Callable[P, R]) -> Callable[P, R]:
    """A public page that only reads (home, center, series, date): on PostgreSQL its few
    statements run in autocommit, with no BEGIN before them and no COMMIT after, two of the
    five or six round trips such a page paid (issue 13, docs/benchmarks.md "Public pages").
    Each statement then sees the data as of its own start, not the first's: these pages'
    statements read different things (the dates, the slots, the centers), and a list a
    moment newer than its heading is what the next visit would show anyway.

    Only on a GET or HEAD that has not begun its transaction yet (nothing before the view
    reads the database on a GET, so in practice every such request, logged in or not). Writes
    are refused, on both databases: a flush (`_refuse_writes`) and any statement other than a
    read (`_refuse_write_statements`) raise, because on PostgreSQL a change there would be
    committed statement by statement; a page that writes is a bug to find, not a write to
    allow. SQLite's BEGIN costs no round trip, so there the page keeps its transaction."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = db.session()
        if not session.in_transaction() and request.method in ("GET", "HEAD"):
            options: dict[str, Any] = {READ_ONLY: True}
            if db.engine.dialect.name == "postgresql":
                options["isolation_level"] = "AUTOCOMMIT"
            session.info[READ_ONLY] = True
            session.connection(execution_options=options)
        return view(*args, **kwargs)

    return wrapper


@event.listens_for(Session, "before_flush")
def _refuse_writes(session: Session, flush_context: Any, instances: Any) -> None:
    if session.info.get(READ_ONLY) and (session.new or session.dirty or session.deleted):
        raise RuntimeError("a page marked read_only tried to write")


# What a read-only page's connection may send: reads, and SQLite's own BEGIN.
_READS = ("SELECT", "WITH", "BEGIN")


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_write_statements(
    conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
) -> None:
    if conn.get_execution_options().get(READ_ONLY) and not (
        statement.lstrip()[:6].upper().startswith(_READS)
    ):
        raise RuntimeError(f"a page marked read_only sent {statement.split(maxsplit=1)[0]}")


@event.listens_for(Session, "after_transaction_end")
def _forget_read_only(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(READ_ONLY, None)
