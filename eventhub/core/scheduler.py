"""APScheduler 3 wakes thin jobs; all scheduling state lives in the database.

Two ways to run the same jobs:

- `eventhub worker`: a process of its own, the production shape. Several may run at once
  against PostgreSQL (claims use SKIP LOCKED). SIGTERM or SIGINT stops it cleanly: the message
  in flight is finished, the rest of its batch is released for the next dispatcher.
- embedded in the web process for `make run`: started only in the process that serves (never
  in the reloader's watcher, never in tests unless a test starts it).
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from werkzeug.serving import is_running_from_reloader

from eventhub.core.clock import utcnow

log = logging.getLogger(__name__)

_scheduler: BackgroundScheduler | None = None


def dispatch_job(app: Flask, stop: threading.Event | None = None) -> int:
    """Send what is due, batch after batch until the outbox has nothing due or `stop` is set;
    one commit per message."""
    from eventhub.core.dispatch import dispatch_batch
    from eventhub.extensions import db

    sent = 0
    with app.app_context():
        batch_size = int(app.config["OUTBOX_BATCH_SIZE"])
        try:
            while not (stop and stop.is_set()):
                result = dispatch_batch(should_stop=stop.is_set if stop else None)
                sent += result.sent
                if result.claimed < batch_size or (result.errors and not result.sent):
                    break
        except Exception:
            log.exception("outbox dispatch failed; the next run retries")
        finally:
            db.session.remove()
        if sent:
            log.info("sent %d outbox messages", sent)
    return sent


def horizon_job(app: Flask, stop: threading.Event | None = None) -> int:
    """Store every series' occurrences up to the rolling horizon; one commit per series, so
    one failing series cannot undo the others. Returns the rows added."""
    from eventhub.extensions import db
    from eventhub.series.models import EventSeries
    from eventhub.series.services import materialize_occurrences, series_to_extend

    total = 0
    with app.app_context():
        until = utcnow() + timedelta(days=app.config["RECURRENCE_HORIZON_DAYS"])
        for series_id in series_to_extend():
            if stop and stop.is_set():
                break
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
        db.session.remove()
    return total


def _prune_feed_changes(keep: int = 1000) -> None:
    """Old `feed_change` rows only matter for their maximum: keep the newest few."""
    import sqlalchemy as sa

    from eventhub.extensions import db
    from eventhub.feeds.models import FeedChange

    newest = db.session.scalar(sa.select(sa.func.max(FeedChange.id))) or 0
    db.session.execute(sa.delete(FeedChange).where(FeedChange.id < newest - keep))
    db.session.commit()


def expire_offers_job(app: Flask, stop: threading.Event | None = None) -> int:
    """Waitlist offers whose hold ran out expire and pass to the next startup."""
    from eventhub.bookings.services import expire_offers
    from eventhub.extensions import db

    with app.app_context():
        try:
            expired = expire_offers(now=utcnow())
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("expiring waitlist offers failed; the next run retries")
            return 0
        finally:
            db.session.remove()
        if expired:
            log.info("expired %d waitlist offers", expired)
    return expired


def reminders_job(app: Flask, stop: threading.Event | None = None) -> int:
    """Re-plan the reminders of every occurrence close enough to have one due; one commit per
    occurrence. Every change already re-plans in its own transaction: this is the net under
    it (and what picks up reminder rules edited while a worker was down)."""
    from eventhub.extensions import db
    from eventhub.notifications.services import sync_occurrence_reminders, upcoming_occurrence_ids
    from eventhub.series.models import Occurrence

    added = 0
    with app.app_context():
        now = utcnow()
        for occurrence_id in upcoming_occurrence_ids(now):
            if stop and stop.is_set():
                break
            try:
                occurrence = db.session.get(Occurrence, occurrence_id)
                added += sync_occurrence_reminders(occurrence, now=now)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("planning the reminders of occurrence %s failed", occurrence_id)
        db.session.remove()
    if added:
        log.info("planned %d reminders", added)
    return added


Job = Callable[..., Any]


def jobs(app: Flask) -> list[tuple[Job, dict[str, int], bool]]:
    """Every periodic job: (function, interval, run at start)."""
    return [
        (dispatch_job, {"seconds": int(app.config["DISPATCH_INTERVAL_SECONDS"])}, True),
        (expire_offers_job, {"seconds": 60}, False),
        (reminders_job, {"minutes": 15}, True),
        (horizon_job, {"days": 1}, True),
    ]


def build_scheduler(app: Flask, stop: threading.Event | None = None) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    for job, interval, run_now in jobs(app):
        # APScheduler pauses a job added with next_run_time=None: only pass it to run now.
        first = {"next_run_time": utcnow()} if run_now else {}
        scheduler.add_job(
            job,
            "interval",
            args=[app, stop],
            id=job.__name__,
            max_instances=1,
            coalesce=True,
            **interval,
            **first,
        )
    return scheduler


def start_embedded(app: Flask) -> BackgroundScheduler | None:
    """Start the in-process scheduler once per serving process."""
    global _scheduler

    reloading = os.environ.get("EVENTHUB_RELOAD") == "1"
    if _scheduler is not None or (reloading and not is_running_from_reloader()):
        return _scheduler
    scheduler = build_scheduler(app)
    scheduler.start()
    atexit.register(lambda: scheduler.running and scheduler.shutdown(wait=False))
    _scheduler = scheduler
    log.info(
        "embedded scheduler started: outbox every %ss", app.config["DISPATCH_INTERVAL_SECONDS"]
    )
    return scheduler


def run_worker(app: Flask) -> None:
    """Run the jobs until SIGTERM or SIGINT; then finish the message in flight, release the
    rest of the batch, and return."""
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        log.info("worker %s: signal %s, stopping after the message in flight", os.getpid(), signum)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    scheduler = build_scheduler(app, stop)
    scheduler.start()
    log.info(
        "worker %s started: outbox every %ss", os.getpid(), app.config["DISPATCH_INTERVAL_SECONDS"]
    )
    try:
        while not stop.wait(timeout=1):
            pass
    finally:
        scheduler.shutdown(wait=True)
        log.info("worker %s stopped", os.getpid())
