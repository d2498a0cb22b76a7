"""Booking use cases: book, apply, waitlist, cancel, switch, screening, carry-over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from eventhub.accounts import intake
from eventhub.accounts.models import StartupProfile
from eventhub.bookings import services as bookings
from eventhub.bookings.models import Booking, BookingStatus, PitchSlot
from eventhub.core.errors import Conflict, InvalidInput
from eventhub.core.outbox import OutboxMessage
from eventhub.series.models import BookingMode, EventSeries, Occurrence, WaitlistMode

EN = {"Accept-Language": "en"}


def _slots(db, occurrence_id) -> list[PitchSlot]:
    return bookings.slots_of(occurrence_id)


def _startup(db, startup_id) -> StartupProfile:
    return db.session.get(StartupProfile, startup_id)


def _statuses(db) -> list[tuple[str, str]]:
    rows = db.session.scalars(sa.select(Booking).order_by(Booking.id))
    return [(b.startup.company_name, b.status.value) for b in rows]


def _fill(db, occurrence_id, startup_ids, clock) -> None:
    for slot, startup_id in zip(_slots(db, occurrence_id), startup_ids, strict=False):
        bookings.book_slot(slot, startup=_startup(db, startup_id), actor_id=None, now=clock)
    db.session.commit()


# --- Intake --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("220-81-62517", True),  # check digit 7
        ("2208162517", True),
        ("1248100998", True),
        ("2208162518", False),
        ("220816251", False),
        ("22081625170", False),
        ("abcdefghij", False),
        ("", False),
    ],
)
def test_brn_check_digit(number, valid):
    assert intake.brn_is_valid(number) is valid


# --- Slots ---------------------------------------------------------------------------------


def test_layout_with_gaps_and_breaks(app, db, make_occurrence):
    occurrence_id = make_occurrence(
        slot_count=6, slot_minutes=10, gap_minutes=5, break_every=4, break_minutes=10,
        session_offset_minutes=30,
    )  # fmt: skip
    with app.app_context():
        occ = db.session.get(Occurrence, occurrence_id)
        times = [s.start_at.astimezone(occ.tz).strftime("%H:%M") for s in _slots(db, occurrence_id)]
    # 14:00 start, session at 14:30, 10-minute slots, 5-minute gaps, a 10-minute break after 4.
    assert times == ["14:30", "14:45", "15:00", "15:15", "15:40", "15:55"]


def test_new_occurrences_get_the_series_layout(app, db, create_series):
    series_id = create_series(horizon_days=60)
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        counts = [len(_slots(db, o.id)) for o in series.occurrences]
    assert counts == [8, 8]


# --- First come, first served --------------------------------------------------------------


def test_book_slot_confirms_and_writes_confirmation_with_invitation(
    app, db, make_occurrence, make_startup, clock
):
    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        slot = _slots(db, occurrence_id)[1]
        booking = bookings.book_slot(
            slot, startup=_startup(db, startup_id), actor_id=None, now=clock
        )
        db.session.commit()
        assert (booking.status, booking.slot_id) == (BookingStatus.confirmed, slot.id)
        assert booking.intake_snapshot["company_name"] == "Carbonix"
        assert [(h.from_status, h.to_status) for h in booking.history] == [
            (None, BookingStatus.confirmed)
        ]
        message = db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "transactional")
        )
        assert (message.recipient, message.template) == (
            "carbonix@startup.example",
            "bookings/confirmed",
        )
        [attachment] = message.attachments
        assert attachment["content_type"] == "text/calendar; method=REQUEST"
        calendar = Calendar.from_ical(attachment["content"])
        event = calendar.walk("VEVENT")[0]
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == f"booking-{booking.id}@eventhub.test"
        assert event.decoded("DTSTART") == slot.start_at


def test_book_slot_taken_slot_is_refused(app, db, make_occurrence, make_startup, clock):
    occurrence_id = make_occurrence()
    first, second = make_startup("Carbonix"), make_startup("Glowlab", industry="beauty")
    with app.test_request_context(headers=EN):
        slot = _slots(db, occurrence_id)[0]
        bookings.book_slot(slot, startup=_startup(db, first), actor_id=None, now=clock)
        db.session.commit()
        with pytest.raises(bookings.SlotTaken) as caught:
            bookings.book_slot(slot, startup=_startup(db, second), actor_id=None, now=clock)
        assert caught.value.status == 409
        assert str(caught.value.message) == (
            "This slot was just taken by another startup. Please choose another one."
        )
        db.session.rollback()
        assert _statuses(db) == [("Carbonix", "confirmed")]


def test_book_slot_twice_for_the_same_day_is_refused(app, db, make_occurrence, make_startup, clock):
    occurrence_id = make_occurrence()
    startup_id = make_startup()
    with app.test_request_context(headers=EN):
        first, second = _slots(db, occurrence_id)[:2]
        bookings.book_slot(first, startup=_startup(db, startup_id), actor_id=None, now=clock)
        db.session.commit()
        with pytest.raises(bookings.AlreadyBooked):
            bookings.book_slot(second, startup=_startup(db, startup_id), actor_id=None, now=clock)
        db.session.rollback()
        assert _statuses(db) == [("Carbonix", "confirmed")]


@pytest.mark.parametrize(
    ("when", "error"),
    [
        (datetime(2026, 11, 1, tzinfo=UTC), bookings.RegistrationClosed),  # before it opens
        (datetime(2026, 12, 15, tzinfo=UTC), bookings.RegistrationClosed),  # after it closes
    ],
)
def test_book_slot_outside_the_registration_window_is_refused(
    app, db, make_occurrence, make_startup, when, error
):
    occurrence_id = make_occurrence()
    startup_id = make_startup()
    with app.test_request_context(headers=EN):
        slot = _slots(db, occurrence_id)[0]
        with pytest.raises(error):
            bookings.book_slot(slot, startup=_startup(db, startup_id), actor_id=None, now=when)
        db.session.rollback()
        assert _statuses(db) == []


def test_book_blocked_slot_is_refused(app, db, make_occurrence, make_startup, clock):
    occurrence_id = make_occurrence()
    startup_id = make_startup()
    with app.test_request_context(headers=EN):
        slot = _slots(db, occurrence_id)[0]
        bookings.block_slot(slot, reason="Sponsor talk", actor_id=None, now=clock)
        db.session.commit()
        with pytest.raises(InvalidInput) as caught:
            bookings.book_slot(slot, startup=_startup(db, startup_id), actor_id=None, now=clock)
        assert str(caught.value.message) == "This slot is blocked and cannot be booked."


def test_book_needs_a_complete_intake(app, db, make_occurrence, clock):
    occurrence_id = make_occurrence()
    with app.test_request_context(headers=EN):
        startup = StartupProfile(company_name="Half done")
        db.session.add(startup)
        db.session.flush()
        with pytest.raises(bookings.IntakeIncomplete):
            bookings.book_slot(
                _slots(db, occurrence_id)[0], startup=startup, actor_id=None, now=clock
            )


def test_book_outside_the_eligible_industries_is_refused(
    app, db, make_occurrence, make_startup, clock
):
    occurrence_id = make_occurrence(eligible_industries=["fintech", "games"])
    startup_id = make_startup(industry="beauty")
    with app.test_request_context(headers=EN):
        with pytest.raises(bookings.NotEligible) as caught:
            bookings.book_slot(
                _slots(db, occurrence_id)[0],
                startup=_startup(db, startup_id),
                actor_id=None,
                now=clock,
            )
        assert (
            str(caught.value.message)
            == "This investor day is open to these industries only: Fintech, Games."
        )


# --- Switch and cancel -----------------------------------------------------------------------


def test_switch_slot_moves_the_booking_and_frees_the_old_slot(
    app, db, make_occurrence, make_startup, clock
):
    occurrence_id = make_occurrence()
    startup_id = make_startup()
    with app.app_context():
        first, second = _slots(db, occurrence_id)[:2]
        booking = bookings.book_slot(
            first, startup=_startup(db, startup_id), actor_id=None, now=clock
        )
        db.session.commit()
        bookings.switch_slot(booking, second, actor_id=None, now=clock)
        db.session.commit()
        assert booking.slot_id == second.id
        assert [v.state for v in bookings.slot_grid(occurrence_id)] == [
            "free",
            "held",
            "free",
            "free",
        ]
        assert [m.template for m in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == 'transactional').order_by(OutboxMessage.id))] == [
            "bookings/confirmed", "bookings/moved",
        ]  # fmt: skip


def test_switch_onto_a_taken_slot_keeps_the_old_one(app, db, make_occurrence, make_startup, clock):
    occurrence_id = make_occurrence()
    a, b = make_startup("Carbonix"), make_startup("Glowlab", industry="beauty")
    with app.test_request_context(headers=EN):
        first, second = _slots(db, occurrence_id)[:2]
        mine = bookings.book_slot(first, startup=_startup(db, a), actor_id=None, now=clock)
        bookings.book_slot(second, startup=_startup(db, b), actor_id=None, now=clock)
        db.session.commit()
        with pytest.raises(bookings.SlotTaken):
            bookings.switch_slot(mine, second, actor_id=None, now=clock)
        db.session.rollback()
        assert db.session.get(Booking, mine.id).slot_id == first.id


def test_cancel_after_the_cutoff_is_refused_for_the_startup(
    app, db, make_occurrence, make_startup, clock
):
    occurrence_id = make_occurrence()
    startup_id = make_startup()
    with app.test_request_context(headers=EN):
        booking = bookings.book_slot(
            _slots(db, occurrence_id)[0], startup=_startup(db, startup_id), actor_id=None, now=clock
        )
        db.session.commit()
        late = datetime(
            2026, 12, 15, tzinfo=UTC
        )  # the cut-off is 48 hours before 14:00 on the 16th
        with pytest.raises(bookings.CutoffPassed):
            bookings.cancel_booking(booking, actor_id=None, now=late)
        db.session.rollback()
        # An organizer may still cancel, with a reason.
        bookings.cancel_booking(
            booking, actor_id=None, now=late, by_organizer=True, reason="No deck"
        )
        db.session.commit()
        assert booking.status == BookingStatus.cancelled
        assert booking.history[-1].reason == "No deck"


# --- The waitlist ----------------------------------------------------------------------------


def test_waitlist_auto_confirm_gives_a_freed_slot_to_the_first_in_line(
    app, db, make_occurrence, make_startup, clock
):
    occurrence_id = make_occurrence(slot_count=2, waitlist_mode=WaitlistMode.auto_confirm)
    ids = [make_startup(f"S{i}", industry="ict") for i in range(4)]
    with app.app_context():
        _fill(db, occurrence_id, ids[:2], clock)
        occ = db.session.get(Occurrence, occurrence_id)
        for startup_id in ids[2:]:
            bookings.join_waitlist(occ, startup=_startup(db, startup_id), actor_id=None, now=clock)
        db.session.commit()
        assert [bookings.waitlist_position(b) for b in bookings.waitlist(occurrence_id)] == [1, 2]
        first_booking = db.session.scalar(sa.select(Booking).where(Booking.startup_id == ids[0]))
        bookings.cancel_booking(first_booking, actor_id=None, now=clock)
        db.session.commit()
        assert _statuses(db) == [
            ("S0", "cancelled"),
            ("S1", "confirmed"),
            ("S2", "confirmed"),
            ("S3", "waitlisted"),
        ]
        promoted = db.session.scalar(sa.select(Booking).where(Booking.startup_id == ids[2]))
        assert promoted.slot_id == first_booking.slot_id
        assert [h.to_status for h in promoted.history] == [
            BookingStatus.waitlisted,
            BookingStatus.confirmed,
        ]


def _expire_offers(db, now) -> int:
    """What the offer-expiry job does, at a chosen instant: one commit per offer."""
    expired = 0
    for booking_id in bookings.offers_to_expire(now=now):
        expired += bookings.expire_offer(booking_id, now=now)
        db.session.commit()
    return expired


def test_waitlist_offer_expires_and_passes_to_the_next(
    app, db, make_occurrence, make_startup, clock
):
    occurrence_id = make_occurrence(
        slot_count=1, waitlist_mode=WaitlistMode.offer, offer_hold_hours=24
    )
    ids = [make_startup(f"S{i}", industry="ict") for i in range(3)]
    with app.app_context():
        _fill(db, occurrence_id, ids[:1], clock)
        occ = db.session.get(Occurrence, occurrence_id)
        for startup_id in ids[1:]:
            bookings.join_waitlist(occ, startup=_startup(db, startup_id), actor_id=None, now=clock)
        db.session.commit()
        bookings.cancel_booking(
            db.session.scalar(sa.select(Booking).where(Booking.startup_id == ids[0])),
            actor_id=None,
            now=clock,
        )
        db.session.commit()
        offered = db.session.scalar(
            sa.select(Booking).where(Booking.status == BookingStatus.offered)
        )
        assert (offered.startup_id, offered.offer_expires_at) == (
            ids[1],
            clock + timedelta(hours=24),
        )
        assert _expire_offers(db, clock + timedelta(hours=23)) == 0
        assert _expire_offers(db, clock + timedelta(hours=25)) == 1
        assert _statuses(db) == [("S0", "cancelled"), ("S1", "expired"), ("S2", "offered")]
        taker = db.session.scalar(sa.select(Booking).where(Booking.startup_id == ids[2]))
        bookings.accept_offer(taker, actor_id=None, now=clock + timedelta(hours=26))
        db.session.commit()
        assert taker.status == BookingStatus.confirmed
        templates = db.session.scalars(
            sa.select(OutboxMessage.template)
            .where(OutboxMessage.kind == "transactional")
            .order_by(OutboxMessage.id)
        ).all()
        assert templates == [
            "bookings/confirmed", "bookings/waitlisted", "bookings/waitlisted", "bookings/cancelled",
            "bookings/offered", "bookings/expired", "bookings/offered", "bookings/confirmed",
        ]  # fmt: skip


def test_join_waitlist_with_free_slots_is_refused(app, db, make_occurrence, make_startup, clock):
    occurrence_id = make_occurrence()
    startup_id = make_startup()
    with app.test_request_context(headers=EN):
        occ = db.session.get(Occurrence, occurrence_id)
        with pytest.raises(InvalidInput):
            bookings.join_waitlist(occ, startup=_startup(db, startup_id), actor_id=None, now=clock)


# --- Applications --------------------------------------------------------------------------


def test_application_approve_into_slot_or_reject(app, db, make_occurrence, make_startup, clock):
    occurrence_id = make_occurrence(booking_mode=BookingMode.application)
    a, b = make_startup("Carbonix"), make_startup("Glowlab", industry="beauty")
    with app.app_context():
        occ = db.session.get(Occurrence, occurrence_id)
        slots = _slots(db, occurrence_id)
        first = bookings.apply_for(
            occ, startup=_startup(db, a), preferred_slot_ids=[slots[2].id], actor_id=None, now=clock
        )
        second = bookings.apply_for(occ, startup=_startup(db, b), actor_id=None, now=clock)
        db.session.commit()
        assert first.preferred_slot_ids == [slots[2].id]
        bookings.approve(first, slot=slots[2], actor_id=None, now=clock)
        bookings.reject(second, reason="Too early stage", actor_id=None, now=clock)
        db.session.commit()
        assert _statuses(db) == [("Carbonix", "confirmed"), ("Glowlab", "rejected")]
        assert second.history[-1].reason == "Too early stage"


def test_apply_twice_is_refused(app, db, make_occurrence, make_startup, clock):
    occurrence_id = make_occurrence(booking_mode=BookingMode.application)
    a = make_startup()
    with app.test_request_context(headers=EN):
        occ = db.session.get(Occurrence, occurrence_id)
        bookings.apply_for(occ, startup=_startup(db, a), actor_id=None, now=clock)
        db.session.commit()
        with pytest.raises(bookings.AlreadyBooked):
            bookings.apply_for(occ, startup=_startup(db, a), actor_id=None, now=clock)


def test_carry_over_keeps_screening_and_goes_to_the_head_of_the_next_waitlist(
    app, db, make_occurrence, make_startup, clock
):
    occurrence_id = make_occurrence(slot_count=1, booking_mode=BookingMode.application)
    a, b, c = (make_startup(n, industry="ict") for n in ("A", "B", "C"))
    with app.app_context():
        occ = db.session.get(Occurrence, occurrence_id)
        nxt = sorted(occ.series.occurrences, key=lambda o: o.start_at)[1]
        applied = bookings.apply_for(occ, startup=_startup(db, a), actor_id=None, now=clock)
        bookings.approve(applied, slot=None, actor_id=None, now=clock)
        # The next occurrence is full and already has a waitlist.
        later = clock + timedelta(days=20)
        for startup_id, status in ((b, BookingStatus.confirmed), (c, BookingStatus.waitlisted)):
            db.session.add(
                Booking(
                    occurrence=nxt, startup=_startup(db, startup_id), status=status,
                    slot=_slots(db, nxt.id)[0] if status == BookingStatus.confirmed else None,
                    queued_at=later if status == BookingStatus.waitlisted else None,
                )
            )  # fmt: skip
        db.session.commit()
        carried = bookings.carry_over(applied, actor_id=None, now=clock)
        db.session.commit()
        assert applied.status == BookingStatus.carried_over
        assert (carried.occurrence_id, carried.status, carried.screened_at, carried.carried_from_id) == (
            nxt.id, BookingStatus.waitlisted, applied.screened_at, applied.id,
        )  # fmt: skip
        assert [w.startup.company_name for w in bookings.waitlist(nxt.id)] == ["A", "C"]


# --- Organizer slot changes ------------------------------------------------------------------


def test_remove_a_held_slot_is_refused(app, db, make_occurrence, make_startup, clock):
    occurrence_id = make_occurrence()
    startup_id = make_startup()
    with app.test_request_context(headers=EN):
        slot = _slots(db, occurrence_id)[0]
        bookings.book_slot(slot, startup=_startup(db, startup_id), actor_id=None, now=clock)
        db.session.commit()
        with pytest.raises(Conflict) as caught:
            bookings.remove_slot(slot, actor_id=None, now=clock)
        assert (
            str(caught.value.message) == "A startup holds this slot. Move it to another slot first."
        )
        db.session.rollback()
        assert len(_slots(db, occurrence_id)) == 4


def test_add_slot_goes_to_the_waitlist(app, db, make_occurrence, make_startup, clock):
    occurrence_id = make_occurrence(slot_count=1, waitlist_mode=WaitlistMode.auto_confirm)
    a, b = make_startup("A", industry="ict"), make_startup("B", industry="ict")
    with app.app_context():
        _fill(db, occurrence_id, [a], clock)
        occ = db.session.get(Occurrence, occurrence_id)
        bookings.join_waitlist(occ, startup=_startup(db, b), actor_id=None, now=clock)
        bookings.add_slot(occ, actor_id=None, now=clock)
        db.session.commit()
        assert _statuses(db) == [("A", "confirmed"), ("B", "confirmed")]


def test_shift_session_moves_every_slot(app, db, make_occurrence, clock):
    occurrence_id = make_occurrence()
    with app.app_context():
        occ = db.session.get(Occurrence, occurrence_id)
        before = [s.start_at for s in _slots(db, occurrence_id)]
        bookings.shift_session(occ, minutes=20, actor_id=None, now=clock)
        db.session.commit()
        assert [s.start_at for s in _slots(db, occurrence_id)] == [
            t + timedelta(minutes=20) for t in before
        ]


def test_mark_attendance_only_after_the_start(app, db, make_occurrence, make_startup, clock):
    occurrence_id = make_occurrence()
    startup_id = make_startup()
    with app.test_request_context(headers=EN):
        booking = bookings.book_slot(
            _slots(db, occurrence_id)[0], startup=_startup(db, startup_id), actor_id=None, now=clock
        )
        db.session.commit()
        with pytest.raises(InvalidInput):
            bookings.mark_attendance(booking, attended=True, actor_id=None, now=clock)
        after = datetime(2026, 12, 16, 9, tzinfo=UTC)
        bookings.mark_attendance(booking, attended=False, actor_id=None, now=after)
        db.session.commit()
        assert booking.status == BookingStatus.no_show


def test_another_startups_booking_looks_like_it_does_not_exist(
    app, db, make_occurrence, make_startup, clock
):
    occurrence_id = make_occurrence()
    a, b = make_startup("A", industry="ict"), make_startup("B", industry="ict")
    with app.test_request_context(headers=EN):
        booking = bookings.book_slot(
            _slots(db, occurrence_id)[0], startup=_startup(db, a), actor_id=None, now=clock
        )
        db.session.commit()
        with pytest.raises(bookings.BookingNotFound) as other:
            bookings.get_booking(booking.id, startup=_startup(db, b))
        with pytest.raises(bookings.BookingNotFound) as missing:
            bookings.get_booking(999999, startup=_startup(db, b))
        assert (other.value.status, str(other.value.message)) == (
            missing.value.status,
            str(missing.value.message),
        )


def test_confirmation_arrives_with_a_calendar_part_that_names_its_method(
    app, db, make_occurrence, make_startup, clock, smtp_server, send_mail
):
    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        booking = bookings.book_slot(
            _slots(db, occurrence_id)[0], startup=_startup(db, startup_id), actor_id=None, now=clock
        )
        db.session.commit()
        bookings.cancel_booking(booking, actor_id=None, now=clock)
        db.session.commit()
    assert send_mail(now=clock + timedelta(minutes=1)) == 2
    confirmation, cancellation = smtp_server.messages
    for message, method in ((confirmation, "REQUEST"), (cancellation, "CANCEL")):
        [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        assert part.get_param("method") == method
        assert str(Calendar.from_ical(part.get_content())["METHOD"]) == method
    assert confirmation["Subject"] == "피칭 슬롯이 확정되었습니다"
    assert confirmation.get_body(("plain",)) is not None
    assert confirmation.get_body(("html",)) is not None


@pytest.mark.parametrize(
    ("status", "is_public"), [("draft", True), ("archived", True), ("published", False)]
)
def test_booking_a_date_that_is_not_listed_is_refused_by_every_route(
    app, db, client, make_occurrence, make_startup, clock, status, is_public
):
    occurrence_id = make_occurrence(slot_count=1)
    startup_id = make_startup("Carbonix")
    with app.app_context():
        occurrence = db.session.get(Occurrence, occurrence_id)
        occurrence.series.status, occurrence.series.is_public = status, is_public
        db.session.commit()
        startup = db.session.get(StartupProfile, startup_id)
        slot = bookings.slots_of(occurrence_id)[0]
        attempts = [
            lambda: bookings.book_slot(slot, startup=startup, actor_id=None, now=clock),
            lambda: bookings.apply_for(occurrence, startup=startup, actor_id=None, now=clock),
            lambda: bookings.join_waitlist(occurrence, startup=startup, actor_id=None, now=clock),
        ]
        for attempt in attempts:
            with pytest.raises(bookings.NotListed) as caught:
                attempt()
            assert caught.value.status == 404
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
    assert client.get(f"/api/occurrences/{occurrence_id}/slots").status_code == 404
