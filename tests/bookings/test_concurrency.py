"""Real concurrency: many threads, each with its own connection, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa

from eventhub.accounts.models import StartupProfile
from eventhub.bookings import services as bookings
from eventhub.bookings.models import Booking, BookingStatus
from eventhub.core.errors import DomainError
from eventhub.core.outbox import MessageKind, OutboxMessage, OutboxStatus
from eventhub.core.transactions import begin_write
from eventhub.notifications import services as notifications
from eventhub.scheduling import services as series_services
from eventhub.series.models import Occurrence, PlanningRequest, WaitlistMode


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


def _pending_reminders(db) -> list[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(OutboxMessage.recipient, OutboxMessage.key)
        .where(
            OutboxMessage.kind == MessageKind.reminder,
            OutboxMessage.status == OutboxStatus.pending,
        )
        .order_by(OutboxMessage.recipient, OutboxMessage.key)
    )
    return [tuple(row) for row in rows]


def test_eight_startups_book_eight_slots_at_once_and_every_reminder_is_planned_once(
    app, db, make_occurrence, make_startup, create_user, clock, plan_reminders
):
    occurrence_id = make_occurrence(slot_count=8)
    plan_reminders(clock)  # the new date's own planning request, out of the way
    with app.app_context():
        center_id = db.session.get(Occurrence, occurrence_id).series.center_id
    # An organizer: the line-up digest is one reminder that every booking of the date touches.
    create_user("organizer@center.example", role="organizer", center_ids=(center_id,))
    startup_ids = [make_startup(f"S{i}", industry="ict") for i in range(8)]

    def book(i: int) -> None:
        from eventhub.extensions import db as session_db

        slot = bookings.slots_of(occurrence_id)[i]
        startup = session_db.session.get(StartupProfile, startup_ids[i])
        bookings.book_slot(slot, startup=startup, actor_id=None, now=clock)

    assert _race(app, 8, book) == Counter({"ok": 8})
    assert plan_reminders(clock) == 1  # one planning run for the date, however many bookings
    assert plan_reminders(clock) == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanningRequest)) == 0
        pending = _pending_reminders(db)
        # Three reminders per startup (7 days, 1 day, 2 hours before its slot), one digest.
        assert Counter(recipient for recipient, _ in pending) == Counter(
            {**{f"s{i}@startup.example": 3 for i in range(8)}, "organizer@center.example": 1}
        )
        assert len({key for _, key in pending}) == 25


def test_two_cancellations_at_once_leave_every_promoted_booking_its_reminders(
    app, db, make_occurrence, make_startup, clock, plan_reminders
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
                occurrence, startup=db.session.get(StartupProfile, startup_id), actor_id=None,
                now=clock,
            )  # fmt: skip
        db.session.commit()
        held_ids = db.session.scalars(
            sa.select(Booking.id).where(Booking.status == BookingStatus.confirmed)
        ).all()
    plan_reminders(clock)

    def cancel(i: int) -> None:
        from eventhub.extensions import db as session_db

        bookings.cancel_booking(
            session_db.session.get(Booking, held_ids[i]), actor_id=None, now=clock
        )

    assert _race(app, 2, cancel) == Counter({"ok": 2})
    assert plan_reminders(clock) == 1
    with app.app_context():
        pending = Counter(recipient for recipient, _ in _pending_reminders(db))
        assert pending == Counter({"w0@startup.example": 3, "w1@startup.example": 3})


def test_twenty_changes_to_one_date_make_one_planning_run(
    app, db, make_occurrence, make_startup, clock, plan_reminders
):
    occurrence_id = make_occurrence()
    plan_reminders(clock)  # the new date's own planning request, out of the way
    startup_id = make_startup("Carbonix")
    with app.app_context():
        slot = bookings.slots_of(occurrence_id)[0]
        bookings.book_slot(
            slot, startup=db.session.get(StartupProfile, startup_id), actor_id=None, now=clock
        )
        db.session.commit()
        for minute in range(1, 21):  # an organizer nudging the start, one request each
            occurrence = db.session.get(Occurrence, occurrence_id)
            series_services.move_occurrence(
                occurrence, start_at=occurrence.start_at + timedelta(minutes=1),
                end_at=occurrence.end_at + timedelta(minutes=1), actor_id=None,
                now=clock + timedelta(seconds=3 * minute),
            )  # fmt: skip
            db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanningRequest)) == 21
        slot_start = bookings.slots_of(occurrence_id)[0].start_at
    assert plan_reminders(clock + timedelta(minutes=1)) == 1
    with app.app_context():
        due = db.session.scalars(
            sa.select(OutboxMessage.due_at)
            .where(
                OutboxMessage.kind == MessageKind.reminder,
                OutboxMessage.status == OutboxStatus.pending,
            )
            .order_by(OutboxMessage.due_at)
        ).all()
        assert due == [
            slot_start - timedelta(days=7),
            slot_start - timedelta(days=1),
            slot_start - timedelta(hours=2),
        ]


def test_planners_racing_for_one_date_plan_it_once(app, db, make_occurrence, make_startup, clock):
    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        slot = bookings.slots_of(occurrence_id)[0]
        bookings.book_slot(
            slot, startup=db.session.get(StartupProfile, startup_id), actor_id=None, now=clock
        )
        db.session.commit()
    results: list[bool] = []

    def plan(i: int) -> None:
        results.append(notifications.plan_occurrence(occurrence_id, now=clock))

    assert _race(app, 4, plan) == Counter({"ok": 4})
    assert sorted(results) == [False, False, False, True]
    with app.app_context():
        assert len(_pending_reminders(db)) == 3


def test_a_savepoint_rolled_back_keeps_the_planning_requests_of_its_transaction(
    app, db, make_occurrence, make_startup, clock, plan_reminders
):
    from eventhub.series.planning import request_planning

    occurrence_id = make_occurrence()
    plan_reminders(clock)  # the new date's own planning request, out of the way
    startup_id = make_startup("Carbonix")
    with app.app_context():
        slot = bookings.slots_of(occurrence_id)[0]
        bookings.book_slot(
            slot, startup=db.session.get(StartupProfile, startup_id), actor_id=None, now=clock
        )
        # A caught failure inside a SAVEPOINT (what an IntegrityError turned into a rule's
        # "no" looks like) must not drop the booking's request.
        savepoint = db.session.begin_nested()
        request_planning(occurrence_id)
        savepoint.rollback()
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanningRequest)) == 1
        # A real rollback drops the requests with the changes they were about.
        request_planning(occurrence_id)
        db.session.rollback()
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanningRequest)) == 1
    assert plan_reminders(clock) == 1


def test_ten_slot_additions_at_once_each_add_a_slot_after_the_last(app, db, make_occurrence, clock):
    # Each took the next position from what it read; on PostgreSQL the others then hit the
    # unique (date, position) key: 500s for an organizer's double clicks.
    from eventhub.extensions import db as database

    occurrence_id = make_occurrence(slot_count=2)

    def add(_: int) -> None:
        occurrence = database.session.get(Occurrence, occurrence_id)
        bookings.add_slot(occurrence, actor_id=None, now=clock)

    outcomes = _race(app, 10, add)
    assert outcomes == Counter({"ok": 10})
    with app.app_context():
        positions = [s.position for s in bookings.slots_of(occurrence_id)]
        assert positions == list(range(1, 13))
