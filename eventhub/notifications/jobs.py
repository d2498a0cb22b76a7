"""The notifications' periodic jobs: reminders planned after the changes that asked for it,
and a slower pass over every upcoming occurrence as a net under it."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from flask import Flask

from eventhub.core.clock import utcnow
from eventhub.core.transactions import unit_of_work
from eventhub.extensions import db
from eventhub.notifications.services import (
    plan_occurrence,
    requested_occurrence_ids,
    upcoming_occurrence_ids,
)

log = logging.getLogger("eventhub.jobs")


def _plan(
    occurrence_ids: list[int], stop: threading.Event | None, *, force: bool, now: datetime
) -> int:
    planned = 0
    for occurrence_id in occurrence_ids:
        if stop and stop.is_set():
            break
        done = False
        with unit_of_work(f"planning the reminders of occurrence {occurrence_id}") as unit:
            done = plan_occurrence(occurrence_id, now=now, force=force)
        planned += int(done and unit.committed)
    return planned


def plan_reminders_job(
    app: Flask, stop: threading.Event | None = None, *, now: datetime | None = None
) -> int:
    """Plan the reminders of every occurrence a change asked for, once each; runs every
    dispatch interval. Returns how many occurrences it planned."""
    with app.app_context():
        try:
            planned = _plan(requested_occurrence_ids(), stop, force=False, now=now or utcnow())
        finally:
            db.session.remove()
    if planned:
        log.info("planned the reminders of %d occurrences", planned)
    return planned


def reminders_job(
    app: Flask, stop: threading.Event | None = None, *, now: datetime | None = None
) -> int:
    """Re-plan every occurrence close enough to have a reminder due, requested or not: what
    picks up a rule's new reach as time passes. Returns how many occurrences it planned."""
    now = now or utcnow()
    with app.app_context():
        try:
            return _plan(upcoming_occurrence_ids(now), stop, force=True, now=now)
        finally:
            db.session.remove()
