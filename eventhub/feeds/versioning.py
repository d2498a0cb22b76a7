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

Warm requests on PostgreSQL need not ask the server at all: the commit also sends a NOTIFY, and
each process keeps the version in memory, updated by a listener thread (`VersionListener`). A
feed may then be served stale for at most one second after a commit (a product decision, issue
15: calendar apps poll every 15 minutes to a day); the listener's heartbeat keeps the real bound
far lower, and when it has not been heard from for `TRUST` seconds requests ask the database
again, as without it. docs/calendar.md has the argument.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from eventhub.core.clock import utcnow

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key of the feed_change commit order (the bytes of "feedchg").
ORDER_LOCK = 0x66656564636867
# The NOTIFY channel of feed changes; the payload is the new version.
CHANNEL = "eventhub_feed_change"
# The listener asks for the newest id this often when no notification arrives: it proves the
# connection alive and catches anything a notification could have missed.
HEARTBEAT = 0.2
# The version in memory is used only while the listener was heard from this recently; after
# that, requests ask the database. Heartbeat plus trust stays well under the one-second bound.
TRUST = 0.6

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
        from eventhub.meetings.models import Meeting, MeetingRequest, MeetingSession
        from eventhub.series.models import (
            EventSeries,
            Occurrence,
            OccurrenceChange,
            SkippedOccurrence,
        )

        _WATCHED = (
            EventSeries, Occurrence, OccurrenceChange, SkippedOccurrence, Booking,
            BookingStatusChange, PitchSlot, Invitation, Center, FeedToken, Meeting,
            MeetingRequest, MeetingSession,
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
    if connection.dialect.name != "postgresql":
        connection.execute(sa.insert(FeedChange).values(changed_at=utcnow()))
        return
    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (ORDER_LOCK,))
    new_id = connection.execute(
        sa.insert(FeedChange).values(changed_at=utcnow()).returning(FeedChange.id)
    ).scalar_one()
    # Delivered to every listener when (and only if) the transaction commits.
    connection.exec_driver_sql("SELECT pg_notify(%s, %s)", (CHANNEL, str(new_id)))
    session.info["feed_change_id"] = (connection.engine.url, new_id)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop("feed_changed", None)
    noted = session.info.pop("feed_change_id", None)
    if noted is not None:
        # This process sees its own change at once, before its notification comes back.
        listener = _LISTENERS.get((os.getpid(), noted[0]))
        if listener is not None:
            listener.heard(noted[1], alive=False)


@event.listens_for(Session, "after_rollback")
def _reset(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT rolled back: the outer transaction and its changes go on
    session.info.pop("feed_changed", None)
    session.info.pop("feed_change_id", None)


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
    if current_app.config.get("FEED_VERSION_LISTEN", not current_app.testing):
        known = listener_for(engine.url).current()
        if known is not None:
            return known
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


# --- The version in memory, kept by LISTEN/NOTIFY ----------------------------------------------

_LISTENERS: dict[tuple[int, Any], VersionListener] = {}
_LISTENERS_LOCK = threading.Lock()


def listener_for(url: sa.URL) -> VersionListener:
    """This process's listener for the database at `url`, started on first use (after a
    fork, the child starts its own: threads do not survive a fork)."""
    key = (os.getpid(), url)
    listener = _LISTENERS.get(key)
    if listener is None:
        with _LISTENERS_LOCK:
            listener = _LISTENERS.get(key)
            if listener is None:
                listener = _LISTENERS[key] = VersionListener(url)
    return listener


class VersionListener:
    """The newest feed_change id, kept in memory by a thread that LISTENs on `CHANNEL`.

    It connects on its own (psycopg, autocommit), LISTENs, reads the newest id, and then waits
    for notifications, reading the newest id again after every `HEARTBEAT` of silence. Any
    error drops the connection and it connects again a second later; meanwhile `current()`
    returns None once `TRUST` has passed, and requests ask the database.

    The version only grows (ids are handed out and committed in order), so a late heartbeat
    can never take back what a notification or this process's own commit announced.
    """

    def __init__(self, url: sa.URL) -> None:
        self.conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.version = 0
        self.heard_at = -math.inf
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="feed-version-listener", daemon=True)
        self._thread.start()

    def current(self) -> int | None:
        """The version, or None when the listener has not been heard from recently enough."""
        if time.monotonic() - self.heard_at > TRUST:
            return None
        return self.version

    def heard(self, version: int, *, alive: bool = True) -> None:
        with self._lock:  # the listener thread and committing request threads both call it
            if version > self.version:
                self.version = version
        if alive and not self._stop.is_set():
            self.heard_at = time.monotonic()

    def stop(self) -> None:
        """Stop listening (requests then ask the database); returns once the thread ended."""
        self._stop.set()
        self._thread.join(timeout=5)
        self.heard_at = -math.inf

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        row = connection.execute(_VERSION_SQL).fetchone()
                        self.heard((row[0] if row else None) or 0)
                        for note in connection.notifies(timeout=HEARTBEAT):
                            self.heard(int(note.payload))
            except Exception:
                self.heard_at = -math.inf
                log.warning(
                    "feed version listener lost its connection; reconnecting", exc_info=True
                )
                self._stop.wait(1.0)
