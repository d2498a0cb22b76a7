"""APScheduler 3 wakes thin jobs; all scheduling state lives in the database.

In `make run` the scheduler runs inside the web process. It starts only in the process that
serves (never in the reloader's watcher, never in tests unless a test starts it).
"""

from __future__ import annotations

import atexit
import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from werkzeug.serving import is_running_from_reloader

from eventhub.core.clock import utcnow

log = logging.getLogger(__name__)

_scheduler: BackgroundScheduler | None = None


def dispatch_job(app: Flask) -> None:
    """Send the outbox messages that are due, one commit per message."""
    from eventhub.core.outbox import dispatch_due

    with app.app_context():
        try:
            sent = dispatch_due()
        except Exception:
            log.exception("outbox dispatch failed; the next run retries")
            return
        if sent:
            log.info("sent %d outbox messages", sent)


def horizon_job(app: Flask) -> int:
    """Store every series' occurrences up to the rolling horizon; one commit per series, so
    one failing series cannot undo the others. Returns the rows added."""
    from eventhub.extensions import db
    from eventhub.series.models import EventSeries
    from eventhub.series.services import materialize_occurrences, series_to_extend

    total = 0
    with app.app_context():
        until = utcnow() + timedelta(days=app.config["RECURRENCE_HORIZON_DAYS"])
        for series_id in series_to_extend():
            try:
                series = db.session.get(EventSeries, series_id)
                added = materialize_occurrences(series, until=until)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("extending the horizon of series %s failed", series_id)
                continue
            total += len(added)
            if added:
                log.info("series %s: %d new occurrences", series_id, len(added))
        _prune_feed_changes()
    return total


def _prune_feed_changes(keep: int = 1000) -> None:
    """Old `feed_change` rows only matter for their maximum: keep the newest few."""
    import sqlalchemy as sa

    from eventhub.extensions import db
    from eventhub.feeds.models import FeedChange

    newest = db.session.scalar(sa.select(sa.func.max(FeedChange.id))) or 0
    db.session.execute(sa.delete(FeedChange).where(FeedChange.id < newest - keep))
    db.session.commit()


def expire_offers_job(app: Flask) -> None:
    """Waitlist offers whose hold ran out expire and pass to the next startup."""
    from eventhub.bookings.services import expire_offers

    with app.app_context():
        try:
            expired = expire_offers(now=utcnow())
        except Exception:
            log.exception("expiring waitlist offers failed; the next run retries")
            return
        if expired:
            log.info("expired %d waitlist offers", expired)


def start_embedded(app: Flask) -> BackgroundScheduler | None:
    """Start the in-process scheduler once per serving process."""
    global _scheduler
    import os

    reloading = os.environ.get("EVENTHUB_RELOAD") == "1"
    if _scheduler is not None or (reloading and not is_running_from_reloader()):
        return _scheduler
    scheduler = BackgroundScheduler(timezone="UTC")
    jobs = (
        (dispatch_job, {"seconds": app.config["DISPATCH_INTERVAL_SECONDS"]}, True),
        (horizon_job, {"days": 1}, True),
        (expire_offers_job, {"seconds": 60}, False),
    )
    for job, interval, run_now in jobs:
        # APScheduler pauses a job added with next_run_time=None: only pass it to run now.
        first = {"next_run_time": utcnow()} if run_now else {}
        scheduler.add_job(
            job,
            "interval",
            args=[app],
            id=job.__name__,
            max_instances=1,
            coalesce=True,
            **interval,
            **first,
        )
    scheduler.start()
    atexit.register(lambda: scheduler.running and scheduler.shutdown(wait=False))
    _scheduler = scheduler
    log.info(
        "embedded scheduler started: outbox every %ss", app.config["DISPATCH_INTERVAL_SECONDS"]
    )
    return scheduler
