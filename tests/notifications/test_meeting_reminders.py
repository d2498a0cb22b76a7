"""Meeting reminders: the series' "meetings" rule, before each person's first published
meeting, listing all of their meetings; following every change of the schedule, rechecked at
send time. The session (tests/meetings/conftest.py) has times at 16:30, 16:55 and 17:20 Seoul
on 2026-12-16."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from eventhub.core.outbox import MessageKind, OutboxMessage, OutboxStatus
from eventhub.meetings import services as meetings
from eventhub.meetings.models import Side
from eventhub.notifications import services as notifications
from eventhub.scheduling import services as series_services
from eventhub.series import rules as series_rules
from eventhub.series.models import Audience
from tests.meetings.conftest import SESSION_START, meeting_day  # noqa: F401 - the fixture
from tests.meetings.test_services import _ask, _load

TEMPLATE = "notifications/reminder_meetings"
VC, FOUNDER = "vc0@investor.example", "startup0@startup.example"
SECOND = SESSION_START + timedelta(minutes=25)  # 16:55 Seoul
THIRD = SESSION_START + timedelta(minutes=50)  # 17:20 Seoul


def meeting_reminders(db, status=OutboxStatus.pending) -> list[tuple]:
    rows = db.session.scalars(
        sa.select(OutboxMessage)
        .where(
            OutboxMessage.kind == MessageKind.reminder,
            OutboxMessage.template == TEMPLATE,
            OutboxMessage.status == status,
        )
        .order_by(OutboxMessage.due_at, OutboxMessage.recipient)
    )
    return [(m.recipient, m.due_at) for m in rows]


def _schedule(db, day, clock, *, publish=True):
    """Investor 0 meets startup 0 at 16:55 (table 2) and startup 1 at 17:20 (table 1)."""
    session, investors, startups = _load(db, day)
    first = _ask(session, investors[0], startups[0], Side.investor, clock)
    second = _ask(session, investors[0], startups[1], Side.investor, clock)
    meetings.place_meeting(first, slot_index=1, table=2, actor_id=None, now=clock)
    meetings.place_meeting(second, slot_index=2, table=1, actor_id=None, now=clock)
    if publish:
        meetings.publish_schedule(session, actor_id=None, now=clock)
    db.session.commit()
    return session, first, second


def _meeting_reminders_sent(smtp_server) -> list:
    """What arrived that is a meeting reminder (the pitch and day reminders arrive too)."""
    return [
        m for m in smtp_server.messages
        if str(m["Subject"]).startswith("리마인더") and "1:1 미팅" in str(m["Subject"])
    ]  # fmt: skip


def _text(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


def test_published_meetings_get_the_series_reminders_before_the_first_one(
    app,
    db,
    meeting_day,  # noqa: F811 - the fixture imported above
    clock,
    plan_reminders,
):
    day = meeting_day()
    with app.app_context():
        _schedule(db, day, clock, publish=False)
        plan_reminders(clock)
        assert meeting_reminders(db) == []  # nothing before publication
        meetings.publish_schedule(_load(db, day)[0], actor_id=None, now=clock)
        db.session.commit()
        plan_reminders(clock)
        startup1 = "startup1@startup.example"
        assert meeting_reminders(db) == [
            (FOUNDER, SECOND - timedelta(days=1)), (VC, SECOND - timedelta(days=1)),
            (startup1, THIRD - timedelta(days=1)),
            (FOUNDER, SECOND - timedelta(hours=2)), (VC, SECOND - timedelta(hours=2)),
            (startup1, THIRD - timedelta(hours=2)),
        ]  # fmt: skip


def test_the_reminder_lists_every_meeting_of_the_person(
    app,
    db,
    meeting_day,  # noqa: F811 - the fixture imported above
    clock,
    plan_reminders,
    smtp_server,
    send_mail,
):
    day = meeting_day()
    with app.app_context():
        _schedule(db, day, clock)
        plan_reminders(clock)
    send_mail(SECOND - timedelta(days=1))  # the invitations, and the reminders a day before
    smtp_server.messages.clear()
    send_mail(SECOND - timedelta(hours=2))
    [to_vc] = [m for m in _meeting_reminders_sent(smtp_server) if m["To"] == VC]
    assert str(to_vc["Subject"]) == (
        "리마인더: 삼성벤처 파트너스 데이 1:1 미팅, 2026-12-16 16:55 KST부터"
    )
    lines = [line for line in _text(to_vc).splitlines() if line.startswith("  ")]
    assert lines == ["  16:55  Startup0 · 테이블 2", "  17:20  Startup1 · 테이블 1"]


def test_moving_the_first_meeting_replans_and_the_old_reminder_never_arrives(
    app,
    db,
    meeting_day,  # noqa: F811 - the fixture imported above
    clock,
    plan_reminders,
    smtp_server,
    send_mail,
):
    day = meeting_day()
    with app.app_context():
        session, first, _ = _schedule(db, day, clock)
        plan_reminders(clock)
        meeting = next(m for m in meetings.meetings_of(session) if m.request_id == first.id)
        meetings.move_meeting(meeting, slot_index=0, table=1, actor_id=None, now=clock)
        db.session.commit()
        # Not planned again yet: the send-time check alone keeps the old one from going out.
    send_mail(clock)
    smtp_server.messages.clear()
    send_mail(SECOND - timedelta(hours=2))
    # Startup 1's reminder a day before its 17:20 meeting is still true, and arrives.
    sent = [str(m["To"]) for m in _meeting_reminders_sent(smtp_server)]
    assert sent == ["startup1@startup.example"]
    with app.app_context():
        superseded = db.session.scalars(
            sa.select(OutboxMessage.cancel_reason).where(
                OutboxMessage.template == TEMPLATE,
                OutboxMessage.due_at == SECOND - timedelta(hours=2),
                OutboxMessage.recipient == VC,
            )
        ).all()
        assert superseded == [notifications.SUPERSEDED]
        plan_reminders(clock)
        vc_due = [due for recipient, due in meeting_reminders(db) if recipient == VC]
        assert vc_due == [SESSION_START - timedelta(days=1), SESSION_START - timedelta(hours=2)]


def test_cancelling_the_date_or_declining_cancels_the_meeting_reminders(
    app,
    db,
    meeting_day,  # noqa: F811 - the fixture imported above
    clock,
    plan_reminders,
):
    day = meeting_day()
    with app.app_context():
        session, first, _ = _schedule(db, day, clock)
        plan_reminders(clock)
        meetings.decline_request(first, person=meetings.Person(Side.startup, first.startup_id),
                                 now=clock)  # fmt: skip
        db.session.commit()
        plan_reminders(clock)
        # Startup 0 has no meeting left; the investor's first meeting is now the 17:20 one.
        assert [r for r in meeting_reminders(db) if r[0] in (VC, FOUNDER)] == [
            (VC, THIRD - timedelta(days=1)), (VC, THIRD - timedelta(hours=2)),
        ]  # fmt: skip
        series_services.cancel_occurrence(
            session.occurrence, reason="태풍", actor_id=None, now=clock
        )
        db.session.commit()
        plan_reminders(clock)
        assert meeting_reminders(db) == []


def test_a_series_without_a_meetings_rule_sends_no_meeting_reminders(
    app,
    db,
    meeting_day,  # noqa: F811 - the fixture imported above
    clock,
    plan_reminders,
):
    day = meeting_day()
    with app.app_context():
        session, _, _ = _schedule(db, day, clock)
        rules = series_rules.rules_of(session.occurrence.series_id)
        notifications.set_rules(
            session.occurrence.series, rules={**rules, Audience.meetings: []}, actor_id=None,
            now=clock,
        )  # fmt: skip
        db.session.commit()
        plan_reminders(clock)
        assert meeting_reminders(db) == []
