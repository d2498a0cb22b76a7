"""Feed versions: every transaction that changes what a feed shows inserts a `feed_change` row.

A session listener looks at what is about to be flushed; if it touches a model that feeds
render, one row is inserted in the same transaction. Core statements that bypass the ORM
(bulk UPDATEs) always happen in transactions that also flush such a model, so they are covered.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

_WATCHED: tuple[type, ...] | None = None


def _watched() -> tuple[type, ...]:
    global _WATCHED
    if _WATCHED is None:
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
        from eventhub.feeds.models import FeedChange

        session.info["feed_changed"] = True
        session.add(FeedChange())


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _reset(session: Session) -> None:
    session.info.pop("feed_changed", None)


def current_version(connection: sa.Connection) -> int:
    """The newest change id; one indexed lookup (plain SQL: it runs on every feed request)."""
    return connection.exec_driver_sql("SELECT max(id) FROM feed_change").scalar() or 0
