"""Real concurrency: many threads, each with its own connection, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import sqlalchemy as sa

from eventhub.accounts.models import StartupProfile
from eventhub.bookings import services as bookings
from eventhub.bookings.models import Booking, BookingStatus
from eventhub.core.errors import DomainError
from eventhub.core.transactions import begin_write
from eventhub.series.models import Occurrence, WaitlistMode


def _race(app, count: int, work: Callable[[int], None]) -> Counter:
    """Run `work(i)` in `count` threads released together; count how each ended."""
    barrier = threading.Barrier(count)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def run(i: int) -> None:
        from eventhub.extensions import db

        with app.app_context():
            barrier.wait(timeout=60)
            try:
                begin_write()
                work(i)
                db.session.commit()
                outcome = "ok"
            except DomainError as exc:
                db.session.rollback()
                outcome = type(exc).__name__
            except Exception as exc:
                db.session.rollback()
                outcome = f"error: {exc!r}"[:200]
            finally:
                db.session.remove()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_fifty_startups_race_for_the_last_slot(app, db, make_occurrence, make_startup, clock):
    occurrence_id = make_occurrence(slot_count=1)
    startup_ids = [make_startup(f"S{i:02d}", industry="ict") for i in range(50)]

    def book(i: int) -> None:
        from eventhub.extensions import db as session_db

        slot = bookings.slots_of(occurrence_id)[0]
        startup = session_db.session.get(StartupProfile, startup_ids[i])
        bookings.book_slot(slot, startup=startup, actor_id=None, now=clock)

    outcomes = _race(app, 50, book)
    assert outcomes == Counter({"ok": 1, "SlotTaken": 49})
    with app.app_context():
        rows = db.session.execute(
            sa.select(Booking.status, sa.func.count()).group_by(Booking.status)
        ).all()
        assert rows == [(BookingStatus.confirmed, 1)]


def test_one_startup_submits_the_same_booking_from_many_threads(
    app, db, make_occurrence, make_startup, clock
):
    occurrence_id = make_occurrence(slot_count=4)
    startup_id = make_startup("Carbonix")

    def book(i: int) -> None:
        from eventhub.extensions import db as session_db

        slot = bookings.slots_of(occurrence_id)[i % 4]
        startup = session_db.session.get(StartupProfile, startup_id)
        bookings.book_slot(slot, startup=startup, actor_id=None, now=clock)

    outcomes = _race(app, 20, book)
    assert outcomes["ok"] == 1
    assert set(outcomes) <= {"ok", "AlreadyBooked", "SlotTaken"}
    assert sum(outcomes.values()) == 20
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1


def test_two_cancellations_at_once_with_a_waitlist_of_three(
    app, db, make_occurrence, make_startup, clock
):
    occurrence_id = make_occurrence(slot_count=2, waitlist_mode=WaitlistMode.auto_confirm)
    holders = [make_startup(f"H{i}", industry="ict") for i in range(2)]
    waiting = [make_startup(f"W{i}", industry="ict") for i in range(3)]
    with app.app_context():
        for slot, startup_id in zip(bookings.slots_of(occurrence_id), holders, strict=True):
            bookings.book_slot(
                slot, startup=db.session.get(StartupProfile, startup_id), actor_id=None, now=clock
            )
        occurrence = db.session.get(Occurrence, occurrence_id)
        for startup_id in waiting:
            bookings.join_waitlist(
                occurrence,
                startup=db.session.get(StartupProfile, startup_id),
                actor_id=None,
                now=clock,
            )
        db.session.commit()
        held_ids = db.session.scalars(
            sa.select(Booking.id).where(Booking.status == BookingStatus.confirmed)
        ).all()

    def cancel(i: int) -> None:
        from eventhub.extensions import db as session_db

        bookings.cancel_booking(
            session_db.session.get(Booking, held_ids[i]), actor_id=None, now=clock
        )

    outcomes = _race(app, 2, cancel)
    assert outcomes == Counter({"ok": 2})
    with app.app_context():
        rows = db.session.scalars(sa.select(Booking).order_by(Booking.id)).all()
        assert [(b.startup.company_name, b.status.value) for b in rows] == [
            ("H0", "cancelled"), ("H1", "cancelled"),
            ("W0", "confirmed"), ("W1", "confirmed"), ("W2", "waitlisted"),
        ]  # fmt: skip
        slots = {b.slot_id for b in rows if b.status == BookingStatus.confirmed}
        assert len(slots) == 2
