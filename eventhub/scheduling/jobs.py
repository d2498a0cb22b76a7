"""The series' periodic job: occurrences stored up to the rolling horizon."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from flask import Flask

from eventhub.core.clock import utcnow
from eventhub.core.transactions import unit_of_work
from eventhub.extensions import db
from eventhub.scheduling.services import materialize_occurrences, series_to_extend
from eventhub.series.models import EventSeries

log = logging.getLogger("eventhub.jobs")


def horizon_job(app: Flask, stop: threading.Event | None = None) -> int:
    """Store every series' occurrences up to the rolling horizon; one commit per series, so
    one failing series cannot undo the others. Returns the rows added."""
    total = 0
    with app.app_context():
        until = utcnow() + timedelta(days=app.config["RECURRENCE_HORIZON_DAYS"])
        for series_id in series_to_extend():
            if stop and stop.is_set():
                break
            added: list = []
            with unit_of_work(f"extending the horizon of series {series_id}") as unit:
                series = db.session.get(EventSeries, series_id)
                if series is not None:
                    added = materialize_occurrences(series, until=until)
            if not unit.committed:
                added = []
            total += len(added)
            if added:
                log.info("series %s: %d new occurrences", series_id, len(added))
        db.session.remove()
    return total
