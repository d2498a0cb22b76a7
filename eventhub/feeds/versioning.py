"""Feed versions: every transaction that changes what a feed shows inserts a `feed_change` row.

A session listener looks at what is about to be flushed; if it touches a model that feeds
render, the transaction inserts one row when it commits. Core statements that bypass the ORM
(bulk UPDATEs) always happen in transactions that also flush such a model, so they are covered.

The version of every feed is the newest id, and a cached rendering is served only while that is
the version it was rendered at. That is only sound if ids become visible in their order: were a
transaction holding id 10 to commit after one holding id 11, a feed rendered in between would
be cached at 11 and never show the changes of 10. SQLite runs one writer at a time. On
PostgreSQL the row is inserted at commit time under a transaction-level advisory lock, so the
commits of feed changes are ordered (only their last moment: the insert and the commit).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from eventhub.core.clock import utcnow

# pg_advisory_xact_lock key of the feed_change commit order (the bytes of "feedchg").
ORDER_LOCK = 0x66656564636867

_WATCHED: tuple[type, ...] | None = None


def _watched() -> tuple[type, ...]:
    global _WATCHED
    if _WATCHED is None:
        # The models are imported on first use: this module's listeners are registered while
        # the app is built, before every area is imported.
        from eventhub.bookings.models import Booking, BookingStatusChange, PitchSlot
        from eventhub.centers.models import Center
        from eventhub.feeds.models import FeedToken
        from eventhub.invitations.models import Invitation
        from eventhub.series.models import (
            EventSeries,
            Occurrence,
            OccurrenceChange,
            SkippedOccurrence,
        )

        _WATCHED = (
            EventSeries, Occurrence, OccurrenceChange, SkippedOccurrence, Booking,
            BookingStatusChange, PitchSlot, Invitation, Center, FeedToken,
        )  # fmt: skip
    return _WATCHED


@event.listens_for(Session, "before_flush")
def _note_feed_change(session: Session, flush_context: Any, instances: Any) -> None:
    if session.info.get("feed_changed"):
        return
    watched = _watched()
    if any(isinstance(obj, watched) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info["feed_changed"] = True


@event.listens_for(Session, "before_commit")
def _record_feed_change(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT's release: the row belongs to the real commit
    session.flush()  # what the commit would flush, so that `_note_feed_change` sees it
    if not session.info.get("feed_changed"):
        return
    from eventhub.feeds.models import FeedChange  # on first use, like `_watched`

    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (ORDER_LOCK,))
    connection.execute(sa.insert(FeedChange).values(changed_at=utcnow()))


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _reset(session: Session) -> None:
    session.info.pop("feed_changed", None)


_VERSION_SQL = "SELECT max(id) FROM feed_change"


def current_version() -> int:
    """The newest change id: one indexed lookup, on every feed request.

    Plain DBAPI, no ORM session. On PostgreSQL it runs on connections of its own, in autocommit
    and without the pool's ping and reset, so it is one round trip instead of three; a
    connection the server dropped is replaced and the lookup asked once more.
    """
    from eventhub.extensions import db  # on first use, like `_watched`

    engine = db.engine
    if engine.dialect.name != "postgresql":
        return _ask(engine)
    own = current_app.extensions.get("eventhub_version_engine")
    if own is None or own.url != engine.url:
        own = sa.create_engine(
            engine.url,
            isolation_level="AUTOCOMMIT",
            pool_reset_on_return=None,
            pool_size=engine.pool.size(),
        )
        current_app.extensions["eventhub_version_engine"] = own
    try:
        return _ask(own)
    except own.dialect.loaded_dbapi.OperationalError:
        return _ask(own)


def _ask(engine: sa.Engine) -> int:
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(_VERSION_SQL)
            row = cursor.fetchone()
        finally:
            cursor.close()
    except engine.dialect.loaded_dbapi.OperationalError:
        connection.invalidate()
        raise
    finally:
        connection.close()
    return (row[0] if row else None) or 0
