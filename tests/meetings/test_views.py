"""The organizer's flow in the browser's terms: add a session, schedule, move, publish, print
the plan; and a participant's agenda."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.conftest import PASSWORD, csrf_token, post_form


def _login(client, email):
    response = post_form(client, "/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 302


def test_organizer_adds_schedules_moves_and_publishes(
    app, db, client, meeting_day, create_user, clock
):
    from eventhub.accounts.models import InvestorProfile, StartupProfile
    from eventhub.centers.models import Center
    from eventhub.core.outbox import OutboxMessage
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import Meeting, MeetingSession, Side

    day = meeting_day()
    with app.app_context():
        center_id = db.session.scalar(sa.select(Center.id).where(Center.slug == "daegu"))
        session = db.session.get(MeetingSession, day.session_id)
        for investor_id in day.investors:
            for startup_id in day.startups[:2]:
                meetings.request_meeting(
                    session, investor=db.session.get(InvestorProfile, investor_id),
                    startup=db.session.get(StartupProfile, startup_id), side=Side.investor,
                    now=clock,
                )  # fmt: skip
        db.session.commit()
    create_user("org@example.com", role="organizer", center_ids=(center_id,), locale="en")
    _login(client, "org@example.com")
    page = f"/organize/occurrences/{day.occurrence_id}/meetings"
    headers = {"Accept-Language": "en"}

    # The session form: four times of 20 minutes with 5-minute breaks, 3 tables.
    response = post_form(
        client, page,
        {"start_time": "16:30", "end_time": "18:10", "meeting_minutes": "20",
         "break_minutes": "5", "table_count": "3", "table_links": "",
         "requests_close": "2026-12-15T18:00", "max_meetings": "2"},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 303
    with app.app_context():
        session = db.session.get(MeetingSession, day.session_id)
        assert (session.slot_count, session.table_count, session.max_meetings) == (4, 3, 2)

    token = csrf_token(client, page, headers)
    response = client.post(f"{page}/schedule", data={"csrf_token": token}, headers=headers)
    assert response.status_code == 303
    text = client.get(page, headers=headers).get_data(as_text=True)
    assert re.search(r"Last solved .*: OPTIMAL, value \d+, bound \d+, gap 0.00 %", text)
    with app.app_context():
        placed = list(db.session.scalars(sa.select(Meeting).order_by(Meeting.id)))
        assert len(placed) == 4
        busy = {(m.slot_index, m.table_number) for m in placed}
        target = next((t, 3) for t in range(4) if (t, 3) not in busy)
        moving = placed[0]
        others = {m.slot_index for m in placed if m.id != moving.id and (
            m.investor_id == moving.investor_id or m.startup_id == moving.startup_id)}  # fmt: skip
        target = next((t, 3) for t in range(4) if t not in others and (t, 3) not in busy)
        moving_id = moving.id

    response = client.post(
        f"/organize/meetings/{moving_id}/move",
        data={"csrf_token": token, "slot_index": str(target[0]), "table": "3"},
        headers=headers,
    )
    assert response.status_code == 303
    with app.app_context():
        moved = db.session.get(Meeting, moving_id)
        assert (moved.slot_index, moved.table_number, moved.is_pinned) == (*target, True)

    response = client.post(f"{page}/publish", data={"csrf_token": token}, headers=headers)
    assert response.status_code == 303
    with app.app_context():
        sent = db.session.scalars(
            sa.select(OutboxMessage.key).where(OutboxMessage.key.startswith("meeting:"))
        ).all()
        assert len(sent) == 8  # 4 meetings x 2 people

    plan = client.get(f"{page}/plan", headers=headers)
    assert plan.status_code == 200
    assert plan.get_data(as_text=True).count('class="plan-slot"') == 4

    # Clearing asks first, on the server.
    asked = client.post(f"{page}/clear", data={"csrf_token": token}, headers=headers)
    assert asked.status_code == 200
    assert "Clear the schedule?" in asked.get_data(as_text=True)


def test_investor_sees_own_agenda_and_requests_only(
    app, db, client, meeting_day, create_user, clock
):
    from eventhub.accounts.models import InvestorProfile, StartupProfile, User
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import MeetingSession, Side

    day = meeting_day()
    user_id = create_user("vc0@investor.example", role="investor", locale="en")
    with app.app_context():
        user = db.session.get(User, user_id)
        user.email_verified_at = clock
        investor = db.session.get(InvestorProfile, day.investors[0])
        investor.user_id = user_id
        session = db.session.get(MeetingSession, day.session_id)
        other = db.session.get(InvestorProfile, day.investors[1])
        startup = db.session.get(StartupProfile, day.startups[0])
        mine = meetings.request_meeting(
            session, investor=investor, startup=startup, side=Side.investor, now=clock
        )
        theirs = meetings.request_meeting(
            session, investor=other, startup=startup, side=Side.investor, now=clock
        )
        db.session.commit()
        mine_id, theirs_id = mine.id, theirs.id
    _login(client, "vc0@investor.example")
    headers = {"Accept-Language": "en"}
    page = client.get(f"/occurrences/{day.occurrence_id}/meetings", headers=headers)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Startup0" in text
    token = csrf_token(client, f"/occurrences/{day.occurrence_id}/meetings", headers)
    assert (
        client.post(
            f"/meeting-requests/{theirs_id}/withdraw", data={"csrf_token": token}, headers=headers
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/meeting-requests/{mine_id}/withdraw", data={"csrf_token": token}, headers=headers
        ).status_code
        == 303
    )


def test_organizer_sees_each_person_s_own_limit_and_times_they_cannot_meet(
    app, db, client, meeting_day, create_user, clock
):
    from eventhub.accounts.models import InvestorProfile, StartupProfile
    from eventhub.centers.models import Center
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import MeetingSession

    day = meeting_day(limit=3)
    with app.app_context():
        center_id = db.session.scalar(sa.select(Center.id).where(Center.slug == "daegu"))
        session = db.session.get(MeetingSession, day.session_id)
        investor = db.session.get(InvestorProfile, day.investors[0])
        startup = db.session.get(StartupProfile, day.startups[1])
        vc, founder = meetings.Person.of(investor), meetings.Person.of(startup)
        meetings.set_own_limit(session, person=vc, limit=1, now=clock)
        meetings.set_unavailable(session, person=founder, slot_indexes={0, 2}, now=clock)
        db.session.commit()
    create_user("org@example.com", role="organizer", center_ids=(center_id,), locale="en")
    _login(client, "org@example.com")
    page = f"/organize/occurrences/{day.occurrence_id}/meetings"

    text = client.get(page, headers={"Accept-Language": "en"}).get_data(as_text=True)
    section = text.split("What people decided for themselves")[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section, re.S)[1:]  # after the heading row
    cells = [re.findall(r'<td data-label="[^"]*">(.*?)</td>', row, re.S) for row in rows]
    # The session's times are 16:30, 16:55 and 17:20 in Seoul (tests/meetings/conftest.py).
    assert [cell for cell in cells if "Firm0" in cell[0]] == [["Firm0 · VC0", "1", "—"]]
    assert [cell for cell in cells if "Startup1" in cell[0]] == [["Startup1", "—", "16:30, 17:20"]]
