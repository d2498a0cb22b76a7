"""Core's own periodic job: sending the outbox."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from eventhub.core.dispatch import dispatch_batch
from eventhub.extensions import db

log = logging.getLogger("eventhub.jobs")


def dispatch_job(app: Flask, stop: threading.Event | None = None) -> int:
    """Send what is due, batch after batch until the outbox has nothing due or `stop` is set;
    outcomes are committed in groups by the dispatcher."""
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
