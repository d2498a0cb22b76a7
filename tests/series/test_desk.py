"""Organizer pages of a date: the time-zone list, a history that says old -> new, and
closed-date names in Korean and English."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from eventhub.core.i18n import is_valid_timezone
from eventhub.scheduling.forms import COMMON_ZONES, timezone_choices
from eventhub.scheduling.services import holidays_for, parse_extra_holidays
from eventhub.series.models import EventSeries, Occurrence
from tests.conftest import post_form
from tests.series import test_views as shared

FORM = shared.FORM
organizer = shared.organizer  # the fixture, shared with the series page tests


def test_time_zone_choices_are_valid_iana_zones_with_seoul_first():
    choices = timezone_choices()
    assert choices[0] == ("Asia/Seoul", "Asia/Seoul (UTC+09:00)")
    assert [name for name, _ in choices[: len(COMMON_ZONES)]] == list(COMMON_ZONES)
    assert all(is_valid_timezone(name) for name, _ in choices)
    assert len({name for name, _ in choices}) == len(choices)


def test_series_form_offers_a_time_zone_list_and_refuses_one_outside_it(app, db, client, organizer):
    page = client.get("/organize/centers/daegu/series/new").get_data(as_text=True)
    assert '<select id="timezone" name="timezone"' in page
    assert '<option selected value="Asia/Seoul">Asia/Seoul (UTC+09:00)</option>' in page
    response = post_form(
        client, "/organize/centers/daegu/series/new",
        {**FORM, "timezone": "Mars/Olympus_Mons", "save": "1"},
    )  # fmt: skip
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EventSeries)) == 0


def test_date_history_shows_what_changed_from_old_to_new(app, db, client, organizer, create_series):
    series_id = shared._future_series(create_series)
    with app.app_context():
        first = db.session.scalars(
            sa.select(Occurrence)
            .where(Occurrence.series_id == series_id)
            .order_by(Occurrence.start_at)
        ).first()
        first_id, local = first.id, first.starts_at_local
    url = f"/organize/occurrences/{first_id}"
    day = local.date().isoformat()
    moved = post_form(
        client, url + "/move",
        {"start_date": day, "start_time": "15:00", "end_time": "16:00"}, form_url=url,
    )  # fmt: skip
    assert moved.status_code == 302
    page = client.get(url).get_data(as_text=True)
    old = local.strftime("%Y-%m-%d %H:%M")
    assert f"<li>Start: <del>{old}</del> → <ins>{day} 15:00</ins></li>" in page


def test_closed_date_names_are_read_in_each_language():
    parsed = parse_extra_holidays(
        "2027-12-31 종무식 | Year-end closing\n2027-06-01 창립기념일\n2027-06-02\n2027-06-03 |"
    )
    assert parsed == {
        "2027-12-31": "종무식 | Year-end closing",
        "2027-06-01": "창립기념일",
        "2027-06-02": "휴무 | Closed",
        "2027-06-03": "휴무 | Closed",
    }
    holidays_ko = holidays_for(country="KR", extra=parsed, locale="ko")
    holidays_en = holidays_for(country="KR", extra=parsed, locale="en")
    assert holidays_ko.name(date(2027, 12, 31)) == "종무식"
    assert holidays_en.name(date(2027, 12, 31)) == "Year-end closing"
    assert holidays_en.name(date(2027, 6, 1)) == "창립기념일"
    assert holidays_en.name(date(2027, 6, 2)) == "Closed"


def test_venue_in_korean_and_english_on_the_date_page(app, db, client, organizer):
    form = {
        **FORM,
        "venue_name": "삼성창조캠퍼스",
        "venue_address": "대구 북구 침산로 88",
        "venue_name_en": "Samsung Creative Campus",
        "venue_address_en": "88 Chimsan-ro, Buk-gu, Daegu",
        "save": "1",
    }
    assert post_form(client, "/organize/centers/daegu/series/new", form).status_code == 302
    with app.app_context():
        occurrence_id = db.session.scalars(
            sa.select(Occurrence.id).order_by(Occurrence.start_at)
        ).first()
    english = client.get(f"/occurrences/{occurrence_id}", headers=shared.EN)
    assert "Samsung Creative Campus, 88 Chimsan-ro, Buk-gu, Daegu" in english.get_data(as_text=True)
    with app.app_context():
        occ = db.session.get(Occurrence, occurrence_id)
        assert occ.venue_in("ko") == ("삼성창조캠퍼스", "대구 북구 침산로 88")
        # A date with a venue of its own does not borrow the series' English.
        occ.venue_name = "대구 엑스코"
        assert occ.venue_in("en") == ("대구 엑스코", None)
