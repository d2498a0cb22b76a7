"""Personal calendar-feed tokens. Only a hash of the token is stored."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from eventhub.core.clock import utcnow
from eventhub.core.db import UTCDateTime
from eventhub.extensions import db


class FeedToken(db.Model):
    __tablename__ = "feed_token"
    __table_args__ = (
        # At most one live token per user: regenerating revokes the old one first.
        sa.Index(
            "uq_feed_token_user_live",
            "user_id",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FeedChange(db.Model):
    """One row per transaction that changed something a calendar feed shows.

    The newest id is the version of every feed: a cached rendering is served only while it is
    the version it was rendered at, so a feed is never stale after a change, in any process.
    Rows are only ever inserted (no row lock for writers to queue on) and old ones pruned.
    """

    __tablename__ = "feed_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
