"""A date moved or cancelled carries its meeting session along: the session's times and its
meetings shift with the date (published ones are sent again with a higher SEQUENCE), and a
cancelled date's meetings are cancelled in both people's calendars."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import sqlalchemy as sa

from tests.conftest import PASSWORD, post_form
from tests.meetings.conftest import REQUESTS_CLOSE, SESSION_END, SESSION_START
from tests.meetings.test_services import _ask, _feed_meetings, _load, _meeting_mail

WEEK = timedelta(days=7)
VC, FOUNDER = "vc0@investor.example", "startup0@startup.example"


def _published_meeting(db, day, clock, *, slot_index=1, publish=True):
    """One meeting (investor 0 and startup 0) at `slot_index`, table 2, published."""
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import Side

    session, investors, startups = _load(db, day)
    request = _ask(session, investors[0], startups[0], Side.investor, clock)
    meetings.place_meeting(request, slot_index=slot_index, table=2, actor_id=None, now=clock)
    if publish:
        meetings.publish_schedule(session, actor_id=None, now=clock)
    db.session.commit()
    return session, request


def test_moving_the_date_moves_the_session_and_resends_its_meetings(app, db, meeting_day, clock):
    from eventhub.meetings import services as meetings
    from eventhub.scheduling import services as series_services

    day = meeting_day()
    with app.app_context():
        session, request = _published_meeting(db, day, clock)
        occurrence = session.occurrence
        series_services.move_occurrence(
            occurrence, start_at=occurrence.start_at + WEEK, end_at=occurrence.end_at + WEEK,
            actor_id=None, now=clock,
        )  # fmt: skip
        db.session.commit()
        assert (session.starts_at, session.ends_at, session.requests_close_at) == (
            SESSION_START + WEEK, SESSION_END + WEEK, REQUESTS_CLOSE + WEEK,
        )  # fmt: skip
        [meeting] = meetings.meetings_of(session)
        new_start = SESSION_START + WEEK + timedelta(minutes=25)
        assert (meeting.slot_index, meeting.table_number, meeting.starts_at) == (1, 2, new_start)
        uid = f"meeting-{request.id}@eventhub.test"
        old = (SESSION_START + timedelta(minutes=25)).isoformat()
        assert _meeting_mail(db) == [
            (VC, "REQUEST", uid, 0, old), (FOUNDER, "REQUEST", uid, 0, old),
            (VC, "REQUEST", uid, 1, new_start.isoformat()),
            (FOUNDER, "REQUEST", uid, 1, new_start.isoformat()),
        ]  # fmt: skip
        for kind, key in (("investor", day.investors[0]), ("startup", day.startups[0])):
            assert _feed_meetings(kind, key) == [(uid, 1, new_start.isoformat(), "Table 2")]


def test_moving_the_date_before_publication_sends_nothing(app, db, meeting_day, clock):
    from eventhub.meetings import services as meetings
    from eventhub.scheduling import services as series_services

    day = meeting_day()
    with app.app_context():
        session, request = _published_meeting(db, day, clock, slot_index=0, publish=False)
        occurrence = session.occurrence
        earlier = -timedelta(hours=3)
        series_services.move_occurrence(
            occurrence, start_at=occurrence.start_at + earlier,
            end_at=occurrence.end_at + earlier, actor_id=None, now=clock,
        )  # fmt: skip
        db.session.commit()
        [meeting] = meetings.meetings_of(session)
        assert meeting.starts_at == SESSION_START + earlier
        assert request.calendar_sequence == 0
        assert _meeting_mail(db) == []
        # Published later: one invitation each, at the new time, starting the sequence.
        meetings.publish_schedule(session, actor_id=None, now=clock)
        uid = f"meeting-{request.id}@eventhub.test"
        at = (SESSION_START + earlier).isoformat()
        assert _meeting_mail(db) == [(VC, "REQUEST", uid, 0, at), (FOUNDER, "REQUEST", uid, 0, at)]


def test_a_passed_request_deadline_stays_passed_when_the_date_moves(app, db, meeting_day, clock):
    from eventhub.scheduling import services as series_services

    day = meeting_day()
    after_deadline = REQUESTS_CLOSE + timedelta(hours=1)
    with app.app_context():
        session, _ = _published_meeting(db, day, clock)
        occurrence = session.occurrence
        series_services.move_occurrence(
            occurrence, start_at=occurrence.start_at + WEEK, end_at=occurrence.end_at + WEEK,
            actor_id=None, now=after_deadline,
        )  # fmt: skip
        db.session.commit()
        assert (session.starts_at, session.requests_close_at) == (
            SESSION_START + WEEK, REQUESTS_CLOSE,
        )  # fmt: skip
        assert session.requests_are_open(after_deadline) is False


def test_cancelling_the_date_cancels_its_meetings_in_both_calendars(app, db, meeting_day, clock):
    from eventhub.meetings import services as meetings
    from eventhub.scheduling import services as series_services

    day = meeting_day()
    with app.app_context():
        session, request = _published_meeting(db, day, clock)
        series_services.cancel_occurrence(
            session.occurrence, reason="Venue flooded", actor_id=None, now=clock
        )
        db.session.commit()
        uid = f"meeting-{request.id}@eventhub.test"
        at = (SESSION_START + timedelta(minutes=25)).isoformat()
        assert _meeting_mail(db)[2:] == [
            (VC, "CANCEL", uid, 1, at), (FOUNDER, "CANCEL", uid, 1, at),
        ]  # fmt: skip
        assert meetings.meetings_of(session) == []
        assert session.published_at is None
        assert [r.id for r in meetings.requests_in(session)] == [request.id]  # requests stay
        for kind, key in (("investor", day.investors[0]), ("startup", day.startups[0])):
            assert _feed_meetings(kind, key) == []
        # Restored, the date is scheduled again by its organizers: the same calendar event
        # comes back with a higher SEQUENCE once published.
        series_services.restore_occurrence(session.occurrence, actor_id=None, now=clock)
        meetings.place_meeting(request, slot_index=0, table=1, actor_id=None, now=clock)
        assert len(_meeting_mail(db)) == 4  # nothing before publication
        meetings.publish_schedule(session, actor_id=None, now=clock)
        first = SESSION_START.isoformat()
        assert _meeting_mail(db)[4:] == [
            (VC, "REQUEST", uid, 1, first), (FOUNDER, "REQUEST", uid, 1, first),
        ]  # fmt: skip


def test_a_series_edit_that_moves_the_date_moves_its_meetings(app, db, meeting_day, clock):
    from eventhub.meetings import services as meetings
    from eventhub.scheduling import services as series_services
    from eventhub.series.models import EditScope

    day = meeting_day()
    with app.app_context():
        session, _ = _published_meeting(db, day, clock)
        series = session.occurrence.series
        values = series_services.values_of(series)
        # Every date an hour later (14:00 → 15:00 Seoul).
        later = values.start_time.replace(hour=values.start_time.hour + 1)
        values = dataclasses.replace(values, start_time=later)
        series_services.apply_series_edit(
            series, values=values, scope=EditScope.all, from_occurrence=None,
            keep_conflicts=False, actor_id=None, now=clock, horizon_days=60,
        )  # fmt: skip
        db.session.commit()
        [meeting] = meetings.meetings_of(session)
        hour = timedelta(hours=1)
        assert (session.starts_at, meeting.starts_at) == (
            SESSION_START + hour, SESSION_START + hour + timedelta(minutes=25),
        )  # fmt: skip
        assert [(m[1], m[3]) for m in _meeting_mail(db)[2:]] == [("REQUEST", 1), ("REQUEST", 1)]


def test_a_new_venue_reaches_the_published_meetings_invitations(app, db, meeting_day, clock):
    import icalendar

    from eventhub.core.outbox import OutboxMessage
    from eventhub.scheduling import services as series_services

    day = meeting_day()
    with app.app_context():
        session, _ = _published_meeting(db, day, clock)
        series_services.change_venue(
            session.occurrence, venue_name="새 장소", venue_address="대구 중구",
            venue_name_en="New Hall", venue_address_en="Jung-gu, Daegu", online_url=None,
            actor_id=None, now=clock,
        )  # fmt: skip
        db.session.commit()
        changed = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.template == "meetings/changed")
            .order_by(OutboxMessage.id)
        ).all()
        assert [m.recipient for m in changed] == [VC, FOUNDER]
        [part] = changed[0].attachments
        [event] = icalendar.Calendar.from_ical(part["content"]).walk("VEVENT")
        assert (str(event["LOCATION"]), int(event["SEQUENCE"])) == ("Table 2, New Hall", 1)


def _organizer(app, db, client, create_user):
    from eventhub.centers.models import Center

    with app.app_context():
        center_id = db.session.scalar(sa.select(Center.id).where(Center.slug == "daegu"))
    create_user("org@example.com", role="organizer", center_ids=(center_id,), locale="en")
    response = post_form(client, "/login", {"email": "org@example.com", "password": PASSWORD})
    assert response.status_code == 302


def test_organizer_moving_the_date_moves_the_published_meetings(
    app, db, client, meeting_day, create_user, clock
):
    from eventhub.meetings.models import Meeting, MeetingSession

    day = meeting_day()
    with app.app_context():
        _published_meeting(db, day, clock)
    _organizer(app, db, client, create_user)
    url = f"/organize/occurrences/{day.occurrence_id}"
    # The date moves from 2026-12-16 14:00 to 2026-12-23 14:00 Seoul.
    response = post_form(
        client, url + "/move",
        {"start_date": "2026-12-23", "start_time": "14:00", "end_time": "16:00"}, form_url=url,
    )  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        session = db.session.get(MeetingSession, day.session_id)
        meeting = db.session.scalar(sa.select(Meeting))
        assert (session.starts_at, meeting.starts_at) == (
            SESSION_START + WEEK, SESSION_START + WEEK + timedelta(minutes=25),
        )  # fmt: skip
        moved = [m for m in _meeting_mail(db) if m[3] == 1]
        at = (SESSION_START + WEEK + timedelta(minutes=25)).isoformat()
        assert [(m[0], m[1], m[4]) for m in moved] == [
            (VC, "REQUEST", at), (FOUNDER, "REQUEST", at),
        ]  # fmt: skip
    agenda = client.get(f"/organize/occurrences/{day.occurrence_id}/meetings/plan")
    assert "16:55" in agenda.get_data(as_text=True)  # 16:30 + 25 minutes, a week later


def test_organizer_cancelling_the_date_cancels_the_meetings(
    app, db, client, meeting_day, create_user, clock
):
    from eventhub.meetings.models import Meeting

    day = meeting_day()
    with app.app_context():
        _published_meeting(db, day, clock)
    _organizer(app, db, client, create_user)
    url = f"/organize/occurrences/{day.occurrence_id}"
    response = post_form(
        client, url + "/cancel", {"reason": "Venue flooded", "confirmed": "yes"}, form_url=url
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(sa.select(Meeting)).all() == []
        assert [(m[0], m[1], m[3]) for m in _meeting_mail(db)[2:]] == [
            (VC, "CANCEL", 1), (FOUNDER, "CANCEL", 1),
        ]  # fmt: skip
