"""The pages in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from werkzeug.serving import make_server

from eventhub.demo import DEMO_PASSWORD, seed_demo
from eventhub.notifications.jobs import plan_reminders_job

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(app, db) -> Iterator[str]:
    with app.app_context():
        seed_demo(now=datetime.now(UTC), horizon_days=548)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def page(tmp_path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(locale="ko-KR")
        yield context.new_page()
        context.close()
        browser.close()


def test_home_page_in_korean_then_english_then_logged_in(live_server, page):
    page.goto(live_server + "/")
    assert page.locator("h1").first.inner_text() == "다가오는 투자 설명회"
    assert page.locator("ul.centers > li").count() == 17

    page.get_by_role("button", name="English").click()
    assert page.locator("h1").first.inner_text() == "Upcoming investor days"

    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Email").fill("startup@eventhub.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Once logged in, the user's own setting (Korean for the demo startup) decides.
    assert page.locator(".flash").first.inner_text() == "Carbonix 대표 님, 환영합니다."
    assert page.get_by_role("button", name="로그아웃").is_visible()

    # A founder without a booking lands on their start page, which says what to do next.
    assert page.url == live_server + "/start"
    # Switching while logged in changes the user's setting, so it sticks.
    page.get_by_role("button", name="English").click()
    assert page.locator("h1").first.inner_text() == "Next steps for Carbonix"
    page.goto(live_server + "/account")
    assert page.get_by_label("Language").input_value() == "en"


def test_wrong_password_shows_the_error_next_to_the_field(live_server, page):
    page.goto(live_server + "/login")
    page.get_by_label("이메일").fill("startup@eventhub.example")
    page.get_by_label("비밀번호").fill("not-the-password-1")
    page.get_by_role("button", name="로그인").last.click()
    assert page.locator(".error").inner_text() == "이메일 주소 또는 비밀번호가 올바르지 않습니다."


def test_organizer_previews_and_creates_a_series(live_server, page, tmp_path):
    page.goto(live_server + "/login")
    page.get_by_label("이메일").fill("organizer.daegu@eventhub.example")
    page.get_by_label("비밀번호").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="로그인").last.click()
    page.get_by_role("button", name="English").click()
    page.goto(live_server + "/organize/centers/daegu/series/new")
    page.get_by_label("Title (Korean)").fill("대구 핀테크 데이")
    page.get_by_label("Title (English)").fill("Daegu Fintech Day")
    page.get_by_label("First date").fill("2027-09-01")
    page.get_by_label("Start time").fill("14:00")
    page.get_by_label("Which", exact=True).select_option("3")
    page.get_by_label("Weekday", exact=True).select_option("WE")
    page.get_by_label("Move to the next business day").check()
    page.get_by_role("button", name="Preview").click()

    assert (
        page.locator(".summary").first.inner_text() == "Every month on the 3rd Wednesday at 14:00"
    )
    moved = page.locator("table.preview tr.moved td").nth(1).inner_text()
    assert moved == "Moved to 2027-09-17: Chuseok"
    page.screenshot(path=str(tmp_path / "series-preview.png"), full_page=True)

    page.get_by_role("button", name="Save").click()
    assert page.locator(".flash").first.inner_text() == "The series has been created."
    assert page.locator("h1").inner_text() == "Daegu Fintech Day"


def test_startup_books_a_slot_and_sees_it_as_theirs(live_server, page):
    page.goto(live_server + "/login")
    page.get_by_label("이메일").fill("startup@eventhub.example")
    page.get_by_label("비밀번호").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="로그인").last.click()
    page.get_by_role("button", name="English").click()
    page.goto(live_server + "/series/samsung-venture-partners-day")
    page.locator("ul.occurrences li a").first.click()
    # The demo data holds the first two slots for other startups.
    rows = page.locator("table.slot-grid tbody tr")
    assert [rows.nth(i).locator("td").nth(2).inner_text() for i in range(3)] == [
        "Taken",
        "Taken",
        "Free",
    ]
    rows.nth(2).get_by_role("button", name="Book").click()
    assert (
        page.locator(".flash").first.inner_text()
        == "Your slot is booked. A confirmation is on its way."
    )
    assert rows.nth(2).locator("td").nth(2).inner_text() == "Yours"
    page.goto(live_server + "/bookings")
    assert "Confirmed" in page.locator("li.booking").first.inner_text()


def _log_in(page, live_server: str, email: str) -> None:
    """Log in through the English login page."""
    page.goto(live_server + "/login")
    english = page.get_by_role("button", name="English")
    if english.count():
        english.click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").last.click()
    english = page.get_by_role("button", name="English")
    if english.count():  # the account's own language (Korean for the demo users) took over
        english.click()


def test_organizer_sees_a_booking_s_mail_in_the_outbox_and_cancels_a_reminder(
    app, live_server, page
):
    problems: list[str] = []  # the framed HTML part must load under the CSP, without errors
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text  # the favicon
            else None
        ),
    )
    _log_in(page, live_server, "startup@eventhub.example")
    page.goto(live_server + "/series/samsung-venture-partners-day")
    page.locator("ul.occurrences li a").first.click()
    page.locator("table.slot-grid tbody tr").nth(2).get_by_role("button", name="Book").click()
    page.get_by_role("button", name="Log out").click()
    plan_reminders_job(app)  # the worker's next tick plans the booking's reminders

    _log_in(page, live_server, "organizer.daegu@eventhub.example")
    page.goto(live_server + "/organize")
    page.locator("section.organize-center", has_text="Daegu").get_by_role(
        "link", name="Outbox"
    ).click()
    page.get_by_label("Kind").select_option("reminder")
    page.get_by_label("Recipient").fill("startup@eventhub.example")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.outbox tbody tr")
    assert rows.count() == 3
    assert [rows.nth(i).locator("td").nth(1).inner_text() for i in range(3)] == ["Pending"] * 3

    rows.first.get_by_role("link").click()
    assert "Carbonix" in page.locator("pre.mail-text").inner_text()
    assert page.frame_locator("iframe.mail-html").locator("body").inner_text() != ""
    assert problems == []
    page.get_by_role("button", name="Cancel this message").click()
    # desk.js asks first, in a dialog (issue 16); the answer "Yes" sends the form.
    page.locator("dialog.confirm-dialog").get_by_role("button", name="Yes, go ahead").click()
    assert page.locator(".flash").first.inner_text() == "The message has been cancelled."
    assert page.locator("dd.status-cancelled").inner_text() == "Cancelled"


DOWNLOADS = (".ics", ".csv", ".xlsx", ".eml")


def _crawl(page, live_server: str, starts: list[str], *, limit: int) -> tuple[list[str], dict]:
    """Visit `starts` and the same-site links they show (one level), collecting every CSP
    violation, console error and script error on the way, and each page's status."""
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"{page.url}: {message.text}")
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    statuses: dict[str, int] = {}
    queue = list(starts)
    while queue and len(statuses) < limit:
        url = queue.pop(0)
        if url in statuses:
            continue
        response = page.goto(live_server + url)
        statuses[url] = response.status if response else 0
        page.wait_for_load_state("load")
        if url in starts:
            hrefs = page.eval_on_selector_all(
                "a[href^='/']", "links => links.map(a => a.getAttribute('href'))"
            )
            queue += [h.split("#")[0] for h in hrefs if not h.split("?")[0].endswith(DOWNLOADS)]
    return problems, statuses


@pytest.mark.parametrize(
    ("email", "starts"),
    [
        (None, ["/", "/login", "/signup", "/password/forgot", "/centers/daegu",
                "/series/samsung-venture-partners-day"]),
        ("startup@eventhub.example", ["/bookings", "/intake", "/account", "/account/calendar",
                                      "/series/samsung-venture-partners-day"]),
        ("vc@eventhub.example", ["/investor/invitations", "/investor/profile"]),
        ("organizer.daegu@eventhub.example", ["/organize", "/organize/investors",
                                              "/organize/centers/daegu/outbox"]),
    ],
)  # fmt: skip
def test_pages_satisfy_the_content_security_policy(live_server, page, email, starts):
    if email:
        _log_in(page, live_server, email)
    problems, statuses = _crawl(page, live_server, starts, limit=45)
    assert problems == []
    assert len(statuses) >= len(starts)
    assert [url for url, status in statuses.items() if status >= 500] == []


def test_feed_address_is_selected_by_a_click_through_the_static_script(live_server, page):
    page.goto(live_server + "/")
    address = page.locator("label.copy input").first
    address.click()
    selected = address.evaluate(
        "input => input.value.slice(input.selectionStart, input.selectionEnd)"
    )
    assert selected == address.input_value()
    assert selected.endswith("/calendar/all.ics")
