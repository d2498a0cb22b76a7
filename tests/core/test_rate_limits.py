"""Rate limits (Flask-Limiter): each test builds an app with limits on and low; the suite's own
app has them off (TestingConfig), so no other test can trip them."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from config import Config, DevelopmentConfig, ProductionConfig
from tests.conftest import IN_CI, PASSWORD, csrf_token, make_test_app

EN = {"Accept-Language": "en"}
REDIS_URL = "redis://127.0.0.1:6379/5"  # a database of our own on the shared Redis


@pytest.fixture
def limited_app(app, db, tmp_path_factory) -> Iterator[Callable[..., Flask]]:
    built: list[Flask] = []

    def build(**limits: Any) -> Flask:
        limited = make_test_app(
            app.config["DATABASE_URL"],
            tmp_path_factory.mktemp("limited"),
            RATELIMIT_ENABLED=True,
            **limits,
        )
        built.append(limited)
        return limited

    yield build
    # Close each extra app's connections: PostgreSQL's connection slots are shared.
    for limited in built:
        with limited.app_context():
            db.engine.dispose()


def _login(client, email: str, password: str, address: str = "10.0.0.1"):
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password},
        headers=EN,
        environ_base={"REMOTE_ADDR": address},
    )


def _assert_too_many(response) -> None:
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 3600  # at most the window of the limit
    message = f"Too many attempts in a short time. Please wait {wait} seconds and try again."
    assert message in response.get_data(as_text=True)


def test_limits_are_on_outside_the_test_suite():
    assert Config.RATELIMIT_ENABLED is True
    assert DevelopmentConfig.RATELIMIT_ENABLED is True
    assert ProductionConfig.RATELIMIT_ENABLED is True


def test_login_is_limited_per_client_address(limited_app, create_user):
    create_user("someone@example.com")
    client = limited_app(RATELIMIT_LOGIN_PER_ADDRESS="3 per minute").test_client()
    statuses = [_login(client, f"x{i}@example.com", "wrong-pass-1").status_code for i in range(3)]
    assert statuses == [401, 401, 401]
    _assert_too_many(_login(client, "someone@example.com", PASSWORD))
    # Another address is not held back.
    assert _login(client, "someone@example.com", PASSWORD, "10.0.0.2").status_code == 302


def test_failed_logins_are_limited_per_account_from_any_address(limited_app, create_user):
    create_user("target@example.com")
    create_user("other@example.com")
    client = limited_app(RATELIMIT_LOGIN_PER_ACCOUNT="3 per 15 minutes").test_client()
    statuses = [
        _login(client, "target@example.com", f"guess-{i}-wrong", f"10.0.1.{i}").status_code
        for i in range(3)
    ]
    assert statuses == [401, 401, 401]
    # Even the right password waits: the limit is on the account, not on the guesser.
    _assert_too_many(_login(client, "TARGET@example.com ", PASSWORD, "10.0.1.99"))
    assert _login(client, "other@example.com", PASSWORD, "10.0.1.99").status_code == 302


def test_successful_logins_do_not_count_against_the_account(limited_app, create_user):
    create_user("someone@example.com")
    client = limited_app(RATELIMIT_LOGIN_PER_ACCOUNT="2 per 15 minutes").test_client()
    statuses = [_login(client, "someone@example.com", PASSWORD).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 302]


@pytest.mark.parametrize(
    ("setting", "url", "data"),
    [
        ("RATELIMIT_SIGNUP", "/signup", {"email": "new@example.com", "password": "x"}),
        ("RATELIMIT_PASSWORD_RESET", "/password/forgot", {"email": "who@example.com"}),
    ],
)
def test_sign_up_and_password_reset_are_limited_per_address(limited_app, setting, url, data):
    client = limited_app(**{setting: "2 per hour"}).test_client()
    for _ in range(2):
        token = csrf_token(client, url)
        assert client.post(url, data={**data, "csrf_token": token}).status_code != 429
    token = csrf_token(client, url)
    _assert_too_many(client.post(url, data={**data, "csrf_token": token}, headers=EN))
    # Showing the form is not limited, only sending it.
    assert client.get(url).status_code == 200


def test_feed_fetches_are_limited_per_token(limited_app):
    client = limited_app(RATELIMIT_FEED="2 per hour").test_client()
    for address in ("10.0.2.1", "10.0.2.2"):
        response = client.get("/calendar/feed/abc.ics", environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 404
    _assert_too_many(client.get("/calendar/feed/abc.ics", headers=EN))
    assert client.get("/calendar/feed/other.ics").status_code == 404


def test_rsvp_answers_are_limited_per_token(limited_app):
    client = limited_app(RATELIMIT_RSVP="2 per hour").test_client()
    # Opening the invitation is not limited; answering it is.
    for _ in range(3):
        assert client.get("/rsvp/some-token").status_code == 404
    token = csrf_token(client, "/login")
    for _ in range(2):
        assert client.post("/rsvp/some-token", data={"csrf_token": token}).status_code == 404
    _assert_too_many(client.post("/rsvp/some-token", data={"csrf_token": token}, headers=EN))


def test_json_api_limit_answers_429_as_json_with_retry_after(limited_app):
    client = limited_app(RATELIMIT_API="2 per minute").test_client()
    for _ in range(2):
        assert client.get("/api/occurrences/1/slots").status_code == 404
    response = client.get("/api/occurrences/1/slots", headers=EN)
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert response.get_json() == {
        "error": {
            "status": 429,
            "title": "Too many requests",
            "message": (
                f"Too many attempts in a short time. Please wait {wait} seconds and try again."
            ),
        }
    }


def test_exports_and_run_sheet_are_limited_per_person(limited_app, create_user):
    client = limited_app(RATELIMIT_EXPORT="2 per 10 minutes").test_client()
    for _ in range(2):
        assert client.get("/organize/occurrences/1/runsheet").status_code == 302  # to log in
    _assert_too_many(client.get("/organize/occurrences/1/lineup.csv", headers=EN))
    _assert_too_many(client.get("/organize/occurrences/1/follow-ups.xlsx", headers=EN))


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def test_limits_hold_across_processes_that_share_redis(limited_app):
    if not _redis_up():
        if IN_CI:
            pytest.fail("CI=true but Redis is not running on 127.0.0.1:6379")
        pytest.skip("needs Redis on 127.0.0.1:6379")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_LOGIN_PER_ADDRESS": "3 per minute"}
    first = limited_app(**settings).test_client()
    second = limited_app(**settings).test_client()  # another worker process, as far as it knows
    assert _login(first, "a@example.com", "wrong-pass-1").status_code == 401
    assert _login(second, "b@example.com", "wrong-pass-1").status_code == 401
    assert _login(first, "c@example.com", "wrong-pass-1").status_code == 401
    _assert_too_many(_login(second, "d@example.com", "wrong-pass-1"))
    redis.Redis.from_url(REDIS_URL).flushdb()


def test_unreachable_redis_falls_back_to_counting_in_memory(limited_app):
    settings = {
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9/5",  # nothing listens on the discard port
        "RATELIMIT_LOGIN_PER_ADDRESS": "2 per minute",
    }
    client = limited_app(**settings).test_client()
    statuses = [_login(client, "a@example.com", "wrong-pass-1").status_code for _ in range(2)]
    assert statuses == [401, 401]
    _assert_too_many(_login(client, "a@example.com", "wrong-pass-1"))
