"""The feeds' periodic job: old version rows pruned."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from flask import Flask

from eventhub.core.transactions import unit_of_work
from eventhub.extensions import db
from eventhub.feeds.models import FeedChange


def prune_feed_changes_job(
    app: Flask, stop: threading.Event | None = None, *, keep: int = 1000
) -> None:
    """Old `feed_change` rows only matter for their maximum: keep the newest few."""
    with app.app_context():
        with unit_of_work("pruning feed versions"):
            newest = db.session.scalar(sa.select(sa.func.max(FeedChange.id))) or 0
            db.session.execute(sa.delete(FeedChange).where(FeedChange.id < newest - keep))
        db.session.remove()
