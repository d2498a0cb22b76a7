"""Series pages: the organizer's forms and the public pages, through the test client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from eventhub.accounts.models import StartupProfile
from eventhub.bookings.models import Booking, BookingStatus
from eventhub.series.models import EventSeries, Occurrence, OccurrenceStatus
from tests.conftest import post_form

EN = {"Accept-Language": "en"}

FORM = {
    "title_ko": "삼성벤처 파트너스 데이",
    "title_en": "Samsung Venture Partners Day",
    "description_ko": "유망 스타트업이 투자자 앞에서 피칭합니다.",
    "description_en": "**Promising** startups <script>alert(1)</script> [link](javascript:alert(1))",
    "venue_name": "삼성창조캠퍼스",
    "timezone": "Asia/Seoul",
    "start_date": "2027-01-01",
    "start_time": "14:00",
    "duration_minutes": "180",
    "recurrence_mode": "form",
    "freq": "MONTHLY",
    "interval": "1",
    "monthly_mode": "ordinal",
    "ordinal": "3",
    "ordinal_weekday": "WE",
    "end": "never",
    "holiday_policy": "next_business_day",
    "status": "published",
    "is_public": "y",
    "session_offset_minutes": "30",
    "slot_minutes": "15",
    "gap_minutes": "0",
    "slot_count": "8",
    "break_minutes": "10",
    "booking_mode": "first_come",
    "waitlist_mode": "offer",
    "offer_hold_hours": "24",
    "registration_opens_days": "30",
    "registration_closes_hours": "48",
    "cancel_cutoff_hours": "48",
}


@pytest.fixture
def organizer(auth, center_id):
    return auth("organizer", locale="en", center_ids=(center_id,))


def _count(app, db, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_create_series_preview_shows_summary_and_dates_without_saving(app, db, client, organizer):
    response = post_form(client, "/organize/centers/daegu/series/new", {**FORM, "preview": "1"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Every month on the 3rd Wednesday at 14:00" in body
    assert "The first date was moved from 2027-01-01 to 2027-01-20" in body
    # September 2027's third Wednesday is Chuseok: the preview says where it goes and why.
    assert "Moved to 2027-09-17: 추석" in body or "Moved to 2027-09-17: Chuseok" in body
    assert _count(app, db, EventSeries) == 0


def test_create_series_saves_and_shows_a_safe_description(app, db, client, organizer):
    response = post_form(client, "/organize/centers/daegu/series/new", {**FORM, "save": "1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/series/samsung-venture-partners-day"
    with app.app_context():
        series = db.session.scalar(sa.select(EventSeries))
        assert (series.rrule, series.start_date.isoformat()) == (
            "FREQ=MONTHLY;BYDAY=+3WE",
            "2027-01-20",
        )
    page = client.get("/series/samsung-venture-partners-day", headers=EN).get_data(as_text=True)
    assert "Every month on the 3rd Wednesday at 14:00" in page
    assert "<strong>Promising</strong>" in page
    assert "<script>" not in page
    assert 'href="javascript:' not in page


def test_create_series_pasted_rrule_with_bad_part_is_refused(app, db, client, organizer):
    data = {**FORM, "recurrence_mode": "rrule", "rrule_text": "FREQ=MINUTELY", "save": "1"}
    response = post_form(client, "/organize/centers/daegu/series/new", data)
    assert response.status_code == 422
    assert "FREQ=MINUTELY is too frequent" in response.get_data(as_text=True)
    assert _count(app, db, EventSeries) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"interval": "0"}, "The interval must be between 1 and 99."),
        ({"duration_minutes": "0"}, "The duration must be between 1 and 1440 minutes."),
        ({"duration_minutes": "1500"}, "The duration must be between 1 and 1440 minutes."),
        ({"timezone": "Europe/Atlantis"}, "Unknown time zone."),
        ({"end": "count", "count": "0"}, "Choose between 1 and 1000 times."),
        ({"end": "until", "until": "2026-12-01"}, "The last date is before the first date."),
        ({"online_url": "javascript:alert(1)"}, "Use a link that starts with http:// or https://."),
        ({"extra_holidays": "31/12/2027 종무식"}, "Line 1: write a date as YYYY-MM-DD"),
        ({"freq": "WEEKLY"}, "Choose at least one weekday."),
    ],
)
def test_create_series_bad_input_gets_a_form_error(app, db, client, organizer, changes, message):
    response = post_form(
        client, "/organize/centers/daegu/series/new", {**FORM, **changes, "save": "1"}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(app, db, EventSeries) == 0


def test_create_series_for_another_center_is_not_found(app, db, client, auth, create_center):
    create_center("busan")
    own = create_center("jeju")
    auth("organizer", locale="en", center_ids=(own,))
    response = post_form(
        client, "/organize/centers/busan/series/new", {**FORM, "save": "1"}, form_url="/"
    )
    assert response.status_code == 404
    assert _count(app, db, EventSeries) == 0


def _future_series(create_series) -> int:
    now = datetime.now(UTC)
    start = (now + timedelta(days=3)).date()
    return create_series(
        rrule="FREQ=WEEKLY;BYDAY=" + ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][start.weekday()],
        start_date=start,
        now=now,
        horizon_days=30,
    )


def test_cancel_then_public_page_shows_the_reason(app, db, client, organizer, create_series):
    series_id = _future_series(create_series)
    with app.app_context():
        occ_id = db.session.scalars(
            sa.select(Occurrence.id)
            .where(Occurrence.series_id == series_id)
            .order_by(Occurrence.start_at)
        ).first()
    url = f"/organize/occurrences/{occ_id}"
    reason = {"reason": "Speaker unavailable"}
    asked = post_form(client, url + "/cancel", reason, form_url=url)
    assert asked.status_code == 200
    assert "[Cancelled]" not in client.get(f"/occurrences/{occ_id}", headers=EN).get_data(
        as_text=True
    )
    response = post_form(client, url + "/cancel", {**reason, "confirmed": "yes"}, form_url=url)
    assert response.status_code == 302
    public = client.get(f"/occurrences/{occ_id}", headers=EN).get_data(as_text=True)
    assert "[Cancelled]" in public
    assert "Speaker unavailable" in public
    restore = post_form(client, url + "/restore", {}, form_url=url)
    assert restore.status_code == 302
    with app.app_context():
        occ = db.session.get(Occurrence, occ_id)
        assert (occ.status, occ.sequence) == (OccurrenceStatus.scheduled, 2)


def test_cancel_without_reason_is_refused(app, db, client, organizer, create_series):
    series_id = _future_series(create_series)
    with app.app_context():
        occ_id = db.session.scalars(
            sa.select(Occurrence.id).where(Occurrence.series_id == series_id)
        ).first()
    url = f"/organize/occurrences/{occ_id}"
    response = post_form(client, url + "/cancel", {"reason": ""}, form_url=url)
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(Occurrence, occ_id).status == OccurrenceStatus.scheduled


def test_move_onto_the_next_occurrence_is_refused_on_the_page(
    app, db, client, organizer, create_series
):
    series_id = _future_series(create_series)
    with app.app_context():
        first, second = db.session.scalars(
            sa.select(Occurrence)
            .where(Occurrence.series_id == series_id)
            .order_by(Occurrence.start_at)
        ).all()[:2]
        target = second.starts_at_local
        first_id, before = first.id, first.start_at
    url = f"/organize/occurrences/{first_id}"
    response = post_form(
        client,
        url + "/move",
        {
            "start_date": target.date().isoformat(),
            "start_time": "15:00",
            "end_time": "16:00",
        },
        form_url=url,
    )
    assert response.status_code == 409
    assert (
        "Another occurrence of this series already takes place at that time."
        in response.get_data(as_text=True)
    )
    with app.app_context():
        assert db.session.get(Occurrence, first_id).start_at == before


def test_edit_page_lists_conflicts_and_saves_nothing(app, db, client, organizer, create_series):
    series_id = _future_series(create_series)
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        occ = sorted(series.occurrences, key=lambda o: o.start_at)[1]
        startup = StartupProfile(company_name="Carbonix")
        db.session.add_all(
            [startup, Booking(occurrence=occ, startup=startup, status=BookingStatus.applied)]
        )
        db.session.commit()
        slug, rule = series.slug, series.rrule
        other_day = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][
            (series.start_date.weekday() + 1) % 7
        ]
        start = series.start_date + timedelta(days=1)
    data = {
        **FORM,
        "recurrence_mode": "rrule",
        "rrule_text": f"FREQ=WEEKLY;BYDAY={other_day}",
        "start_date": start.isoformat(),
        "scope": "all",
        "save": "1",
    }
    response = post_form(client, f"/organize/series/{slug}/edit", data)
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "These occurrences would be removed but have bookings or accepted invitations:" in body
    assert "1 bookings, 0 accepted invitations" in body
    with app.app_context():
        assert db.session.get(EventSeries, series_id).rrule == rule
    kept = post_form(client, f"/organize/series/{slug}/edit", {**data, "keep_conflicts": "y"})
    assert kept.status_code == 302
    with app.app_context():
        booking = db.session.scalar(sa.select(Booking))
        assert (booking.occurrence.is_detached, booking.occurrence.status) == (
            True,
            OccurrenceStatus.scheduled,
        )


def test_home_page_filters_by_center_industry_and_month(
    app, db, client, create_series, create_center
):
    series_id = _future_series(create_series)
    busan = create_center("busan", name_en="Busan Center", industries=["film"])
    with app.app_context():
        from eventhub.centers.models import Center

        assert db.session.get(Center, busan).industries == ["film"]
    everything = client.get("/", headers=EN).get_data(as_text=True)
    assert "Samsung Venture Partners Day" in everything
    by_center = client.get("/?center=busan", headers=EN).get_data(as_text=True)
    assert "Samsung Venture Partners Day" not in by_center
    # The industry filter means "dates a startup of this industry may apply to": a series open
    # to every industry matches a film startup although its center specializes in electronics.
    open_to_all = client.get("/?industry=film", headers=EN).get_data(as_text=True)
    assert "Samsung Venture Partners Day" in open_to_all
    with app.app_context():
        db.session.get(EventSeries, series_id).eligible_industries = ["electronics"]
        db.session.commit()
    by_industry = client.get("/?industry=electronics", headers=EN).get_data(as_text=True)
    assert "Samsung Venture Partners Day" in by_industry
    other_industry = client.get("/?industry=film", headers=EN).get_data(as_text=True)
    assert "Samsung Venture Partners Day" not in other_industry
    far_month = client.get("/?month=2030-01", headers=EN).get_data(as_text=True)
    assert "No upcoming investor days." in far_month


def test_home_page_searches_titles_and_centers_and_pages_through_dates(
    app, db, client, create_series
):
    _future_series(create_series)  # weekly, from in three days to the 30-day horizon: 4 dates
    found = client.get("/?q=venture+partners", headers=EN).get_data(as_text=True)
    assert "4 dates" in found
    missing = client.get("/?q=fintech", headers=EN).get_data(as_text=True)
    assert "0 dates" in missing
    assert "No upcoming investor days." in missing
    assert client.get("/?page=999999999", headers=EN).status_code == 200


def test_home_page_bad_filter_gets_a_message(client):
    response = client.get("/?month=January", headers=EN)
    assert response.status_code == 400
    assert "Write the month as YYYY-MM; showing all months." in response.get_data(as_text=True)


def test_create_series_with_application_mode_and_a_layout(app, db, client, organizer):
    data = {
        **FORM,
        "booking_mode": "application",
        "waitlist_mode": "auto_confirm",
        "slot_count": "6",
        "slot_minutes": "20",
        "break_every": "3",
        "eligible_industries": ["electronics", "ict"],
        "save": "1",
    }
    assert post_form(client, "/organize/centers/daegu/series/new", data).status_code == 302
    with app.app_context():
        series = db.session.scalar(sa.select(EventSeries))
        assert (series.booking_mode.value, series.waitlist_mode.value, series.eligible_industries) == (
            "application", "auto_confirm", ["electronics", "ict"],
        )  # fmt: skip
        first = min(series.occurrences, key=lambda o: o.start_at)
        from eventhub.bookings import services as bookings

        times = [
            s.start_at.astimezone(first.tz).strftime("%H:%M") for s in bookings.slots_of(first.id)
        ]
    assert times == ["14:30", "14:50", "15:10", "15:40", "16:00", "16:20"]


def test_create_series_whose_session_does_not_fit_is_refused(app, db, client, organizer):
    data = {**FORM, "slot_count": "20", "save": "1"}
    response = post_form(client, "/organize/centers/daegu/series/new", data)
    assert response.status_code == 422
    assert (
        "The pitch session (330 minutes with the offset, gaps and breaks) does not fit into the event (180 minutes)."
        in response.get_data(as_text=True)
    )


def test_registration_window_override_for_one_occurrence(app, db, client, organizer, create_series):
    series_id = _future_series(create_series)
    with app.app_context():
        occ = db.session.scalars(
            sa.select(Occurrence)
            .where(Occurrence.series_id == series_id)
            .order_by(Occurrence.start_at)
        ).first()
        occ_id = occ.id
        day_before = (occ.starts_at_local - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        week_before = (occ.starts_at_local - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    url = f"/organize/occurrences/{occ_id}"
    ok = post_form(
        client, url + "/registration", {"opens": week_before, "closes": day_before}, form_url=url
    )
    assert ok.status_code == 302
    with app.app_context():
        occ = db.session.get(Occurrence, occ_id)
        assert occ.closes_at == occ.start_at - timedelta(days=1)
        assert occ.opens_at == occ.start_at - timedelta(days=7)
    bad = post_form(
        client, url + "/registration", {"opens": day_before, "closes": week_before}, form_url=url
    )
    assert bad.status_code == 422
    assert "Registration must open before it closes." in bad.get_data(as_text=True)


def test_control_characters_are_dropped_from_what_people_type(app, db, client, organizer):
    # NUL itself is refused for the whole request (tests/core/test_security.py).
    data = {**FORM, "title_en": "Escape\x1b Day\x7f", "save": "1"}
    assert post_form(client, "/organize/centers/daegu/series/new", data).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(EventSeries.title_en)) == "Escape Day"
