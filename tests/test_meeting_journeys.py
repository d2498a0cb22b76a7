"""The one-to-one meetings of issue 18 in a real browser, the way tests/test_journeys.py walks
the other journeys (its fixtures and checks): an organizer opens the date's meeting session,
schedules it, moves a meeting and publishes; an investor reads their agenda and records an
outcome; a founder reads theirs. In Korean and English, on a phone and a laptop, each page
fitting the viewport, without critical or serious axe-core findings or CSP violations;
screenshots in tests/artifacts/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.test_journeys import (  # noqa: F401 - the fixtures, shared
    Journey,
    axe_source,
    browser,
    live_server,
    run_journey,
)

pytestmark = pytest.mark.browser


def _demo_session(app):
    """The demo's meeting session (after the next Samsung Venture Partners Day)."""
    from eventhub.extensions import db
    from eventhub.meetings.models import MeetingSession

    with app.app_context():
        session = db.session.scalars(sa.select(MeetingSession)).one()
        return session.id, session.occurrence_id


def _free_place(app, session_id: int) -> tuple[int, int, int]:
    """A meeting and a (time, table) where it can go: its two people and the table are free
    then, and the time is another one than its own."""
    from eventhub.extensions import db
    from eventhub.meetings.models import Meeting, MeetingSession

    with app.app_context():
        session = db.session.get(MeetingSession, session_id)
        placed = list(
            db.session.scalars(
                sa.select(Meeting).where(Meeting.session_id == session_id).order_by(Meeting.id)
            )
        )
        for meeting in placed:
            for slot in session.slot_indexes:
                at = [m for m in placed if m.slot_index == slot and m.id != meeting.id]
                busy = {m.investor_id for m in at} | {m.startup_id for m in at}
                tables = {m.table_number for m in at}
                if slot == meeting.slot_index or {meeting.investor_id, meeting.startup_id} & busy:
                    continue
                free = [t for t in range(1, session.table_count + 1) if t not in tables]
                if free:
                    return meeting.id, slot, free[0]
    raise AssertionError("no meeting can move anywhere in the demo schedule")


def test_organizer_schedules_moves_and_publishes_the_meetings(
    app,
    live_server,  # noqa: F811 - the fixtures imported above
    browser,  # noqa: F811
    axe_source,  # noqa: F811
):
    session_id, occurrence_id = _demo_session(app)

    def steps(journey: Journey, locale: str, screen: str) -> None:
        page = journey.page
        journey.log_in("organizer.daegu@eventhub.example")
        page.goto(f"{live_server}/organize/occurrences/{occurrence_id}")
        journey.check("date")
        page.locator(f"main a[href$='/occurrences/{occurrence_id}/meetings']").click()
        journey.check("meetings")
        page.locator("form[action$='/meetings/schedule'] button").click()
        assert page.locator(".flash-success").count() == 1
        journey.check("scheduled")

        meeting_id, slot, table = _free_place(app, session_id)
        move = page.locator(f"form[action$='/organize/meetings/{meeting_id}/move']")
        move.locator("select[name=slot_index]").select_option(str(slot))
        move.locator("input[name=table]").fill(str(table))
        move.locator("button[type=submit]").click()
        assert page.locator(".flash-success").count() == 1
        journey.check("moved")

        publish = page.locator("form[action$='/meetings/publish'] button")
        if publish.count():  # the first run publishes; later runs' changes are sent as made
            publish.click()
            assert page.locator(".flash-success").count() == 1
            journey.check("published")
        page.goto(f"{live_server}/organize/occurrences/{occurrence_id}/meetings/plan")
        journey.check("plan")

    run_journey(browser, live_server, axe_source, "meetings-organizer", steps)
    from eventhub.extensions import db
    from eventhub.meetings.models import MeetingSession

    with app.app_context():
        assert db.session.get(MeetingSession, session_id).published_at is not None


def _published_and_begun(app, session_id: int) -> None:
    """Solve and publish the demo session, then let it have begun (every meeting time has
    started) so that outcomes can be recorded: the people's side of the day."""
    from eventhub.extensions import db
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import MeetingSession

    now = datetime.now(UTC)
    with app.app_context():
        session = db.session.get(MeetingSession, session_id)
        meetings.schedule(session, actor_id=None, now=now, time_limit=10)
        meetings.publish_schedule(session, actor_id=None, now=now)
        length = session.ends_at - session.starts_at
        session.starts_at = now - length + timedelta(minutes=5)
        session.ends_at = session.starts_at + length
        session.requests_close_at = session.starts_at - timedelta(days=1)
        db.session.commit()


def test_investor_records_an_outcome_and_founder_reads_the_agenda(
    app,
    live_server,  # noqa: F811 - the fixtures imported above
    browser,  # noqa: F811
    axe_source,  # noqa: F811
):
    session_id, occurrence_id = _demo_session(app)
    _published_and_begun(app, session_id)

    def investor(journey: Journey, locale: str, screen: str) -> None:
        page = journey.page
        journey.log_in("vc@eventhub.example")
        journey.check("invitations")
        page.locator("main a[href$='/meetings']").first.click()
        journey.check("my-meetings")
        page.locator(f"main a[href$='/occurrences/{occurrence_id}/meetings']").click()
        journey.check("agenda")
        assert page.locator("ul.meeting-agenda > li").count() >= 1
        form = page.locator("ul.meeting-agenda form[action$='/outcome']").first
        form.locator("input[value=follow_up]").check()
        form.locator("button[type=submit]").click()
        assert page.locator(".flash-success").count() == 1
        assert page.locator("ul.meeting-agenda input[value=follow_up]:checked").count() >= 1
        journey.check("outcome")

    def founder(journey: Journey, locale: str, screen: str) -> None:
        page = journey.page
        journey.log_in("startup@eventhub.example")
        page.goto(f"{journey.base}/meetings")
        journey.check("my-meetings")
        page.locator(f"main a[href$='/occurrences/{occurrence_id}/meetings']").click()
        assert page.locator("ul.meeting-agenda > li").count() >= 1
        journey.check("agenda")

    run_journey(browser, live_server, axe_source, "meetings-investor", investor)
    run_journey(browser, live_server, axe_source, "meetings-founder", founder)
