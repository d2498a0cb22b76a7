"""Reminders: planned from the series' rules, following every change, sent on time or never.

Time travels by passing `now` to services and to the dispatcher; nothing sleeps. The first
occurrence is 2026-12-16 14:00 KST (05:00Z); its slots start at 14:30, 14:45, 15:00, 15:15.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from eventhub.accounts.models import InvestorProfile, StartupProfile
from eventhub.bookings import services as bookings
from eventhub.core.outbox import MessageKind, OutboxMessage, OutboxStatus
from eventhub.invitations import services as invitations
from eventhub.invitations.models import RsvpStatus
from eventhub.notifications import services as notifications
from eventhub.scheduling import services as series_services
from eventhub.series import rules as series_rules
from eventhub.series.models import Audience, Occurrence

Z = UTC
SLOT_2 = datetime(2026, 12, 16, 5, 45, tzinfo=Z)  # 14:45 KST


def reminders(db, status: OutboxStatus | None = OutboxStatus.pending) -> list[tuple]:
    query = sa.select(OutboxMessage).where(OutboxMessage.kind == MessageKind.reminder)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    rows = db.session.scalars(query.order_by(OutboxMessage.due_at, OutboxMessage.id))
    return [(m.template, m.recipient, m.due_at) for m in rows]


def book(db, occurrence_id: int, startup_id: int, *, position: int = 2, now: datetime):
    slot = bookings.slots_of(occurrence_id)[position - 1]
    booking = bookings.book_slot(
        slot, startup=db.session.get(StartupProfile, startup_id), actor_id=None, now=now
    )
    db.session.commit()
    return booking


def investor(db, email: str = "vc@hanbit.example") -> InvestorProfile:
    profile = InvestorProfile(email=email, firm="Hanbit Ventures", person_name="김투자")
    db.session.add(profile)
    db.session.flush()
    return profile


STARTUP = "notifications/reminder_startup"


def test_a_confirmed_booking_gets_the_default_reminders_before_its_slot(
    app, db, make_occurrence, make_startup, clock, plan_reminders
):
    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        plan_reminders(clock)  # the new series' dates (their line-up digests: no organizer yet)
        book(db, occurrence_id, startup_id, now=clock)
        assert reminders(db) == []  # planned off the booking's transaction, by the job
        assert plan_reminders(clock) == 1
        assert reminders(db) == [
            (STARTUP, "carbonix@startup.example", SLOT_2 - timedelta(days=7)),
            (STARTUP, "carbonix@startup.example", SLOT_2 - timedelta(days=1)),
            (STARTUP, "carbonix@startup.example", SLOT_2 - timedelta(hours=2)),
        ]
        message = db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.kind == MessageKind.reminder)
        )
        assert message.expires_at == SLOT_2
        assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.headers["List-Unsubscribe"].startswith(
            "<https://eventhub.test/notifications/unsubscribe/"
        )


def test_a_reminder_whose_time_passed_before_the_booking_is_not_sent(
    app, db, make_occurrence, make_startup, plan_reminders
):
    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    late = datetime(2026, 12, 9, 6, 0, tzinfo=Z)  # a quarter hour after the 7-day reminder
    with app.app_context():
        book(db, occurrence_id, startup_id, now=late)
        plan_reminders(late)
        assert [due for _, _, due in reminders(db)] == [
            SLOT_2 - timedelta(days=1),
            SLOT_2 - timedelta(hours=2),
        ]


def test_moving_the_occurrence_moves_the_reminders_and_only_the_new_ones_arrive(
    app, db, make_occurrence, make_startup, clock, smtp_server, send_mail, plan_reminders
):
    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        book(db, occurrence_id, startup_id, now=clock)
        plan_reminders(clock)
        occurrence = db.session.get(Occurrence, occurrence_id)
        week_later = timedelta(days=7)
        series_services.move_occurrence(
            occurrence, start_at=occurrence.start_at + week_later,
            end_at=occurrence.end_at + week_later, actor_id=None, now=clock,
        )  # fmt: skip
        db.session.commit()
        plan_reminders(clock)
        new_slot = SLOT_2 + week_later
        assert [due for _, _, due in reminders(db)] == [
            new_slot - timedelta(days=7),
            new_slot - timedelta(days=1),
            new_slot - timedelta(hours=2),
        ]
        cancelled = reminders(db, OutboxStatus.cancelled)
        assert [due for _, _, due in cancelled] == [
            SLOT_2 - timedelta(days=7),
            SLOT_2 - timedelta(days=1),
            SLOT_2 - timedelta(hours=2),
        ]
    send_mail(clock)  # the confirmation and the "moved" update
    smtp_server.messages.clear()
    # Travel through both schedules: only the reminders for the new time are sent.
    for moment in sorted({due for _, _, due in cancelled} | {new_slot - timedelta(days=7)}):
        send_mail(moment)
    subjects = [str(m["Subject"]) for m in smtp_server.messages]
    assert subjects == ["리마인더: 삼성벤처 파트너스 데이 피치 일정 2026-12-23 14:45 KST"]
    for moment in (new_slot - timedelta(days=1), new_slot - timedelta(hours=2)):
        send_mail(moment)
    assert len(smtp_server.messages) == 3
    assert {str(m["Subject"]) for m in smtp_server.messages} == {subjects[0]}


def test_cancelling_the_occurrence_cancels_its_reminders(
    app, db, make_occurrence, make_startup, clock, plan_reminders
):
    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        book(db, occurrence_id, startup_id, now=clock)
        plan_reminders(clock)
        occurrence = db.session.get(Occurrence, occurrence_id)
        series_services.cancel_occurrence(occurrence, reason="태풍", actor_id=None, now=clock)
        db.session.commit()
        plan_reminders(clock)
        assert [c.notified_at for c in occurrence.changes] == [clock]
        assert reminders(db) == []
        assert len(reminders(db, OutboxStatus.cancelled)) == 3
        templates = db.session.scalars(
            sa.select(OutboxMessage.template)
            .where(OutboxMessage.kind == MessageKind.transactional)
            .order_by(OutboxMessage.id)
        ).all()
        assert templates == ["bookings/confirmed", "bookings/occurrence_cancelled"]


def test_cancelling_a_booking_cancels_its_reminders(
    app, db, make_occurrence, make_startup, clock, plan_reminders
):
    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        booking = book(db, occurrence_id, startup_id, now=clock)
        plan_reminders(clock)
        assert len(reminders(db)) == 3
        bookings.cancel_booking(booking, actor_id=None, now=clock)
        db.session.commit()
        plan_reminders(clock)
        assert reminders(db) == []


def test_switching_slots_moves_the_reminders_to_the_new_slot(
    app, db, make_occurrence, make_startup, clock, plan_reminders
):
    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        booking = book(db, occurrence_id, startup_id, now=clock)
        plan_reminders(clock)
        slot_4 = bookings.slots_of(occurrence_id)[3]
        bookings.switch_slot(booking, slot_4, actor_id=None, now=clock)
        db.session.commit()
        plan_reminders(clock)
        assert [due for _, _, due in reminders(db)] == [
            slot_4.start_at - timedelta(days=7),
            slot_4.start_at - timedelta(days=1),
            slot_4.start_at - timedelta(hours=2),
        ]


def test_investors_get_a_nudge_until_they_answer_and_reminders_once_they_accept(
    app, db, make_occurrence, clock, plan_reminders
):
    occurrence_id = make_occurrence()
    start = datetime(2026, 12, 16, 5, 0, tzinfo=Z)
    with app.app_context():
        occurrence = db.session.get(Occurrence, occurrence_id)
        (invitation,) = invitations.invite(
            [occurrence], investors=[investor(db)], actor_id=None, now=clock
        )
        db.session.commit()
        plan_reminders(clock)
        assert reminders(db) == [
            ("invitations/nudge", "vc@hanbit.example", start - timedelta(days=5))
        ]
        invitations.answer(invitation, status=RsvpStatus.accepted, now=clock)
        db.session.commit()
        plan_reminders(clock)
        assert reminders(db) == [
            ("notifications/reminder_investor", "vc@hanbit.example", start - timedelta(days=3)),
            ("notifications/reminder_investor", "vc@hanbit.example", start - timedelta(days=1)),
        ]
        invitations.answer(invitation, status=RsvpStatus.declined, now=clock)
        db.session.commit()
        plan_reminders(clock)
        assert reminders(db) == []


def test_organizers_get_the_line_up_the_day_before(
    app,
    db,
    make_occurrence,
    make_startup,
    create_user,
    clock,
    smtp_server,
    send_mail,
    plan_reminders,
):
    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        center_id = db.session.get(Occurrence, occurrence_id).series.center_id
    create_user("organizer@center.example", role="organizer", locale="en",
                center_ids=(center_id,))  # fmt: skip
    start = datetime(2026, 12, 16, 5, 0, tzinfo=Z)
    with app.app_context():
        book(db, occurrence_id, startup_id, now=clock)
        plan_reminders(clock)
        digest = [
            r for r in reminders(db) if r[0] == "notifications/digest" and r[2] < start
        ]  # (the series' later dates have theirs too)
        assert digest == [
            ("notifications/digest", "organizer@center.example", start - timedelta(days=1))
        ]
    send_mail(start - timedelta(days=1))
    (message,) = [m for m in smtp_server.messages if m["To"] == "organizer@center.example"]
    assert message["Subject"] == "Line-up: Samsung Venture Partners Day on 2026-12-16 14:00 KST"
    text = message.get_body(("plain",)).get_content()
    assert "  14:30–14:45  (free)\r\n  14:45–15:00  Carbonix\r\n" in text


def test_a_new_dates_line_up_digest_is_planned_by_the_next_planner_run(
    app, db, make_occurrence, create_user, clock, plan_reminders
):
    occurrence_id = make_occurrence()  # a new series: its dates are stored, nothing booked
    with app.app_context():
        center_id = db.session.get(Occurrence, occurrence_id).series.center_id
    create_user("organizer@center.example", role="organizer", locale="en",
                center_ids=(center_id,))  # fmt: skip
    with app.app_context():
        assert plan_reminders(clock) >= 1  # not left to the 15-minute net
        digest = [r for r in reminders(db) if r[0] == "notifications/digest"]
        start = datetime(2026, 12, 16, 5, 0, tzinfo=Z)
        assert ("notifications/digest", "organizer@center.example", start - timedelta(days=1)) in (
            digest
        )


def test_a_waitlist_offer_gets_a_reminder_before_the_hold_runs_out(
    app, db, make_occurrence, make_startup, clock, plan_reminders
):
    occurrence_id = make_occurrence(slot_count=1, waitlist_mode="offer", offer_hold_hours=24)
    first, second = make_startup("Carbonix"), make_startup("Hydrogenix")
    with app.app_context():
        booking = book(db, occurrence_id, first, position=1, now=clock)
        occurrence = db.session.get(Occurrence, occurrence_id)
        bookings.join_waitlist(
            occurrence, startup=db.session.get(StartupProfile, second), actor_id=None, now=clock
        )
        bookings.cancel_booking(booking, actor_id=None, now=clock)
        db.session.commit()
        plan_reminders(clock)
        offer = [r for r in reminders(db) if r[0] == "notifications/reminder_offer"]
        assert offer == [
            (
                "notifications/reminder_offer",
                "hydrogenix@startup.example",
                clock + timedelta(hours=24) - timedelta(hours=3),
            )
        ]


def test_a_reminder_no_longer_true_at_send_time_is_cancelled_not_sent(
    app, db, make_occurrence, make_startup, clock, smtp_server, send_mail, plan_reminders
):
    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        book(db, occurrence_id, startup_id, now=clock)
        plan_reminders(clock)
        # A change that bypassed the services (say, a fix in the database by hand).
        db.session.execute(
            sa.text(
                "UPDATE pitch_slot SET start_at = :s, end_at = :e "
                "WHERE occurrence_id = :o AND position = 2"
            ),
            {
                "s": SLOT_2 + timedelta(hours=1),
                "e": SLOT_2 + timedelta(hours=1, minutes=15),
                "o": occurrence_id,
            },
        )
        db.session.commit()
    send_mail(clock)
    smtp_server.messages.clear()
    send_mail(SLOT_2 - timedelta(days=7))
    assert smtp_server.messages == []
    with app.app_context():
        first = db.session.scalar(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind == MessageKind.reminder)
            .order_by(OutboxMessage.due_at)
        )
        assert (first.status, first.cancel_reason) == (
            OutboxStatus.cancelled,
            notifications.SUPERSEDED,
        )


def test_a_reminder_the_worker_could_not_send_in_time_expires(
    app, db, make_occurrence, make_startup, clock, smtp_server, send_mail, plan_reminders
):
    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        book(db, occurrence_id, startup_id, now=clock)
    plan_reminders(clock)
    send_mail(clock)
    smtp_server.messages.clear()
    # The worker was down from before the first reminder until after the pitch.
    send_mail(SLOT_2 + timedelta(minutes=1))
    assert smtp_server.messages == []
    with app.app_context():
        assert reminders(db) == []
        reasons = db.session.scalars(
            sa.select(OutboxMessage.cancel_reason).where(OutboxMessage.kind == MessageKind.reminder)
        ).all()
        assert [r.split(":")[0] for r in reasons] == ["expired"] * 3


def test_turning_reminders_off_cancels_them_but_not_confirmations(
    app, db, make_occurrence, make_startup, clock, plan_reminders
):
    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    other_id = make_startup("Hydrogenix")
    with app.app_context():
        book(db, occurrence_id, startup_id, now=clock)
        plan_reminders(clock)
        notifications.set_reminders("Carbonix@startup.example", enabled=False, now=clock)
        notifications.set_reminders("hydrogenix@startup.example", enabled=False, now=clock)
        db.session.commit()
        book(db, occurrence_id, other_id, position=3, now=clock)
        plan_reminders(clock)
        assert reminders(db) == []
        confirmations = db.session.scalars(
            sa.select(OutboxMessage.recipient)
            .where(OutboxMessage.template == "bookings/confirmed")
            .order_by(OutboxMessage.id)
        ).all()
        assert confirmations == ["carbonix@startup.example", "hydrogenix@startup.example"]


def test_changing_the_rules_reschedules_pending_reminders(
    app, db, make_occurrence, make_startup, clock, plan_reminders
):
    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        book(db, occurrence_id, startup_id, now=clock)
        plan_reminders(clock)
        series = db.session.get(Occurrence, occurrence_id).series
        rules = series_rules.rules_of(series.id)
        rules[Audience.startups] = [3 * 24 * 60]
        notifications.set_rules(series, rules=rules, actor_id=None, now=clock)
        db.session.commit()
        plan_reminders(clock)
        assert [due for _, _, due in reminders(db)] == [SLOT_2 - timedelta(days=3)]


def test_offsets_parse_in_both_languages_and_refuse_nonsense():
    import pytest

    from eventhub.core.errors import InvalidInput

    assert notifications.parse_offsets("7d, 1d 2h, 30m") == [10080, 1440, 120, 30]
    assert notifications.parse_offsets("7일, 2시간") == [10080, 120]
    assert notifications.parse_offsets("") == []
    assert notifications.format_offsets([120, 10080, 1440, 90]) == "7d, 1d, 2h, 90m"
    with pytest.raises(InvalidInput):
        notifications.parse_offsets("7x")
    with pytest.raises(InvalidInput):
        notifications.parse_offsets("61d")


def test_turning_reminders_back_on_brings_back_the_ones_still_ahead(
    app, db, make_occurrence, make_startup, clock, plan_reminders
):
    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        book(db, occurrence_id, startup_id, now=clock)
        plan_reminders(clock)
        notifications.set_reminders("carbonix@startup.example", enabled=False, now=clock)
        db.session.commit()
        assert reminders(db) == []
        later = SLOT_2 - timedelta(days=3)  # the 7-day reminder's time has passed meanwhile
        notifications.set_reminders("carbonix@startup.example", enabled=True, now=later)
        db.session.commit()
        plan_reminders(later)
        assert [due for _, _, due in reminders(db)] == [
            SLOT_2 - timedelta(days=1),
            SLOT_2 - timedelta(hours=2),
        ]


def test_a_reminder_goes_to_the_address_the_startup_corrected_since_it_was_planned(
    app, db, make_occurrence, make_startup, clock, smtp_server, send_mail, plan_reminders
):
    from eventhub.accounts import intake

    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        book(db, occurrence_id, startup_id, now=clock)
    plan_reminders(clock)
    with app.app_context():
        profile = db.session.get(StartupProfile, startup_id)
        intake.update_intake(profile, now=clock, contact_email="ceo@carbonix.example")
        db.session.commit()
    send_mail(clock)
    smtp_server.messages.clear()
    send_mail(SLOT_2 - timedelta(days=7))
    assert [str(m["To"]) for m in smtp_server.messages] == ["ceo@carbonix.example"]
    # Its unsubscribe link is the new address's, too.
    link = str(smtp_server.messages[0]["List-Unsubscribe"]).strip().strip("<>")
    with app.app_context():
        assert notifications.email_for_token(link.rsplit("/", 1)[1]) == "ceo@carbonix.example"
