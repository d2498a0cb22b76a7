"""Each role's start page (`/start`), where logging in leads."""

from __future__ import annotations

from tests.conftest import PASSWORD, post_form

EN = {"Accept-Language": "en"}


def test_login_leads_to_the_start_page_which_sends_each_role_on(client, create_user):
    for role, email, landing in [
        ("investor", "vc@example.com", "/investor/invitations"),
        ("organizer", "org@example.com", "/dashboard"),
    ]:
        create_user(email, role=role)
        response = post_form(client, "/login", {"email": email, "password": PASSWORD})
        assert response.headers["Location"] == "/start"
        assert client.get("/start").headers["Location"] == landing
        post_form(client, "/logout", {}, form_url="/")


def test_founder_without_an_intake_is_asked_for_it_first(app, db, client, auth):
    from eventhub.accounts.models import StartupProfile

    user_id = auth("startup")
    with app.app_context():
        db.session.add(StartupProfile(user_id=user_id, company_name="Carbonix"))
        db.session.commit()
    # Once logged in, the founder's own language (Korean by default) decides.
    body = client.get("/start", headers=EN).get_data(as_text=True)
    assert "사전 문진 작성하기" in body
    assert 'href="/intake"' in body


def test_anonymous_visitor_of_a_date_is_told_to_log_in_to_book(client, create_series):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    start = (now + timedelta(days=5)).date()
    weekday = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][start.weekday()]
    create_series(rrule=f"FREQ=WEEKLY;BYDAY={weekday}", start_date=start, now=now, horizon_days=30)
    home = client.get("/", headers=EN).get_data(as_text=True)
    link = home.split('<a href="/occurrences/', 1)[1].split('"', 1)[0]
    body = client.get(f"/occurrences/{link}", headers=EN).get_data(as_text=True)
    assert f'href="/login?next=/occurrences/{link}"' in body
    assert "Log in to book" in body
