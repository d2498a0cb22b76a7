"""Sign-up, login, logout, password reset and settings, through the pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from eventhub.accounts.models import PasswordResetToken, User
from eventhub.core.outbox import OutboxMessage
from tests.conftest import PASSWORD, post_form

SIGNUP = {
    "role": "startup",
    "email": "Founder@Carbonix.example",
    "display_name": "김창업",
    "organization": "Carbonix",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


def _count(app, db, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_signup_startup_creates_an_unverified_account_with_profile(app, db, client):
    response = post_form(client, "/signup", SIGNUP)
    assert (response.status_code, response.headers["Location"]) == (303, "/signup/check-mail")
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert (user.email, user.role.value, user.display_name, user.email_verified_at) == (
            "founder@carbonix.example",
            "startup",
            "김창업",
            None,
        )
        assert user.password_hash != PASSWORD
        assert user.startup_profile.company_name == "Carbonix"
        [message] = db.session.scalars(sa.select(OutboxMessage)).all()
        assert (message.recipient, message.template) == (
            "founder@carbonix.example",
            "accounts/verify_email",
        )
    # Sign-up does not log in: the answer must be the same for a known address.
    assert client.get("/account").status_code == 302


def test_signup_weak_password_is_refused_with_the_reason(app, db, client):
    data = {**SIGNUP, "password": "12345678901", "confirm": "12345678901"}
    response = post_form(client, "/signup", data, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert "Use both letters and digits or symbols." in response.get_data(as_text=True)
    assert _count(app, db, User) == 0


def test_signup_short_password_is_refused_in_korean(app, db, client):
    data = {**SIGNUP, "password": "ab1", "confirm": "ab1"}
    response = post_form(client, "/signup", data, headers={"Accept-Language": "ko"})
    assert response.status_code == 422
    assert "10자 이상 입력하세요." in response.get_data(as_text=True)
    assert _count(app, db, User) == 0


def test_signup_mismatched_passwords_are_refused(app, db, client):
    data = {**SIGNUP, "confirm": PASSWORD + "x"}
    response = post_form(client, "/signup", data, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert "The passwords differ." in response.get_data(as_text=True)
    assert _count(app, db, User) == 0


def test_signup_invalid_email_is_refused(app, db, client):
    data = {**SIGNUP, "email": "not-an-email"}
    response = post_form(client, "/signup", data, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert "Enter a valid email address." in response.get_data(as_text=True)
    assert _count(app, db, User) == 0


def test_post_without_csrf_token_is_refused_and_writes_nothing(app, db, client):
    response = client.post("/signup", data=SIGNUP, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert _count(app, db, User) == 0


def test_post_without_csrf_token_answers_json_to_api_clients(app, db, client):
    response = client.post("/signup", data=SIGNUP, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json["error"]["status"] == 400


def test_login_with_wrong_password_is_refused(app, db, client, create_user):
    create_user("founder@carbonix.example")
    response = post_form(
        client,
        "/login",
        {"email": "founder@carbonix.example", "password": "wrong-password-1"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 401
    assert "The email address or password is not correct." in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_login_with_unknown_email_gets_the_same_message(app, db, client):
    response = post_form(
        client,
        "/login",
        {"email": "nobody@example.com", "password": PASSWORD},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 401
    assert "The email address or password is not correct." in response.get_data(as_text=True)


def test_login_is_case_insensitive_and_logout_ends_the_session(app, db, client, create_user):
    create_user("founder@carbonix.example")
    response = post_form(
        client, "/login", {"email": "FOUNDER@carbonix.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert post_form(client, "/logout", {}, form_url="/").status_code == 302
    assert client.get("/account").status_code == 302


def test_login_redirects_only_to_local_next_urls(app, db, client, create_user):
    create_user("founder@carbonix.example")
    response = post_form(
        client,
        "/login?next=https://evil.example/",
        {"email": "founder@carbonix.example", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/start"


def _reset_link(body: str) -> str:
    match = re.search(r"https://eventhub\.test/password/reset/[A-Za-z0-9_\-]+", body)
    assert match, body
    return match.group(0)


def test_password_reset_email_arrives_with_a_working_single_use_link(
    app, db, client, create_user, smtp_server, send_mail
):
    create_user("founder@carbonix.example", locale="en")
    response = post_form(client, "/password/forgot", {"email": "Founder@Carbonix.example"})
    assert response.status_code == 302
    assert send_mail() == 1
    [message] = smtp_server.messages
    assert message["To"] == "founder@carbonix.example"
    assert message["Subject"] == "Reset your EventHub password"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = _reset_link(text)
    assert link in html
    path = link.removeprefix("https://eventhub.test")

    new_password = "brand-new-pass-77"
    changed = post_form(client, path, {"password": new_password, "confirm": new_password})
    assert changed.status_code == 302
    login = post_form(
        client, "/login", {"email": "founder@carbonix.example", "password": new_password}
    )
    assert login.status_code == 302
    # The link works once.
    assert client.get(path).status_code == 410


def test_password_reset_link_ignores_a_forged_host_header(app, db, client, create_user):
    create_user("founder@carbonix.example")
    response = post_form(
        client,
        "/password/forgot",
        {"email": "founder@carbonix.example"},
        headers={"Host": "attacker.example"},
    )
    assert response.status_code == 302
    with app.app_context():
        body = db.session.scalar(sa.select(OutboxMessage.body_text))
    assert "attacker.example" not in body
    assert _reset_link(body).startswith("https://eventhub.test/password/reset/")


def test_password_reset_for_unknown_email_says_the_same_and_sends_nothing(app, db, client):
    response = post_form(
        client,
        "/password/forgot",
        {"email": "nobody@example.com"},
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "If an account exists for that address" in response.get_data(as_text=True)
    assert _count(app, db, OutboxMessage) == 0


def test_password_reset_expired_link_is_refused_and_password_unchanged(
    app, db, client, create_user
):
    user_id = create_user("founder@carbonix.example")
    post_form(client, "/password/forgot", {"email": "founder@carbonix.example"})
    with app.app_context():
        body = db.session.scalar(sa.select(OutboxMessage.body_text))
        reset = db.session.scalar(sa.select(PasswordResetToken))
        reset.created_at = datetime.now(UTC) - timedelta(hours=3)
        reset.expires_at = datetime.now(UTC) - timedelta(hours=2)
        db.session.commit()
        old_hash = db.session.get(User, user_id).password_hash
    path = _reset_link(body).removeprefix("https://eventhub.test")
    page = client.get(path, headers={"Accept-Language": "en"})
    assert page.status_code == 410
    assert "expired or was already used" in page.get_data(as_text=True)
    response = post_form(
        client,
        path,
        {"password": "x-new-pass-123", "confirm": "x-new-pass-123"},
        form_url="/password/forgot",
    )
    assert response.status_code == 410
    with app.app_context():
        assert db.session.get(User, user_id).password_hash == old_hash


def test_password_reset_with_weak_password_keeps_the_link_usable(app, db, client, create_user):
    create_user("founder@carbonix.example")
    post_form(client, "/password/forgot", {"email": "founder@carbonix.example"})
    with app.app_context():
        body = db.session.scalar(sa.select(OutboxMessage.body_text))
    path = _reset_link(body).removeprefix("https://eventhub.test")
    weak = post_form(client, path, {"password": "short", "confirm": "short"})
    assert weak.status_code == 422
    assert client.get(path).status_code == 200


def test_password_reset_ends_other_sessions(app, db, client, create_user):
    create_user("founder@carbonix.example")
    other = app.test_client()
    post_form(other, "/login", {"email": "founder@carbonix.example", "password": PASSWORD})
    assert other.get("/account").status_code == 200
    post_form(client, "/password/forgot", {"email": "founder@carbonix.example"})
    with app.app_context():
        body = db.session.scalar(sa.select(OutboxMessage.body_text))
    path = _reset_link(body).removeprefix("https://eventhub.test")
    post_form(client, path, {"password": "brand-new-pass-77", "confirm": "brand-new-pass-77"})
    assert other.get("/account").status_code == 302


def test_settings_change_language_and_time_zone(app, db, client, auth):
    user_id = auth("startup")
    response = post_form(
        client,
        "/account",
        {"display_name": "New Name", "locale": "en", "timezone": "Europe/Berlin"},
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.display_name, user.locale, user.timezone) == (
            "New Name",
            "en",
            "Europe/Berlin",
        )
    assert "Your settings have been saved." in client.get("/account").get_data(as_text=True)


def test_settings_unknown_time_zone_is_refused(app, db, client, auth):
    user_id = auth("startup")
    response = post_form(
        client,
        "/account",
        {"display_name": "X", "locale": "en", "timezone": "Mars/Olympus"},
    )
    assert response.status_code == 422
    assert "알 수 없는 시간대입니다." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user_id).timezone == "Asia/Seoul"
