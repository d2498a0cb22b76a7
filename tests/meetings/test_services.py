"""Meeting requests, the solved schedule, the organizers' hand, and the calendar invitations
the changes send."""

from __future__ import annotations

from datetime import UTC, timedelta

import icalendar
import pytest
import sqlalchemy as sa

from tests.meetings.conftest import REQUESTS_CLOSE, SESSION_START


def _load(db, day):
    from eventhub.accounts.models import InvestorProfile, StartupProfile
    from eventhub.meetings.models import MeetingSession

    session = db.session.get(MeetingSession, day.session_id)
    investors = [db.session.get(InvestorProfile, i) for i in day.investors]
    startups = [db.session.get(StartupProfile, s) for s in day.startups]
    return session, investors, startups


def _ask(session, investor, startup, side, now):
    from eventhub.meetings import services as meetings

    return meetings.request_meeting(session, investor=investor, startup=startup, side=side, now=now)


def _meeting_mail(db):
    from eventhub.core.outbox import OutboxMessage

    rows = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.key.startswith("meeting:"))
        .order_by(OutboxMessage.id)
    )
    result = []
    for row in rows:
        [part] = row.attachments
        calendar = icalendar.Calendar.from_ical(part["content"])
        [event] = calendar.walk("VEVENT")
        result.append(
            (row.recipient, str(calendar["METHOD"]), str(event["UID"]), int(event["SEQUENCE"]),
             event.decoded("DTSTART").isoformat())
        )  # fmt: skip
    return result


def test_request_from_both_sides_is_one_mutual_request(app, db, meeting_day, clock):
    from eventhub.meetings.models import Side

    day = meeting_day()
    with app.app_context():
        session, investors, startups = _load(db, day)
        first = _ask(session, investors[0], startups[0], Side.investor, clock)
        second = _ask(session, investors[0], startups[0], Side.startup, clock)
        assert first.id == second.id
        assert (second.investor_rank, second.startup_rank, second.is_mutual) == (1, 1, True)


def test_ranks_follow_the_order_of_asking_and_can_be_moved(app, db, meeting_day, clock):
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import Side

    day = meeting_day()
    with app.app_context():
        session, investors, startups = _load(db, day)
        asked = [_ask(session, investors[0], s, Side.investor, clock) for s in startups]
        person = meetings.Person.of(investors[0])
        meetings.move_rank(asked[2], person=person, up=True, now=clock)
        mine = meetings.requests_of(session, person).mine
        assert [(r.startup.company_name, r.investor_rank) for r in mine] == [
            ("Startup0", 1), ("Startup2", 2), ("Startup1", 3),
        ]  # fmt: skip
        meetings.withdraw_request(asked[0], person=person, now=clock)
        mine = meetings.requests_of(session, person).mine
        assert [(r.startup.company_name, r.investor_rank) for r in mine] == [
            ("Startup2", 1), ("Startup1", 2),
        ]  # fmt: skip


def test_requests_are_taken_only_between_publication_and_deadline(app, db, meeting_day, clock):
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import Side

    day = meeting_day()
    with app.app_context():
        session, investors, startups = _load(db, day)
        with pytest.raises(meetings.RequestsClosed):
            _ask(session, investors[0], startups[0], Side.investor, REQUESTS_CLOSE)
        session.occurrence.lineup_published_at = None
        with pytest.raises(meetings.RequestsClosed):
            _ask(session, investors[0], startups[0], Side.investor, clock)


def test_only_accepted_investors_and_registered_startups_take_part(app, db, meeting_day, clock):
    from eventhub.accounts.models import InvestorProfile, StartupProfile
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import Side

    day = meeting_day()
    with app.app_context():
        session, investors, startups = _load(db, day)
        declined = db.session.get(InvestorProfile, day.outsider_investor)
        outsider = db.session.get(StartupProfile, day.outsider_startup)
        with pytest.raises(meetings.NotParticipant):
            _ask(session, declined, startups[0], Side.startup, clock)
        with pytest.raises(meetings.NotParticipant):
            _ask(session, investors[0], outsider, Side.investor, clock)


def test_nobody_sees_a_request_addressed_to_someone_else(app, db, meeting_day, clock):
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import Side

    day = meeting_day()
    with app.app_context():
        session, investors, startups = _load(db, day)
        request = _ask(session, investors[0], startups[0], Side.investor, clock)
        db.session.commit()
        for profile in (investors[0], startups[0]):
            person = meetings.Person.of(profile)
            assert meetings.request_for(request.id, person=person) == request
        for profile in (investors[1], startups[1]):
            person = meetings.Person.of(profile)
            with pytest.raises(meetings.RequestNotFound):
                meetings.request_for(request.id, person=person)
            lists = meetings.requests_of(session, person)
            assert (lists.mine, lists.to_me) == ([], [])
        to_startup = meetings.requests_of(session, meetings.Person.of(startups[0]))
        assert (to_startup.mine, to_startup.to_me) == ([], [request])


def test_schedule_places_requests_within_the_rules(app, db, meeting_day, clock):
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import Side

    day = meeting_day(investors=2, startups=3, tables=2, limit=2)
    with app.app_context():
        session, investors, startups = _load(db, day)
        for investor in investors:
            for startup in startups:
                _ask(session, investor, startup, Side.investor, clock)
        mutual = _ask(session, investors[1], startups[2], Side.startup, clock)
        # Startup0 cannot meet at the first time.
        meetings.set_unavailable(
            session, person=meetings.Person.of(startups[0]), slot_indexes={0}, now=clock
        )
        report = meetings.schedule(session, actor_id=None, now=clock, time_limit=5)
        placed = meetings.meetings_of(session)
        assert report.status == "OPTIMAL"
        assert report.gap == 0.0
        # Two investors at two meetings each: four meetings; the mutual one among them.
        assert len(placed) == 4
        assert mutual.id in {m.request_id for m in placed}
        assert [m for m in placed if m.startup_id == startups[0].id and m.slot_index == 0] == []
        times = [(m.slot_index, m.investor_id) for m in placed]
        assert len(times) == len(set(times))


def test_pinned_meeting_stays_when_the_rest_is_solved_again(app, db, meeting_day, clock):
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import Side

    day = meeting_day()
    with app.app_context():
        session, investors, startups = _load(db, day)
        for startup in startups:
            _ask(session, investors[0], startup, Side.investor, clock)
        meetings.schedule(session, actor_id=None, now=clock, time_limit=5)
        placed = meetings.meetings_of(session)
        # The investor meets two of the three (their limit): one time is free.
        [free] = {0, 1, 2} - {m.slot_index for m in placed}
        meeting = placed[0]
        meetings.move_meeting(meeting, slot_index=free, table=2, actor_id=None, now=clock)
        request_id = meeting.request_id
        meetings.schedule(session, actor_id=None, now=clock, time_limit=5)
        [kept] = [m for m in meetings.meetings_of(session) if m.request_id == request_id]
        assert (kept.slot_index, kept.table_number, kept.is_pinned) == (free, 2, True)


def test_move_onto_a_busy_person_or_table_is_refused(app, db, meeting_day, clock):
    from eventhub.core.errors import InvalidInput
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import Side

    day = meeting_day()
    with app.app_context():
        session, investors, startups = _load(db, day)
        first = _ask(session, investors[0], startups[0], Side.investor, clock)
        second = _ask(session, investors[0], startups[1], Side.investor, clock)
        other = _ask(session, investors[1], startups[2], Side.investor, clock)
        a = meetings.place_meeting(first, slot_index=0, table=1, actor_id=None, now=clock)
        meetings.place_meeting(other, slot_index=1, table=1, actor_id=None, now=clock)
        with pytest.raises(meetings.CannotPlace):  # investor 0 is at table 1 then
            meetings.place_meeting(second, slot_index=0, table=2, actor_id=None, now=clock)
        with pytest.raises(meetings.CannotPlace):  # table 1 is taken at time 1
            meetings.move_meeting(a, slot_index=1, table=1, actor_id=None, now=clock)
        meetings.set_unavailable(
            session, person=meetings.Person.of(startups[1]), slot_indexes={2}, now=clock
        )
        with pytest.raises(InvalidInput):
            meetings.place_meeting(second, slot_index=2, table=2, actor_id=None, now=clock)


def test_declined_request_is_never_scheduled(app, db, meeting_day, clock):
    from eventhub.core.errors import InvalidInput
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import Side

    day = meeting_day()
    with app.app_context():
        session, investors, startups = _load(db, day)
        request = _ask(session, investors[0], startups[0], Side.investor, clock)
        meetings.schedule(session, actor_id=None, now=clock, time_limit=5)
        assert [m.request_id for m in meetings.meetings_of(session)] == [request.id]
        meetings.decline_request(request, person=meetings.Person.of(startups[0]), now=clock)
        assert meetings.meetings_of(session) == []
        meetings.schedule(session, actor_id=None, now=clock, time_limit=5)
        assert meetings.meetings_of(session) == []
        with pytest.raises(InvalidInput):
            meetings.place_meeting(request, slot_index=0, table=1, actor_id=None, now=clock)


def test_schedule_changes_reach_the_calendar_invitations(app, db, meeting_day, clock):
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import Side

    day = meeting_day()
    with app.app_context():
        session, investors, startups = _load(db, day)
        request = _ask(session, investors[0], startups[0], Side.investor, clock)
        meetings.place_meeting(request, slot_index=0, table=1, actor_id=None, now=clock)
        assert _meeting_mail(db) == []  # nothing is sent before publication
        assert meetings.publish_schedule(session, actor_id=None, now=clock) == 1
        uid = f"meeting-{request.id}@eventhub.test"
        first = SESSION_START.isoformat()
        second = (SESSION_START + timedelta(minutes=25)).isoformat()
        vc, founder = "vc0@investor.example", "startup0@startup.example"
        assert _meeting_mail(db) == [
            (vc, "REQUEST", uid, 0, first), (founder, "REQUEST", uid, 0, first),
        ]  # fmt: skip
        [meeting] = meetings.meetings_of(session)
        meetings.move_meeting(meeting, slot_index=1, table=1, actor_id=None, now=clock)
        meetings.withdraw_request(request, person=meetings.Person.of(investors[0]), now=clock)
        assert _meeting_mail(db)[2:] == [
            (vc, "REQUEST", uid, 1, second), (founder, "REQUEST", uid, 1, second),
            (vc, "CANCEL", uid, 2, second), (founder, "CANCEL", uid, 2, second),
        ]  # fmt: skip


def _feed_meetings(scope_kind, key):
    from eventhub.feeds.services import FeedScope, ScopeKind, render

    calendar = icalendar.Calendar.from_ical(
        render(FeedScope(ScopeKind(scope_kind), key), locale="en")
    )
    return [
        (
            str(e["UID"]),
            int(e["SEQUENCE"]),
            e.decoded("DTSTART").astimezone(UTC).isoformat(),
            str(e["LOCATION"]),
        )
        for e in calendar.walk("VEVENT")
        if str(e["UID"]).startswith("meeting-")
    ]


def test_meetings_follow_every_change_in_both_personal_feeds(app, db, meeting_day, clock):
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import Side

    day = meeting_day()
    with app.app_context():
        session, investors, startups = _load(db, day)
        request = _ask(session, investors[0], startups[0], Side.investor, clock)
        [meeting] = [
            meetings.place_meeting(request, slot_index=0, table=2, actor_id=None, now=clock)
        ]
        assert _feed_meetings("investor", investors[0].id) == []  # not published yet
        meetings.publish_schedule(session, actor_id=None, now=clock)
        uid = f"meeting-{request.id}@eventhub.test"
        first = SESSION_START.isoformat()
        later = (SESSION_START + timedelta(minutes=50)).isoformat()
        for kind, key in (("investor", investors[0].id), ("startup", startups[0].id)):
            assert _feed_meetings(kind, key) == [(uid, 0, first, "Table 2")]
        meetings.move_meeting(meeting, slot_index=2, table=1, actor_id=None, now=clock)
        for kind, key in (("investor", investors[0].id), ("startup", startups[0].id)):
            assert _feed_meetings(kind, key) == [(uid, 1, later, "Table 1")]
        assert _feed_meetings("investor", investors[1].id) == []
        meetings.decline_request(request, person=meetings.Person.of(startups[0]), now=clock)
        for kind, key in (("investor", investors[0].id), ("startup", startups[0].id)):
            assert _feed_meetings(kind, key) == []


def test_outcomes_feed_follow_ups_and_term_sheets(app, db, meeting_day, clock):
    from eventhub.core.errors import InvalidInput
    from eventhub.invitations import services as invitations
    from eventhub.invitations.models import FollowUp, Outcome
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import MeetingOutcome, Side

    day = meeting_day()
    with app.app_context():
        session, investors, startups = _load(db, day)
        request = _ask(session, investors[0], startups[0], Side.investor, clock)
        meeting = meetings.place_meeting(request, slot_index=0, table=1, actor_id=None, now=clock)
        meetings.publish_schedule(session, actor_id=None, now=clock)
        vc, founder = meetings.Person.of(investors[0]), meetings.Person.of(startups[0])
        with pytest.raises(InvalidInput):
            meetings.record_meeting_outcome(
                meeting, person=vc, outcome=MeetingOutcome.follow_up, actor_id=None, now=clock
            )
        after = SESSION_START + timedelta(minutes=30)
        meetings.record_meeting_outcome(
            meeting, person=vc, outcome=MeetingOutcome.follow_up, actor_id=None, now=after
        )
        meetings.record_meeting_outcome(
            meeting, person=founder, outcome=MeetingOutcome.term_sheet, actor_id=None, now=after
        )
        follow_ups = db.session.scalars(sa.select(FollowUp)).all()
        assert [(f.investor_id, f.startup_id) for f in follow_ups] == [
            (investors[0].id, startups[0].id)
        ]
        kinds = sorted(o.kind.value for o in invitations.outcomes_of(day.occurrence_id))
        assert kinds == ["meeting", "term_sheet"]
        assert db.session.scalar(sa.select(sa.func.count(Outcome.id))) == 2
        assert (meeting.investor_outcome, meeting.startup_outcome) == (
            MeetingOutcome.follow_up, MeetingOutcome.term_sheet,
        )  # fmt: skip
