"""What each person decides for themselves: taking back a decline, and a lower limit of
meetings than the session's."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, csrf_token, post_form
from tests.meetings.conftest import SESSION_START
from tests.meetings.test_services import _ask, _load

# The refusal in either language (outside a request the shell's LANG picks it).
AT_LIMIT = "as many meetings in this session|받을 수 있는 만큼 이미 미팅이"


def test_the_decliner_takes_the_decline_back_and_the_meeting_can_be_scheduled(
    app, db, meeting_day, clock
):
    from eventhub.core.errors import InvalidInput
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import Side

    day = meeting_day()
    with app.app_context():
        session, investors, startups = _load(db, day)
        request = _ask(session, investors[0], startups[0], Side.investor, clock)
        founder, vc = meetings.Person.of(startups[0]), meetings.Person.of(investors[0])
        meetings.decline_request(request, person=founder, now=clock)
        meetings.schedule(session, actor_id=None, now=clock, time_limit=5)
        assert meetings.meetings_of(session) == []
        with pytest.raises(InvalidInput):  # only the one who declined takes it back
            meetings.undo_decline(request, person=vc, now=clock)
        meetings.undo_decline(request, person=founder, now=clock)
        assert (request.is_declined, request.declined_at) == (False, None)
        meetings.schedule(session, actor_id=None, now=clock, time_limit=5)
        assert [m.request_id for m in meetings.meetings_of(session)] == [request.id]
        meetings.decline_request(request, person=founder, now=clock)
        with pytest.raises(meetings.RequestsClosed):
            meetings.undo_decline(request, person=founder, now=SESSION_START)


def test_a_person_s_lower_limit_holds_in_the_schedule(app, db, meeting_day, clock):
    from eventhub.core.errors import InvalidInput
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import Side

    day = meeting_day(investors=2, startups=3, tables=2, limit=2)
    with app.app_context():
        session, investors, startups = _load(db, day)
        for startup in startups:
            _ask(session, investors[0], startup, Side.investor, clock)
        vc = meetings.Person.of(investors[0])
        meetings.schedule(session, actor_id=None, now=clock, time_limit=5)
        assert len(meetings.meetings_of(session)) == 2  # the session's limit
        meetings.set_own_limit(session, person=vc, limit=1, now=clock)
        assert meetings.own_limit(session, vc) == 1
        meetings.schedule(session, actor_id=None, now=clock, time_limit=5)
        assert len(meetings.meetings_of(session)) == 1
        for refused in (0, 3):  # not below one, not above the organizers' limit
            with pytest.raises(InvalidInput):
                meetings.set_own_limit(session, person=vc, limit=refused, now=clock)
        meetings.set_own_limit(session, person=vc, limit=2, now=clock)  # the session's: none
        assert meetings.own_limit(session, vc) is None
        meetings.schedule(session, actor_id=None, now=clock, time_limit=5)
        assert len(meetings.meetings_of(session)) == 2


def test_meetings_pinned_by_hand_stay_beyond_a_person_s_limit(app, db, meeting_day, clock):
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import Side

    day = meeting_day()
    with app.app_context():
        session, investors, startups = _load(db, day)
        asked = [_ask(session, investors[0], s, Side.investor, clock) for s in startups[:2]]
        for time, request in enumerate(asked):
            meetings.place_meeting(request, slot_index=time, table=1, actor_id=None, now=clock)
        vc = meetings.Person.of(investors[0])
        meetings.set_own_limit(session, person=vc, limit=1, now=clock)
        report = meetings.schedule(session, actor_id=None, now=clock, time_limit=5)
        assert report.status == "OPTIMAL"
        assert sorted(m.request_id for m in meetings.meetings_of(session)) == [r.id for r in asked]


def test_founder_sets_a_limit_and_takes_a_decline_back_on_the_agenda_page(
    app, db, client, meeting_day, create_user, clock
):
    from eventhub.accounts.models import InvestorProfile, StartupProfile, User
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import MeetingRequest, MeetingSession, Side

    day = meeting_day()
    user_id = create_user("founder@startup.example", role="startup", locale="en")
    with app.app_context():
        user = db.session.get(User, user_id)
        user.email_verified_at = clock
        startup = db.session.get(StartupProfile, day.startups[0])
        startup.user_id = user_id
        session = db.session.get(MeetingSession, day.session_id)
        request = meetings.request_meeting(
            session, investor=db.session.get(InvestorProfile, day.investors[0]),
            startup=startup, side=Side.investor, now=clock,
        )  # fmt: skip
        meetings.decline_request(request, person=meetings.Person.of(startup), now=clock)
        db.session.commit()
        request_id = request.id
    response = post_form(
        client, "/login", {"email": "founder@startup.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    page = f"/occurrences/{day.occurrence_id}/meetings"
    headers = {"Accept-Language": "en"}
    text = client.get(page, headers=headers).get_data(as_text=True)
    assert "Take back my decline" in text
    token = csrf_token(client, page, headers)
    response = client.post(
        f"/meeting-requests/{request_id}/undecline", data={"csrf_token": token}, headers=headers
    )
    assert response.status_code == 303
    response = client.post(
        f"{page}/unavailable",
        data={"csrf_token": token, "slots": ["2"], "max_meetings": "1"},
        headers=headers,
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(MeetingRequest, request_id).declined_by is None
        session = db.session.get(MeetingSession, day.session_id)
        founder = meetings.Person(Side.startup, day.startups[0])
        assert (meetings.own_limit(session, founder),
                meetings.unavailable_slots(session, founder)) == (1, {2})  # fmt: skip
    assert 'value="1"' in client.get(page, headers=headers).get_data(as_text=True)
    # Above the organizers' limit (2): refused with a message, nothing changes.
    client.post(
        f"{page}/unavailable", data={"csrf_token": token, "max_meetings": "3"}, headers=headers
    )
    with app.app_context():
        session = db.session.get(MeetingSession, day.session_id)
        assert meetings.own_limit(session, meetings.Person(Side.startup, day.startups[0])) == 1
    assert "Choose between 1 and 2 meetings." in client.get(page, headers=headers).get_data(
        as_text=True
    )


def test_a_meeting_placed_by_hand_respects_the_session_s_and_a_person_s_limit(
    app, db, meeting_day, clock
):
    from eventhub.core.errors import InvalidInput
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import Side

    day = meeting_day(investors=2, startups=3, tables=2, limit=2)
    with app.app_context():
        session, investors, startups = _load(db, day)
        first_vc = [_ask(session, investors[0], s, Side.investor, clock) for s in startups]
        meetings.place_meeting(first_vc[0], slot_index=0, table=1, actor_id=None, now=clock)
        meetings.place_meeting(first_vc[1], slot_index=1, table=1, actor_id=None, now=clock)
        with pytest.raises(InvalidInput, match=AT_LIMIT):  # the session's limit: 2
            meetings.place_meeting(first_vc[2], slot_index=2, table=1, actor_id=None, now=clock)
        # Moving one of the two is no new meeting: allowed.
        meetings.place_meeting(first_vc[1], slot_index=2, table=2, actor_id=None, now=clock)

        second_vc = meetings.Person.of(investors[1])
        meetings.set_own_limit(session, person=second_vc, limit=1, now=clock)
        asked = [_ask(session, investors[1], s, Side.investor, clock) for s in startups[2:]]
        meetings.place_meeting(asked[0], slot_index=0, table=2, actor_id=None, now=clock)
        other = _ask(session, investors[1], startups[0], Side.investor, clock)
        with pytest.raises(InvalidInput, match=AT_LIMIT):  # their own limit: 1
            meetings.place_meeting(other, slot_index=1, table=2, actor_id=None, now=clock)
        assert len(meetings.meetings_of(session)) == 3


def test_a_person_saving_their_limit_twice_at_once_keeps_one_limit(app, db, meeting_day, clock):
    # A double click on the first save: both found no limit row and both inserted one, and
    # the unique key made the second a 500 on PostgreSQL.
    import threading

    import sqlalchemy as sa

    from eventhub.accounts.models import InvestorProfile
    from eventhub.core.transactions import begin_write
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import MeetingSession, PersonalLimit

    day = meeting_day(limit=3)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def save(limit: int) -> None:
        with app.app_context():
            start.wait()
            begin_write()
            try:
                session = db.session.get(MeetingSession, day.session_id)
                vc = meetings.Person.of(db.session.get(InvestorProfile, day.investors[0]))
                meetings.set_own_limit(session, person=vc, limit=limit, now=clock)
                db.session.commit()
            except Exception as exc:
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=save, args=(n,)) for n in (1, 2, 1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with app.app_context():
        limits = db.session.scalars(sa.select(PersonalLimit.max_meetings)).all()
        assert len(limits) == 1
        assert limits[0] in (1, 2)
