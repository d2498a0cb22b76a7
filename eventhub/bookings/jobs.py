"""The bookings' periodic job: waitlist offers whose hold ran out."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from eventhub.bookings.services import expire_offer, offers_to_expire
from eventhub.core.clock import utcnow
from eventhub.core.transactions import unit_of_work
from eventhub.extensions import db

log = logging.getLogger("eventhub.jobs")


def expire_offers_job(app: Flask, stop: threading.Event | None = None) -> int:
    """Expire waitlist offers whose hold ran out, each in its own transaction; every freed
    slot passes to the next startup in line. Returns how many expired."""
    expired = 0
    with app.app_context():
        now = utcnow()
        for booking_id in offers_to_expire(now=now):
            if stop and stop.is_set():
                break
            done = False
            with unit_of_work(f"expiring the offer of booking {booking_id}") as unit:
                done = expire_offer(booking_id, now=now)
            expired += int(done and unit.committed)
        db.session.remove()
    if expired:
        log.info("expired %d waitlist offers", expired)
    return expired
