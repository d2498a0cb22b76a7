"""Write transactions that read before they write.

SQLite in WAL mode fails a transaction that read and then tries to write while another writer
committed in between ("database is locked", whatever the busy timeout). A use case that reads
and then writes therefore starts its transaction with BEGIN IMMEDIATE, which takes the write
lock up front and waits (busy timeout) for it. PostgreSQL uses row locks (SELECT ... FOR
UPDATE) and constraints instead; there this is a plain BEGIN.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

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
