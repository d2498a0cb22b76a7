"""The shell of the web app: error pages, JSON errors, language selection, roles."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from eventhub.centers.models import Center
from tests.conftest import make_test_app

ROOT = Path(__file__).resolve().parents[2]


def test_unknown_page_gets_a_friendly_404(client):
    response = client.get("/no/such/page", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Page not found" in body
    assert "Back to the investor days" in body


def test_unknown_page_answers_json_when_json_is_asked_for(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["error"]["status"] == 404
    assert response.json["error"]["title"] in ("Page not found", "페이지를 찾을 수 없습니다")


def test_wrong_method_gets_a_friendly_405_with_allow_header(client):
    response = client.put("/login", headers={"Accept-Language": "en"})
    assert response.status_code == 405
    assert "Method not allowed" in response.get_data(as_text=True)
    assert sorted(response.headers["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS", "POST"]


def test_unexpected_error_gets_a_friendly_500_without_a_trace(database_url, db, tmp_path, capfd):
    app = make_test_app(database_url, tmp_path, PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/boom", headers={"Accept-Language": "en"})
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "secret internal detail" not in body
    assert "Traceback" not in body
    # The trace goes to the log on stderr, for the operator.
    logged = capfd.readouterr().err
    assert "ERROR   eventhub: unhandled error on GET /boom" in logged
    assert "RuntimeError: secret internal detail" in logged


def test_unexpected_error_rolls_back_what_the_request_wrote(database_url, db, tmp_path):
    from eventhub.extensions import db as database

    app = make_test_app(database_url, tmp_path, PROPAGATE_EXCEPTIONS=False)

    @app.route("/half-write")
    def half_write():
        database.session.add(
            Center(
                slug="half",
                name_ko="반",
                name_en="Half",
                region_ko="반",
                region_en="Half",
                partner_company_ko="x",
                partner_company_en="x",
            )
        )
        database.session.flush()
        raise RuntimeError("after the write")

    assert app.test_client().get("/half-write").status_code == 500
    with app.app_context():
        assert database.session.scalars(sa.select(Center.slug)).all() == []


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [("en-US,en;q=0.9", "Upcoming investor days"), ("ko-KR,ko;q=0.9", "다가오는 투자 설명회")],
)
def test_language_follows_the_browser(client, accept_language, expected):
    body = client.get("/", headers={"Accept-Language": accept_language}).get_data(as_text=True)
    assert expected in body


def test_language_defaults_to_korean_without_a_preference(client):
    body = client.get("/").get_data(as_text=True)
    assert '<html lang="ko">' in body


def test_language_switcher_overrides_the_browser(client):
    # An anonymous visitor's switcher carries no CSRF token (docs/security.md).
    response = client.post(
        "/language",
        data={"locale": "en", "next": "/centers/none"},
        headers={"Accept-Language": "ko"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/centers/none"
    body = client.get("/", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert "Upcoming investor days" in body


def test_language_switcher_refuses_an_offsite_redirect(client):
    response = client.post("/language", data={"locale": "en", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_language_setting_of_the_user_wins_over_the_browser(client, auth):
    auth("startup", locale="en")
    body = client.get("/", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert "Upcoming investor days" in body


def test_every_translatable_string_has_a_korean_translation():
    """A string added without a Korean translation fails here (run make update-messages)."""
    method_map = [
        ("eventhub/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),
    ]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    with open(ROOT / "eventhub/translations/ko/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle, locale="ko")
    untranslated = sorted(m for m in found if catalog.get(m) is None or not catalog.get(m).string)
    assert untranslated == []


def test_organizer_page_sends_anonymous_users_to_log_in(client):
    response = client.get("/organize")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_organizer_page_is_forbidden_to_startups(client, auth):
    auth("startup", locale="en")
    response = client.get("/organize")
    assert response.status_code == 403
    assert "You do not have permission to see this page." in response.get_data(as_text=True)


def test_organizer_page_shows_only_the_organizers_own_centers(client, auth, create_center):
    daegu = create_center("daegu", name_en="Daegu Center")
    create_center("busan", name_en="Busan Center")
    auth("organizer", locale="en", center_ids=(daegu,))
    body = client.get("/organize").get_data(as_text=True)
    assert "Daegu Center" in body
    assert "Busan Center" not in body


def test_organizer_page_shows_every_center_to_an_admin(client, auth, create_center):
    create_center("daegu", name_en="Daegu Center")
    create_center("busan", name_en="Busan Center")
    auth("admin", locale="en")
    body = client.get("/organize").get_data(as_text=True)
    assert ("Daegu Center" in body, "Busan Center" in body) == (True, True)


@pytest.mark.parametrize(
    ("locale", "amount", "shown"),
    [
        ("ko", 29_900_000_000, "299억 원"),
        ("ko", 1_250_000_000, "12억 5,000만 원"),
        ("ko", 0, "0원"),
        ("en", 29_900_000_000, "29,900,000,000 KRW"),
    ],
)
def test_money_is_shown_in_krw_with_separators(app, locale, amount, shown):
    from eventhub.core.i18n import format_krw

    with app.test_request_context(headers={"Accept-Language": locale}):
        assert format_krw(amount) == shown
