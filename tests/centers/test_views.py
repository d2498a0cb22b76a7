"""The demo data and the public pages that show it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa

from eventhub.accounts.models import User
from eventhub.centers.models import Center
from eventhub.demo import DEMO_PASSWORD, seed_demo
from eventhub.series.models import EventSeries, Occurrence
from tests.conftest import post_form, without_tokens

NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


def _counts(db) -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Center, User, EventSeries, Occurrence)
    }


def test_seed_demo_twice_changes_nothing(app, db):
    with app.app_context():
        first = seed_demo(now=NOW, horizon_days=548)
        db.session.commit()
        counts = _counts(db)
        second = seed_demo(now=NOW, horizon_days=548)
        db.session.commit()
        assert first["centers"] == 17
        assert first["series"] == 3
        assert second == {"centers": 0, "users": 0, "series": 0, "occurrences": 0}
        assert _counts(db) == counts


def test_seed_demo_series_follow_their_rules_in_seoul_time(app, db):
    with app.app_context():
        seed_demo(now=NOW, horizon_days=548)
        db.session.commit()
        series = db.session.scalar(
            sa.select(EventSeries).where(EventSeries.slug == "samsung-venture-partners-day")
        )
        upcoming = [o.starts_at_local for o in series.occurrences if o.start_at > NOW][:3]
    # Every third Wednesday at 14:00 KST.
    assert [d.isoformat() for d in upcoming] == [
        "2026-12-16T14:00:00+09:00",
        "2027-01-20T14:00:00+09:00",
        "2027-02-17T14:00:00+09:00",
    ]


def test_home_page_lists_the_17_centers_and_upcoming_investor_days(app, db, client):
    with app.app_context():
        seed_demo(now=datetime.now(UTC), horizon_days=548)
        db.session.commit()
    body = client.get("/", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    centers = re.findall(r'href="/centers/([a-z]+)"', body)
    assert len(set(centers)) == 17
    assert "삼성벤처 파트너스 데이" in body
    assert "파이낸셜 데이" in body
    assert "G-인베스트 데이" in body


def test_demo_login_works_with_the_printed_password(app, db, client):
    with app.app_context():
        seed_demo(now=NOW, horizon_days=548)
        db.session.commit()
    response = post_form(
        client, "/login", {"email": "organizer.daegu@eventhub.example", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    body = client.get("/organize").get_data(as_text=True)
    assert "대구창조경제혁신센터" in body
    assert "경북창조경제혁신센터" in body
    assert "대전창조경제혁신센터" not in body
    # Each center lists its next dates, each with the link to change it.
    assert "삼성벤처 파트너스 데이" in body
    assert len(re.findall(r'<a class="manage" href="/organize/occurrences/\d+"', body)) >= 2


def test_center_page_shows_its_industries_and_partner(app, db, client):
    with app.app_context():
        seed_demo(now=NOW, horizon_days=548)
        db.session.commit()
    body = client.get("/centers/jeonbuk", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Jeonbuk Center for Creative Economy &amp; Innovation" in body
    assert "Hyosung" in body
    assert "Materials (carbon fiber)" in body


def test_occurrence_page_shows_time_in_the_event_zone(app, db, client):
    with app.app_context():
        seed_demo(now=NOW, horizon_days=548)
        db.session.commit()
        occ_id = db.session.scalar(
            sa.select(Occurrence.id)
            .join(EventSeries)
            .where(EventSeries.slug == "financial-day", Occurrence.start_at > NOW)
            .order_by(Occurrence.start_at)
        )
    body = client.get(f"/occurrences/{occ_id}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    # Second Thursday of December 2026, 15:00 in Seoul.
    assert "2026-12-10 15:00 KST" in body
    assert "Asia/Seoul" in body


def test_unknown_center_and_occurrence_are_404(client):
    assert client.get("/centers/atlantis").status_code == 404
    assert client.get("/occurrences/999999").status_code == 404
    assert client.get("/series/nothing").status_code == 404


def test_the_home_page_switches_language_back_and_forth_in_one_process(app, db, client):
    # Weekday names, industry labels, texts and names are kept per language once made: each
    # request must still get its own language, whatever the one before it was.
    with app.app_context():
        seed_demo(now=datetime.now(UTC), horizon_days=548)
        db.session.commit()
    pages = [
        client.get("/", headers={"Accept-Language": language}).get_data(as_text=True)
        for language in ("ko", "en", "ko", "en")
    ]
    for korean in pages[0::2]:
        assert "다가오는 투자 설명회" in korean
        assert re.search(r"\((월|화|수|목|금|토|일)\)</time>", korean)
        assert "바이오" in korean
        assert "Upcoming investor days" not in korean
    for english in pages[1::2]:
        assert "Upcoming investor days" in english
        assert re.search(r"\((Mon|Tue|Wed|Thu|Fri|Sat|Sun)\)</time>", english)
        assert "Bio and healthcare" in english
        assert not re.search(r"\((월|화|수|목|금|토|일)\)</time>", english)
    # The same page again, but for the CSRF token, which carries the second it was made.
    assert without_tokens(pages[0]) == without_tokens(pages[2])


def test_an_email_rendered_during_a_request_uses_its_recipients_language(app):
    from flask import render_template_string
    from flask_babel import force_locale

    from eventhub.centers.industries import industry_label
    from eventhub.core.i18n import current_language

    template = "{{ _('Cancelled') }} {{ weekday_name(day) }} {{ 'bio' | industry }}"
    day = datetime(2026, 12, 16, 5, 0, tzinfo=UTC)  # a Wednesday
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(template, day=day) == "Cancelled Wed Bio and healthcare"
        with force_locale("ko"):
            assert current_language() == "ko"
            assert industry_label("bio") != "Bio and healthcare"
            korean = render_template_string(template, day=day)
        assert korean.split()[1] == "수"
        assert "Cancelled" not in korean
        assert current_language() == "en"
        assert render_template_string(template, day=day) == "Cancelled Wed Bio and healthcare"
