"""APScheduler 3 wakes thin jobs; all scheduling state lives in the database.

In `make run` the scheduler runs inside the web process. It starts only in the process that
serves (never in the reloader's watcher, never in tests unless a test starts it).
"""

from __future__ import annotations

import atexit
import logging

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


def start_embedded(app: Flask) -> BackgroundScheduler | None:
    """Start the in-process scheduler once per serving process."""
    global _scheduler
    import os

    reloading = os.environ.get("EVENTHUB_RELOAD") == "1"
    if _scheduler is not None or (reloading and not is_running_from_reloader()):
        return _scheduler
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        dispatch_job,
        "interval",
        seconds=app.config["DISPATCH_INTERVAL_SECONDS"],
        args=[app],
        id="dispatch-outbox",
        max_instances=1,
        coalesce=True,
        next_run_time=utcnow(),
    )
    scheduler.start()
    atexit.register(lambda: scheduler.shutdown(wait=False))
    _scheduler = scheduler
    log.info(
        "embedded scheduler started: outbox every %ss", app.config["DISPATCH_INTERVAL_SECONDS"]
    )
    return scheduler
