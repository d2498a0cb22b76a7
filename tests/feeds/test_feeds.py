"""Feeds that every calendar app gets right: three parsers, two expanders, HTTP caching."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import recurring_ical_events
import sqlalchemy as sa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar
from sqlalchemy.orm import Session

from eventhub.centers.models import Center
from eventhub.feeds import services as feeds
from eventhub.feeds.models import FeedToken
from eventhub.scheduling import services as series_services
from eventhub.series.models import EventSeries, Occurrence
from eventhub.series.recurrence import RuleError, build_rrule
from tests.conftest import EXAMPLES, clean_database
from tests.feeds.conftest import icaljs_expand
from tests.series.conftest import series_values
from tests.series.test_properties import ZONES, rule_specs

EN = {"Accept-Language": "en"}
NASTY = "Demo 🚀 Day, a;b \\ C:\\New\nEND:VEVENT\r\nBEGIN:VEVENT\x00\x1b\x7f\u2028한글 제목"
CLEANED = "Demo 🚀 Day, a;b \\ C:\\New\nEND:VEVENT\nBEGIN:VEVENT\n한글 제목"


def _db_instances(db, series_ids, until):
    rows = db.session.scalars(
        sa.select(Occurrence).where(
            Occurrence.series_id.in_(series_ids), Occurrence.start_at <= until
        )
    )
    return sorted(
        (o.start_at, o.end_at, "CANCELLED" if o.is_cancelled else "CONFIRMED") for o in rows
    )


def _expanded(body: bytes, start: datetime, until: datetime):
    calendar = Calendar.from_ical(body)
    events = recurring_ical_events.of(calendar).between(start, until + timedelta(seconds=1))
    return sorted(
        (
            e["DTSTART"].dt.astimezone(UTC),
            e["DTEND"].dt.astimezone(UTC)
            if "DTEND" in e
            else e["DTSTART"].dt.astimezone(UTC) + e["DURATION"].dt,
            str(e.get("STATUS")),
        )
        for e in events
    )


@pytest.mark.icaljs
def _icaljs_marker() -> None:
    """(ical.js tests are marked through their use of `_icaljs`.)"""


def _icaljs(body: bytes, until: datetime):
    return sorted(
        (datetime.fromisoformat(i["start"]), datetime.fromisoformat(i["end"]), i["status"])
        for i in icaljs_expand(body, until)
    )


@pytest.fixture
def scenario(app, db, create_center, clock):
    """A series with a holiday-skipped date, a moved, a cancelled and a re-venued occurrence,
    and a title full of Korean, emoji and injection attempts."""
    with app.app_context():
        center = db.session.get(
            Center, create_center("gyeongbuk", contact_email="contact@gb.example")
        )
        series = series_services.create_series(
            center,
            values=series_values(
                title_ko=NASTY, title_en=NASTY, rrule="FREQ=MONTHLY;BYDAY=-1FR",
                start_date=date(2026, 8, 28), holiday_policy="skip",
            ),
            actor_id=None, now=datetime(2026, 8, 1, tzinfo=UTC), horizon_days=240,
        )  # fmt: skip
        occs = sorted(series.occurrences, key=lambda o: o.start_at)
        now = datetime(2026, 8, 1, tzinfo=UTC)
        series_services.move_occurrence(
            occs[1],
            start_at=occs[1].start_at + timedelta(days=1, hours=1),
            end_at=occs[1].end_at + timedelta(days=1, hours=1),
            actor_id=None,
            now=now,
        )
        series_services.cancel_occurrence(
            occs[2], reason="연사 사정; sorry", actor_id=None, now=now
        )
        series_services.change_venue(
            occs[3],
            venue_name="온라인",
            venue_address=None,
            online_url="https://meet.example/x",
            actor_id=None,
            now=now,
        )
        db.session.commit()
        return series.id, series.slug, series.materialized_until_at


@pytest.mark.icaljs
def test_series_feed_parses_everywhere_and_expands_to_exactly_the_stored_occurrences(
    app, db, client, scenario
):
    series_id, slug, horizon = scenario
    body = client.get(f"/calendar/series/{slug}.ics?lang=en").data
    # Three independent parsers read it.
    calendar = Calendar.from_ical(body)
    assert IcsCalendarStream.calendar_from_ics(body.decode()).events
    # The expansions equal the database, starts, ends and statuses, nothing extra or missing.
    with app.app_context():
        expected = _db_instances(db, [series_id], horizon)
        skipped = db.session.scalars(
            sa.select(sa.func.count()).select_from(sa.text("skipped_occurrence"))
        ).one()
    assert skipped == 2  # Chuseok (2026-09-25) and Christmas (2026-12-25)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert _expanded(body, start, horizon) == expected
    assert _icaljs(body, horizon) == expected
    # What people typed survives, with forbidden control characters gone.
    master = next(c for c in calendar.walk("VEVENT") if "RRULE" in c)
    assert str(master["SUMMARY"]) == CLEANED
    cancelled = [c for c in calendar.walk("VEVENT") if str(c.get("STATUS")) == "CANCELLED"]
    assert [str(c["SUMMARY"]) for c in cancelled] == ["[Cancelled] " + CLEANED]
    # No component was injected, and no meeting properties leak into a feed.
    lines = body.split(b"\r\n")
    assert (
        lines.count(b"BEGIN:VEVENT") == lines.count(b"END:VEVENT") == len(calendar.walk("VEVENT"))
    )
    assert b"ORGANIZER" not in body
    assert b"ATTENDEE" not in body
    # Folded at 75 octets, never inside a UTF-8 character.
    for line in body.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")
    assert b"\x00" not in body
    assert b"\x1b" not in body


def test_feed_headers_and_the_rfc5545_properties(app, db, client, scenario):
    _, slug, _ = scenario
    response = client.get(f"/calendar/series/{slug}.ics")
    body = response.data.decode()
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "max-age=3600, public"
    for needle in ("VERSION:2.0", "PRODID:-//EventHub//Investor days//EN", "CALSCALE:GREGORIAN",
                   "X-WR-CALNAME:", "X-WR-CALDESC:", "X-WR-TIMEZONE:Asia/Seoul",
                   "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H",
                   "BEGIN:VTIMEZONE", "TZID:Asia/Seoul", "EXDATE;TZID=Asia/Seoul:20260925T140000",
                   "RECURRENCE-ID;TZID=Asia/Seoul:", "SEQUENCE:1", "CONTACT:", "URL:https://eventhub.test/"):  # fmt: skip
        assert needle in body, needle
    assert len(set(re.findall(r"UID:(\S+)", body))) == 1


def test_two_fetches_without_a_change_are_identical_and_conditional_requests_answer_304(
    app, db, client, scenario
):
    series_id, slug, _ = scenario
    url = f"/calendar/series/{slug}.ics"
    first, second = client.get(url), client.get(url)
    assert first.data == second.data
    etag = first.headers["ETag"]
    assert etag.startswith('"')
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    head = client.head(url)
    assert (head.status_code, head.data, head.headers["ETag"]) == (200, b"", etag)
    # A change shows at once: the cached copy is never stale.
    with app.app_context():
        occ = db.session.scalars(
            sa.select(Occurrence)
            .where(Occurrence.series_id == series_id)
            .order_by(Occurrence.start_at.desc())
        ).first()
        series_services.cancel_occurrence(
            occ, reason="폭설", actor_id=None, now=datetime(2026, 8, 2, tzinfo=UTC)
        )
        db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert b"[\xec\xb7\xa8\xec\x86\x8c]" in changed.data  # "[취소]"


@pytest.mark.postgres_only
def test_a_change_committed_after_a_later_one_still_reaches_the_feed(
    app, db, client, create_series
):
    """Two writers: the one that started first commits last. A feed rendered in between must
    not stay cached once the slower one commits (its change would otherwise never show)."""
    alpha = create_series(title_en="Alpha day")
    beta = create_series(title_en="Beta day")
    url = "/calendar/all.ics?lang=en"
    with app.app_context():
        engine = db.engine
    slow, fast = Session(engine), Session(engine)
    try:
        slow.get(EventSeries, alpha).title_en = "Alpha renamed"
        slow.flush()  # written, not committed
        fast.get(EventSeries, beta).title_en = "Beta renamed"
        fast.commit()
        between = client.get(url).data
        assert b"Beta renamed" in between
        assert b"Alpha renamed" not in between
        slow.commit()
    finally:
        slow.close()
        fast.close()
    after = client.get(url).data
    assert b"Alpha renamed" in after
    assert b"Beta renamed" in after


@pytest.mark.icaljs
def test_feed_in_berlin_carries_its_own_timezone(app, db, client, create_series):
    create_series(
        title_en="Berlin Day", rrule="FREQ=WEEKLY;BYDAY=SU", start_date=date(2027, 3, 21), start_time=time(2, 30),
        duration_minutes=60, session_offset_minutes=0, slot_count=2, timezone="Europe/Berlin",
        now=datetime(2027, 3, 1, tzinfo=UTC), horizon_days=40,
    )  # fmt: skip
    body = client.get("/calendar/series/berlin-day.ics").data
    assert b"DTSTART;TZID=Europe/Berlin:20270321T023000" in body
    assert b"TZID:Europe/Berlin" in body
    with app.app_context():
        series_id = db.session.scalar(sa.select(EventSeries.id))
        expected = _db_instances(db, [series_id], datetime(2027, 4, 10, tzinfo=UTC))
    assert (
        _expanded(body, datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 10, tzinfo=UTC))
        == expected
    )
    assert _icaljs(body, datetime(2027, 4, 10, tzinfo=UTC)) == expected


def test_center_and_all_feeds_leave_out_drafts(app, db, client, create_series):
    create_series(title_en="Public Day")
    create_series(
        title_en="Draft Day",
        status="draft",
        rrule="FREQ=MONTHLY;BYDAY=+2TH",
        start_date=date(2026, 12, 10),
    )
    for url in ("/calendar/all.ics", "/calendar/centers/daegu.ics"):
        body = client.get(url + "?lang=en").data
        assert (b"Public Day" in body, b"Draft Day" in body) == (True, False)
    assert client.get("/calendar/centers/atlantis.ics").status_code == 404


# --- What makes a feed change ----------------------------------------------------------------


def _vevents(body: bytes) -> int:
    return body.count(b"BEGIN:VEVENT")


def test_renaming_a_series_changes_its_master_event_not_every_date(
    app, db, client, create_series, clock
):
    series_id = create_series(title_en="Partners Day", rrule="FREQ=WEEKLY;BYDAY=WE")
    before = client.get("/calendar/centers/daegu.ics?lang=en").data
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        series_services.apply_series_edit(
            series, values=series_values(title_en="Venture Partners Day",
                                         rrule="FREQ=WEEKLY;BYDAY=WE"),
            scope="all", from_occurrence=None, keep_conflicts=False, actor_id=None,
            now=clock + timedelta(hours=1), horizon_days=548,
        )  # fmt: skip
        db.session.commit()
    after = client.get("/calendar/centers/daegu.ics?lang=en").data
    assert (_vevents(before), _vevents(after)) == (1, 1)
    assert abs(len(after) - len(before)) <= len(before) // 10
    master = Calendar.from_ical(after).walk("VEVENT")[0]
    assert (str(master["SUMMARY"]), master["SEQUENCE"], master["LAST-MODIFIED"].dt) == (
        "Venture Partners Day", 1, clock + timedelta(hours=1),
    )  # fmt: skip


def test_horizon_job_leaves_the_feed_bytes_as_they_are(app, db, client, create_series, clock):
    create_series(title_en="Partners Day", horizon_days=100)
    first = client.get("/calendar/centers/daegu.ics")
    with app.app_context():
        # A day later the horizon moves on by a day; the rule gives no date in it.
        series_services.extend_horizons(now=clock + timedelta(days=1), horizon_days=100)
        db.session.commit()
    second = client.get(
        "/calendar/centers/daegu.ics", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert (second.status_code, second.headers["ETag"]) == (304, first.headers["ETag"])
    with app.app_context():
        body = feeds.render(feeds.FeedScope("center", db.session.scalar(sa.select(Center.id))),
                            locale="ko")  # fmt: skip
    assert body == first.data
    assert b"LOCATION" not in body  # the series has no venue: no empty property


def test_feed_without_last_modified_shows_a_series_removed_from_it(
    app, db, client, create_series, clock
):
    create_series(title_en="Older Day", now=clock - timedelta(days=5))
    newer_id = create_series(title_en="Newer Day", rrule="FREQ=MONTHLY;BYDAY=+2TH",
                             start_date=date(2026, 12, 10))  # fmt: skip
    url = "/calendar/centers/daegu.ics?lang=en"
    first = client.get(url)
    with app.app_context():
        newer = db.session.get(EventSeries, newer_id)
        series_services.apply_series_edit(
            newer, values=series_values(title_en="Newer Day", rrule="FREQ=MONTHLY;BYDAY=+2TH",
                                        start_date=date(2026, 12, 10), status="draft"),
            scope="all", from_occurrence=None, keep_conflicts=False, actor_id=None,
            now=clock + timedelta(hours=1), horizon_days=548,
        )  # fmt: skip
        db.session.commit()
    # A client that remembers when it last fetched (If-Modified-Since) must see the removal.
    again = client.get(url, headers={"If-Modified-Since": "Wed, 01 Dec 2027 00:00:00 GMT"})
    assert ("Last-Modified" in first.headers, again.status_code) == (False, 200)
    assert (b"Newer Day" in first.data, b"Newer Day" in again.data) == (True, False)


# --- Hypothesis: random series, both expanders ----------------------------------------------


@pytest.mark.icaljs
@settings(
    max_examples=EXAMPLES or 20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    spec=rule_specs(),
    zone=st.sampled_from(ZONES),
    start_day=st.dates(date(2026, 1, 1), date(2027, 12, 31)),
    start_hour=st.integers(0, 23),
    policy=st.sampled_from(["keep", "skip", "next_business_day"]),
    picks=st.tuples(st.integers(0, 50), st.integers(0, 50)),
)
def test_random_series_feeds_expand_to_the_database(
    app, db, create_center, spec, zone, start_day, start_hour, policy, picks
):
    now = datetime.combine(start_day, time(0), tzinfo=UTC) - timedelta(days=2)
    with app.app_context():
        db.session.rollback()
        clean_database(db.engine)
        center = db.session.get(Center, create_center("daegu"))
        try:
            series = series_services.create_series(
                center,
                values=series_values(
                    title_en="Random", rrule=build_rrule(spec, start_date=start_day), start_date=start_day,
                    start_time=time(start_hour, 30), duration_minutes=60, session_offset_minutes=0,
                    slot_count=2, slot_minutes=20, timezone=zone, holiday_policy=policy,
                ),
                actor_id=None, now=now, horizon_days=200,
            )  # fmt: skip
        except RuleError:
            db.session.rollback()
            assume(False)
        rows = sorted(series.occurrences, key=lambda o: o.start_at)
        if rows:
            series_services.cancel_occurrence(
                rows[picks[0] % len(rows)], reason="x", actor_id=None, now=now
            )
            target = rows[picks[1] % len(rows)]
            if not target.is_cancelled:
                series_services.move_occurrence(
                    target,
                    start_at=target.start_at + timedelta(minutes=30),
                    end_at=target.end_at + timedelta(minutes=30),
                    actor_id=None,
                    now=now,
                )
        db.session.commit()
        horizon = series.materialized_until_at
        expected = _db_instances(db, [series.id], horizon)
        body = feeds.render(feeds.FeedScope("series", series.id), locale="en")
        # End the session's read transaction first: on PostgreSQL the TRUNCATE would wait for it.
        db.session.rollback()
        clean_database(db.engine)
    assert _expanded(body, now - timedelta(days=400), horizon) == expected
    if picks[0] % 5 == 0:  # ical.js through Node.js on a sample: a process per example
        assert _icaljs(body, horizon) == expected


# --- Personal feeds --------------------------------------------------------------------------


def test_personal_feed_token_is_hashed_revocable_and_regenerable(app, db, client, auth):
    auth("organizer", locale="en")
    page = client.get("/account/calendar").get_data(as_text=True)
    token_re = re.compile(r"https://eventhub\.test/calendar/feed/([A-Za-z0-9_\-]+)\.ics")
    from tests.conftest import post_form

    created = post_form(client, "/account/calendar", {"action": "regenerate"})
    token = token_re.search(created.get_data(as_text=True)).group(1)
    assert "webcal://eventhub.test/calendar/feed/" in created.get_data(as_text=True)
    assert len(token) >= 43  # 256 bits, base64
    with app.app_context():
        stored = db.session.scalars(sa.select(FeedToken.token_hash)).all()
        assert len(stored) == 1
        assert token not in stored
    assert app.test_client().get(f"/calendar/feed/{token}.ics").status_code == 200
    again = post_form(client, "/account/calendar", {"action": "regenerate"})
    new_token = token_re.search(again.get_data(as_text=True)).group(1)
    assert app.test_client().get(f"/calendar/feed/{token}.ics").status_code == 404
    assert app.test_client().get(f"/calendar/feed/{new_token}.ics").status_code == 200
    post_form(client, "/account/calendar", {"action": "revoke"})
    assert app.test_client().get(f"/calendar/feed/{new_token}.ics").status_code == 404
    assert "Create my feed" in page


def test_feed_tokens_never_reach_the_log(app, client, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    # What werkzeug's access log writes for a request, through the app's loggers.
    logging.getLogger("werkzeug").info(
        '%s - "%s" %s', "127.0.0.1", "GET /calendar/feed/SECRETtoken123.ics HTTP/1.1", 200
    )
    assert [r.getMessage() for r in caplog.records if r.name == "werkzeug"] == [
        '127.0.0.1 - "GET /calendar/feed/[redacted].ics HTTP/1.1" 200'
    ]
    assert "SECRETtoken123" not in caplog.text


def test_investor_feed_shows_answers_and_the_published_lineup(
    app, db, make_occurrence, make_startup, clock
):
    from eventhub.accounts.models import InvestorProfile, StartupProfile
    from eventhub.bookings import services as bookings
    from eventhub.invitations import services as invitations
    from eventhub.invitations.models import RsvpStatus

    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        occ = db.session.get(Occurrence, occurrence_id)
        others = sorted(
            (o for o in occ.series.occurrences if o.id != occ.id), key=lambda o: o.start_at
        )
        investor = InvestorProfile(email="vc@hanbit.example", firm="Hanbit", person_name="김")
        db.session.add(investor)
        db.session.flush()
        bookings.book_slot(
            bookings.slots_of(occurrence_id)[0],
            startup=db.session.get(StartupProfile, startup_id),
            actor_id=None,
            now=clock,
        )
        [mine] = invitations.invite([occ], investors=[investor], actor_id=None, now=clock)
        [declined] = invitations.invite([others[0]], investors=[investor], actor_id=None, now=clock)
        invitations.answer(declined, status=RsvpStatus.declined, now=clock)
        db.session.commit()
        body = feeds.render(feeds.FeedScope("investor", investor.id), locale="en")
        events = Calendar.from_ical(body).walk("VEVENT")
        assert [(str(e["UID"]), str(e["STATUS"])) for e in events] == [
            (f"occurrence-{occurrence_id}@eventhub.test", "TENTATIVE")
        ]
        invitations.answer(mine, status=RsvpStatus.accepted, now=clock)
        invitations.publish_lineup(occ, actor_id=None, now=clock)
        db.session.commit()
        body = feeds.render(feeds.FeedScope("investor", investor.id), locale="en")
        [event] = Calendar.from_ical(body).walk("VEVENT")
        assert str(event["STATUS"]) == "CONFIRMED"
        assert (
            "14:30 · Carbonix · Materials (carbon fiber) · Seed · 1,000,000,000 KRW · "
            "Carbonix one-liner" in str(event["DESCRIPTION"])
        )  # labels, not the stored codes
        assert b"ATTENDEE" not in body
        body_ko = feeds.render(feeds.FeedScope("investor", investor.id), locale="ko")
        [event_ko] = Calendar.from_ical(body_ko).walk("VEVENT")
        assert "14:30 · Carbonix · 소재(탄소섬유) · 시드 · " in str(event_ko["DESCRIPTION"])


def test_startup_feed_has_the_slot_not_the_day(app, db, make_occurrence, make_startup, clock):
    from eventhub.accounts.models import StartupProfile
    from eventhub.bookings import services as bookings

    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        slot = bookings.slots_of(occurrence_id)[2]
        booking = bookings.book_slot(
            slot, startup=db.session.get(StartupProfile, startup_id), actor_id=None, now=clock
        )
        db.session.commit()
        [event] = Calendar.from_ical(
            feeds.render(feeds.FeedScope("startup", startup_id), locale="ko")
        ).walk("VEVENT")
        assert (event["DTSTART"].dt, event["DTEND"].dt) == (slot.start_at, slot.end_at)
        assert str(event["UID"]) == f"booking-{booking.id}@eventhub.test"
        assert "CONTACT" in event


def test_pages_offer_subscribe_links_and_a_single_event_download(app, db, client, create_series):
    series_id = create_series(title_en="Link Day")
    with app.app_context():
        occ_id = db.session.scalars(
            sa.select(Occurrence.id).where(Occurrence.series_id == series_id)
        ).first()
    page = client.get("/series/link-day", headers=EN).get_data(as_text=True)
    assert "webcal://eventhub.test/calendar/series/link-day.ics" in page
    assert (
        "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Feventhub.test%2Fcalendar%2Fseries%2Flink-day.ics"
        in page
    )
    assert (
        "https://outlook.live.com/calendar/0/addfromweb?url=https%3A%2F%2Feventhub.test%2Fcalendar%2Fseries%2Flink-day.ics"
        in page
    )
    single = client.get(f"/calendar/occurrences/{occ_id}.ics")
    assert single.headers["Content-Disposition"] == f'attachment; filename="eventhub-{occ_id}.ics"'
    assert len(Calendar.from_ical(single.data).walk("VEVENT")) == 1


def test_moving_and_cancelling_an_occurrence_sends_updated_invitations_with_the_same_uid(
    app, db, make_occurrence, make_startup, clock
):
    from eventhub.accounts.models import InvestorProfile, StartupProfile
    from eventhub.bookings import services as bookings
    from eventhub.core.outbox import OutboxMessage
    from eventhub.invitations import services as invitations
    from eventhub.invitations.models import RsvpStatus

    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        occ = db.session.get(Occurrence, occurrence_id)
        booking = bookings.book_slot(
            bookings.slots_of(occurrence_id)[0],
            startup=db.session.get(StartupProfile, startup_id),
            actor_id=None,
            now=clock,
        )
        investor = InvestorProfile(email="vc@hanbit.example", firm="Hanbit", person_name="김")
        db.session.add(investor)
        db.session.flush()
        [invitation] = invitations.invite([occ], investors=[investor], actor_id=None, now=clock)
        invitations.answer(invitation, status=RsvpStatus.accepted, now=clock)
        db.session.commit()
        series_services.move_occurrence(
            occ,
            start_at=occ.start_at + timedelta(hours=1),
            end_at=occ.end_at + timedelta(hours=1),
            actor_id=None,
            now=clock,
        )
        series_services.cancel_occurrence(occ, reason="폭설", actor_id=None, now=clock)
        db.session.commit()
        messages = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind == "transactional")
            .order_by(OutboxMessage.id)
        ).all()
        booking_id, slot_start = booking.id, booking.slot.start_at

    def calendar_of(message):
        return Calendar.from_ical(message.attachments[0]["content"])

    seen = [
        (
            m.template,
            str(calendar_of(m)["METHOD"]),
            str(calendar_of(m).walk("VEVENT")[0]["UID"]),
            int(calendar_of(m).walk("VEVENT")[0]["SEQUENCE"]),
        )
        for m in messages
    ]
    booking_uid = f"booking-{booking_id}@eventhub.test"
    occurrence_uid = f"occurrence-{occurrence_id}@eventhub.test"
    assert seen == [
        ("bookings/confirmed", "REQUEST", booking_uid, 1),
        ("invitations/invite", "REQUEST", occurrence_uid, 0),
        ("bookings/occurrence_changed", "REQUEST", booking_uid, 2),
        ("invitations/occurrence_changed", "REQUEST", occurrence_uid, 1),
        ("bookings/occurrence_cancelled", "CANCEL", booking_uid, 3),
        ("invitations/occurrence_cancelled", "CANCEL", occurrence_uid, 2),
    ]
    moved = calendar_of(messages[2]).walk("VEVENT")[0]
    assert moved["DTSTART"].dt == slot_start
    assert "폭설" in messages[4].body_text


def test_emailed_invitations_are_alternatives_of_the_body_stamped_when_made(
    app, db, make_occurrence, make_startup, clock, smtp_server, send_mail
):
    from eventhub.accounts.models import StartupProfile
    from eventhub.bookings import services as bookings

    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    moved_at = clock + timedelta(hours=3)
    with app.app_context():
        bookings.book_slot(
            bookings.slots_of(occurrence_id)[0],
            startup=db.session.get(StartupProfile, startup_id), actor_id=None, now=clock,
        )  # fmt: skip
        db.session.commit()
        occ = db.session.get(Occurrence, occurrence_id)
        series_services.move_occurrence(
            occ, start_at=occ.start_at + timedelta(hours=1), end_at=occ.end_at + timedelta(hours=1),
            actor_id=None, now=moved_at,
        )  # fmt: skip
        db.session.commit()
    assert send_mail(now=moved_at + timedelta(minutes=1)) == 2
    shapes, stamps = [], []
    for message in smtp_server.messages:
        parts = list(message.iter_parts())
        calendar = Calendar.from_ical(parts[-1].get_content())
        shapes.append(
            (message.get_content_type(), [p.get_content_type() for p in parts],
             parts[-1].get_param("method"), str(calendar["METHOD"]))
        )  # fmt: skip
        event = calendar.walk("VEVENT")[0]
        stamps.append(event["DTSTAMP"].dt)
        assert "LOCATION" not in event  # the series has no venue: no empty property
    alternative = ["text/plain", "text/html", "text/calendar"]
    assert shapes == [
        ("multipart/alternative", alternative, "REQUEST", "REQUEST"),
        ("multipart/alternative", alternative, "REQUEST", "REQUEST"),
    ]
    assert stamps == [clock, moved_at]


# --- Warm feeds on PostgreSQL: the version in memory, kept by LISTEN/NOTIFY --------------------


def _serve_until_changed(database_url: str, instance: str, url: str, ready, results) -> None:
    """A separate web process: warm its cache, then ask for `url` with its ETag until the
    answer changes; report when, and whether it ever asked the database for the version."""
    try:
        _serve_and_watch(database_url, instance, url, ready, results)
    except Exception as exc:  # reported, so that the test fails with it instead of waiting
        ready.put(repr(exc))
        raise


def _serve_and_watch(database_url: str, instance: str, url: str, ready, results) -> None:
    import time as clock_time
    from pathlib import Path

    from eventhub.extensions import db as database
    from eventhub.feeds import versioning
    from tests.conftest import make_test_app

    app = make_test_app(database_url, Path(instance), FEED_VERSION_LISTEN=True)
    with app.app_context():
        listener = versioning.listener_for(database.engine.url)
    deadline = clock_time.monotonic() + 20
    while listener.current() is None and clock_time.monotonic() < deadline:
        clock_time.sleep(0.01)
    client = app.test_client()
    etag = client.get(url).headers["ETag"]
    ready.put("ready")
    deadline = clock_time.monotonic() + 10
    seen = None
    while seen is None and clock_time.monotonic() < deadline:
        if client.get(url, headers={"If-None-Match": etag}).status_code == 200:
            seen = clock_time.monotonic()
        else:
            clock_time.sleep(0.002)
    results.put((seen, "eventhub_version_engine" in app.extensions))


@pytest.mark.postgres_only
def test_every_process_serves_a_committed_change_within_a_second(
    app, db, create_series, database_url, tmp_path
):
    import multiprocessing
    import time as clock_time

    series_id = create_series(title_en="Warm Day")
    url = "/calendar/centers/daegu.ics"
    context = multiprocessing.get_context("spawn")
    ready, results = context.Queue(), context.Queue()
    processes = [
        context.Process(
            target=_serve_until_changed,
            args=(database_url, str(tmp_path / f"instance-{n}"), url, ready, results),
        )
        for n in range(2)
    ]
    for process in processes:
        process.start()
    try:
        assert [ready.get(timeout=60) for _ in processes] == ["ready", "ready"]
        with app.app_context():
            occ = db.session.scalars(
                sa.select(Occurrence).where(Occurrence.series_id == series_id)
                .order_by(Occurrence.start_at.desc())
            ).first()  # fmt: skip
            series_services.cancel_occurrence(
                occ, reason="폭설", actor_id=None, now=datetime(2026, 12, 1, tzinfo=UTC)
            )
            db.session.commit()
            committed = clock_time.monotonic()
        reports = [results.get(timeout=30) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
    # Every process saw the change within a second, and none asked the database per request.
    assert [(seen is not None and seen - committed < 1.0, asked) for seen, asked in reports] == [
        (True, False),
        (True, False),
    ]


@pytest.mark.postgres_only
def test_feed_version_in_memory_catches_a_missed_notification_and_falls_back_when_down(app, db):
    import time as clock_time

    from eventhub.feeds import versioning
    from eventhub.feeds.models import FeedChange

    def unannounced_change() -> int:  # a commit whose NOTIFY the listener never gets
        with db.engine.begin() as connection:
            return connection.execute(
                sa.insert(FeedChange).values(changed_at=datetime(2026, 12, 1, tzinfo=UTC))
                .returning(FeedChange.id)
            ).scalar_one()  # fmt: skip

    with app.app_context():
        app.config["FEED_VERSION_LISTEN"] = True
        listener = versioning.listener_for(db.engine.url)
        try:
            deadline = clock_time.monotonic() + 20
            while listener.current() is None and clock_time.monotonic() < deadline:
                clock_time.sleep(0.01)
            first = unannounced_change()
            clock_time.sleep(versioning.HEARTBEAT * 2)  # the heartbeat reads the newest id
            heard = feeds.version()
            listener.stop()
            second = unannounced_change()
            asked = feeds.version()  # the listener is down: the database is asked
        finally:
            app.config.pop("FEED_VERSION_LISTEN")
            listener.stop()
            versioning._LISTENERS.clear()
    assert (heard, listener.current(), asked) == (first, None, second)


def test_simultaneous_feed_regenerations_all_answer_and_leave_one_live_token(app, db, create_user):
    # A double click (or two tabs) regenerating at once: on PostgreSQL both inserted a live
    # token and the unique index made one of them a 500.
    import threading

    from eventhub.feeds.models import FeedToken
    from tests.conftest import PASSWORD, csrf_token, post_form

    create_user("twice@example.com", role="startup", locale="en")
    clients = []
    for _ in range(6):
        client = app.test_client()
        post_form(client, "/login", {"email": "twice@example.com", "password": PASSWORD})
        clients.append((client, csrf_token(client, "/account/calendar")))
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def regenerate(client, token) -> None:
        start.wait()
        response = client.post(
            "/account/calendar", data={"csrf_token": token, "action": "regenerate"}
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=regenerate, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200] * len(clients)
    with app.app_context():
        live = db.session.scalar(
            sa.select(sa.func.count()).select_from(FeedToken).where(FeedToken.revoked_at.is_(None))
        )
        assert live == 1
