"""Core's own periodic job: sending the outbox."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from flask import Flask

from eventhub.core.dispatch import dispatch_batch
from eventhub.core.metrics import count_dispatch
from eventhub.extensions import db

log = logging.getLogger("eventhub.jobs")

# While the mail server refuses connections, wait longer and longer between tries (doubling
# from one dispatch interval) up to this many seconds, and say so only when the wait grows.
MAX_MAIL_BACKOFF_SECONDS = 900


@dataclass
class MailOutage:
    """This process's view of an unreachable mail server."""

    failures: int = 0
    retry_at: float = 0.0  # time.monotonic()
    first_error: str = ""

    def waiting(self, now: float) -> bool:
        return self.failures > 0 and now < self.retry_at

    def failed(self, now: float, *, interval: float, error: str) -> float:
        self.failures += 1
        self.first_error = self.first_error or error
        delay = min(interval * 2 ** (self.failures - 1), MAX_MAIL_BACKOFF_SECONDS)
        self.retry_at = now + delay
        return delay

    def recovered(self) -> int:
        failures, self.failures, self.retry_at, self.first_error = self.failures, 0, 0.0, ""
        return failures


OUTAGE = MailOutage()


def dispatch_job(app: Flask, stop: threading.Event | None = None) -> int:
    """Send what is due, batch after batch until the outbox has nothing due or `stop` is set;
    outcomes are committed in groups by the dispatcher. While the mail server cannot be
    reached, runs are skipped with a growing wait (messages stay pending, nothing is lost)."""
    if OUTAGE.waiting(time.monotonic()):
        return 0
    sent = 0
    with app.app_context():
        batch_size = int(app.config["OUTBOX_BATCH_SIZE"])
        interval = float(app.config["DISPATCH_INTERVAL_SECONDS"])
        try:
            while not (stop and stop.is_set()):
                result = dispatch_batch(should_stop=stop.is_set if stop else None)
                if result.unreachable:
                    error = result.errors[-1] if result.errors else "unreachable"
                    delay = OUTAGE.failed(time.monotonic(), interval=interval, error=error)
                    if delay < MAX_MAIL_BACKOFF_SECONDS or OUTAGE.failures == 1:
                        log.warning(
                            "mail server unreachable (%s); due messages stay pending, "
                            "next try in %d s",
                            error,
                            delay,
                        )
                    break
                if OUTAGE.failures:
                    log.info(
                        "mail server reachable again after %d failed tries", OUTAGE.recovered()
                    )
                count_dispatch(result)
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
