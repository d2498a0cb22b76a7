"""The public pages stay live while their HTML is kept (issue 13): what a visitor reads is the
data of the moment, whatever was rendered for the visitor before; and anonymous pages carry no
session."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from eventhub.core.fragments import fragment_environment
from tests.conftest import PASSWORD, make_test_app, post_form


def _page(client, path: str, language: str = "en") -> str:
    response = client.get(path, headers={"Accept-Language": language})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _first_date(app, db, series_id: int) -> int:
    from eventhub.series.models import Occurrence

    with app.app_context():
        return db.session.scalar(
            sa.select(Occurrence.id)
            .where(Occurrence.series_id == series_id)
            .order_by(Occurrence.start_at)
            .limit(1)
        )


def test_a_date_added_after_a_visit_shows_at_the_next_visit(client, create_series):
    create_series(title_en="Spring Demo Day", title_ko="봄 데모데이")
    home = _page(client, "/")
    assert "Spring Demo Day" in home
    assert "Autumn Investor Day" not in home

    create_series(
        title_en="Autumn Investor Day",
        title_ko="가을 투자자의 날",
        start_date=date(2026, 12, 9),
    )

    home = _page(client, "/")
    assert "Autumn Investor Day" in home
    assert "Spring Demo Day" in home
    # The center page and the new series' own page follow too.
    assert "Autumn Investor Day" in _page(client, "/centers/daegu")
    # Monthly on the third Wednesday from 2026-12-09: its first date is 2026-12-16.
    assert "2026-12-16 14:00" in _page(client, "/series/autumn-investor-day")


def test_a_cancelled_date_shows_cancelled_on_the_next_visit(app, db, client, create_series, clock):
    from eventhub.scheduling import services
    from eventhub.series.models import Occurrence

    series_id = create_series()
    occurrence_id = _first_date(app, db, series_id)
    assert "badge" not in _page(client, "/").split('class="occurrences"')[1].split("</ul>")[0]
    before = _page(client, "/series/samsung-venture-partners-day")

    with app.app_context():
        occurrence = db.session.get(Occurrence, occurrence_id)
        services.cancel_occurrence(occurrence, reason="Venue flooded", actor_id=None, now=clock)
        db.session.commit()

    listed = _page(client, "/").split('class="occurrences"')[1].split("</ul>")[0]
    assert f'href="/occurrences/{occurrence_id}"' in listed
    assert '<span class="badge">Cancelled</span>' in listed
    after = _page(client, "/series/samsung-venture-partners-day")
    assert after != before
    assert '<span class="badge">Cancelled</span>' in after


def test_the_same_list_reads_in_the_visitors_language(client, create_series):
    create_series(title_en="Samsung Venture Partners Day", title_ko="삼성벤처 파트너스 데이")
    english = _page(client, "/", "en")
    korean = _page(client, "/", "ko")
    assert "Samsung Venture Partners Day" in english
    assert "삼성벤처 파트너스 데이" not in english
    assert "삼성벤처 파트너스 데이" in korean
    assert "Samsung Venture Partners Day" not in korean
    # Asked again, each language still gets its own.
    assert _page(client, "/", "en") == english


def test_anonymous_public_pages_set_no_cookie(app, db, client, create_series):
    series_id = create_series()
    occurrence_id = _first_date(app, db, series_id)
    for path in (
        "/",
        "/?month=2027-01",
        "/centers/daegu",
        "/series/samsung-venture-partners-day",
        f"/occurrences/{occurrence_id}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers.get("Set-Cookie") is None, path


def test_an_anonymous_visitor_switches_language_without_a_token(client, create_series):
    create_series()
    response = client.post(
        "/language",
        data={"locale": "ko", "next": "/"},
        headers={"Origin": "http://localhost", "Accept-Language": "en"},
    )
    assert response.status_code == 302
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ko">' in page


def test_a_logged_in_user_needs_the_token_to_switch_language(app, db, client, auth):
    from eventhub.accounts.models import User

    user_id = auth("startup", "founder@example.com")
    forged = client.post(
        "/language", data={"locale": "en", "next": "/"}, headers={"Origin": "http://localhost"}
    )
    assert forged.status_code == 400
    with app.app_context():
        assert db.session.get(User, user_id).locale != "en"


def test_each_app_keeps_its_own_fragments(database_url, tmp_path, app, db, create_series):
    """The subscribe box shows the app's PUBLIC_BASE_URL: a second app with another address
    shows its own, though the data is the same."""
    create_series()
    other = make_test_app(
        database_url, tmp_path / "other", PUBLIC_BASE_URL="https://events.example.org"
    )
    try:
        ours = _page(app.test_client(), "/")
        theirs = _page(other.test_client(), "/")
    finally:
        with other.app_context():
            db.engine.dispose()
    assert "events.example.org" in theirs
    assert "events.example.org" not in ours


@pytest.mark.parametrize(
    "source",
    [
        "{{ request.path }}",
        "{% if current_user.is_authenticated %}hello{% endif %}",
        "{{ csrf_token() }}",
        "{{ session.get('locale') }}",
        "{% for message in get_flashed_messages() %}{{ message }}{% endfor %}",
    ],
)
def test_a_fragment_template_that_reads_the_request_fails_instead_of_being_kept(app, source):
    # A fragment's HTML is served to the next reader with the same inputs: one that showed
    # this visitor's name or token would leak it, so the environment refuses outright.
    with app.test_request_context("/"):
        env = fragment_environment(app)
        with pytest.raises(RuntimeError, match="fragments read only their inputs"):
            env.from_string(source).render()
        # What fragments may use still works there: translations and links.
        assert env.from_string("{{ url_for('pages.index') }}").render() == "/"


def test_series_page_lists_twelve_next_dates_soonest_first_and_twelve_past_latest_first(
    client, create_series, clock
):
    from datetime import UTC, datetime

    # Weekly on Wednesdays since June, planned back then for a year ahead; today is
    # Monday 2026-11-30, so 26 Wednesdays lie behind and many ahead.
    create_series(
        title_en="Weekly Pitch",
        rrule="FREQ=WEEKLY;BYDAY=WE",
        start_date=date(2026, 6, 3),
        now=datetime(2026, 6, 1, tzinfo=UTC),
        horizon_days=365,
    )
    page = _page(client, "/series/weekly-pitch")
    upcoming, past = page.split("Next dates")[1].split("Past dates")
    next_days = re.findall(r'<time datetime="[^"]+">(\d{4}-\d{2}-\d{2})', upcoming)
    past_days = re.findall(r'<time datetime="[^"]+">(\d{4}-\d{2}-\d{2})', past)
    assert next_days[:3] == ["2026-12-02", "2026-12-09", "2026-12-16"]
    assert len(next_days) == 12
    assert next_days == sorted(next_days)
    assert past_days[:3] == ["2026-11-25", "2026-11-18", "2026-11-11"]
    assert len(past_days) == 12
    assert past_days == sorted(past_days, reverse=True)


def _next_path(page: str) -> str:
    return re.search(r'<input type="hidden" name="next" value="([^"]*)">', page).group(1)


def test_anonymous_header_returns_each_visitor_to_their_own_page_in_their_language(
    app, db, client, create_center
):
    create_center(slug="busan")
    home = _page(client, "/?q=%3Cscript%3E&page=2")
    center = _page(client, "/centers/busan")
    again = _page(client, "/?q=demo")
    # The switcher sends each visitor back where they were (escaped), though the header
    # itself is kept once per language.
    assert _next_path(home) == "/?q=%3Cscript%3E&amp;page=2"
    assert _next_path(center) == "/centers/busan"
    assert _next_path(again) == "/?q=demo"
    korean = _page(client, "/centers/busan", language="ko")
    assert ">Log in<" in center
    assert ">Log in<" not in korean
    assert ">로그인<" in korean
    assert re.search(r'value="en" lang="en" aria-current="true"', center)
    assert re.search(r'value="ko" lang="ko" aria-current="true"', korean)


def test_a_logged_in_header_never_reaches_the_next_anonymous_visitor(app, db, client, create_user):
    create_user("founder@example.com", role="startup", locale="en", display_name="Kim Founder")
    post_form(client, "/login", {"email": "founder@example.com", "password": PASSWORD})
    mine = _page(client, "/")
    assert "Kim Founder" in mine
    assert 'name="csrf_token"' in mine

    stranger = app.test_client()
    theirs = _page(stranger, "/")
    assert "Kim Founder" not in theirs
    assert "csrf_token" not in theirs
    assert "csrf-token" not in theirs
    assert ">Log in<" in theirs
