"""APScheduler 3 wakes thin jobs; all scheduling state lives in the database.

The jobs belong to their areas (`series/jobs.py`, `bookings/jobs.py`, `notifications/jobs.py`,
`feeds/jobs.py`, `core/jobs.py`); `create_app` hands their table to the app and this module
only runs it, so core imports no area.

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
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from werkzeug.serving import is_running_from_reloader

from eventhub.core.clock import utcnow
from eventhub.core.metrics import CURRENT_JOB, JOB_FAILURES, JOB_RUNS

log = logging.getLogger(__name__)

_scheduler: BackgroundScheduler | None = None

JOBS_KEY = "eventhub.jobs"


@dataclass(frozen=True)
class Job:
    """A periodic job: a thin function `(app, stop) -> Any` that reads the database and calls
    services, how often it runs, and whether it also runs as soon as the scheduler starts."""

    function: Callable[..., Any]
    every: timedelta
    run_at_start: bool = False

    @property
    def name(self) -> str:
        return self.function.__name__


def job_table(app: Flask) -> list[Job]:
    """The jobs `create_app` handed to this app (the areas own them; core only runs them)."""
    return list(app.extensions.get(JOBS_KEY, ()))


def _counted(job: Job) -> Callable[..., Any]:
    """The job as the scheduler runs it: counted, and named for the failures of its units."""

    def run(app: Flask, stop: threading.Event | None = None) -> Any:
        JOB_RUNS.labels(job.name).inc()
        token = CURRENT_JOB.set(job.name)
        try:
            return job.function(app, stop)
        except Exception:
            JOB_FAILURES.labels(job.name).inc()
            log.exception("job %s failed; it runs again at its next time", job.name)
            return None
        finally:
            CURRENT_JOB.reset(token)

    run.__name__ = job.name
    return run


def build_scheduler(app: Flask, stop: threading.Event | None = None) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    for job in job_table(app):
        # APScheduler pauses a job added with next_run_time=None: only pass it to run now.
        first = {"next_run_time": utcnow()} if job.run_at_start else {}
        scheduler.add_job(
            _counted(job),
            "interval",
            args=[app, stop],
            id=job.name,
            max_instances=1,
            coalesce=True,
            seconds=job.every.total_seconds(),
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
