"""The journeys of issue 16 in a real browser: a founder from the home page to a booked slot, an
investor from an invitation to an answer, an organizer from logging in to a date's bookings.

Each journey runs in Korean and English, on a phone (390x844) and a laptop (1366x768). Every
page it visits must fit the viewport's width, have no critical or serious axe-core violation and
cause no Content-Security-Policy violation; a screenshot of each lands in tests/artifacts/.

axe-core (pinned in tests/js/package.json, installed by `make node-deps`) is evaluated into the
page through the DevTools protocol, so the page's own CSP stays as strict as it is in
production. A journey collects every problem across its four runs and fails with the list.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from eventhub.demo import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parent
AXE = ROOT / "js" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "artifacts"
COMBOS = [
    ("ko", "phone", 390, 844),
    ("en", "phone", 390, 844),
    ("ko", "desktop", 1366, 768),
    ("en", "desktop", 1366, 768),
]
# Only these impacts fail a page; moderate and minor findings are for a person to weigh.
FAILING_IMPACTS = ("critical", "serious")
RECORD_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " blocked " + event.blockedURI);
});
"""
RUN_AXE = """async (impacts) => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => impacts.includes(v.impact))
    .map((v) => `${v.id} (${v.impact}): ` +
      v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but axe-core is not installed (make node-deps)")
        pytest.skip("needs axe-core from npm (make node-deps)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(app, db) -> Iterator[str]:
    with app.app_context():
        seed_demo(now=datetime.now(UTC), horizon_days=200)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@dataclass
class Journey:
    """One run of a journey in one language on one screen, checking each page it visits."""

    name: str
    page: object
    base: str
    locale: str
    screen: str
    width: int
    axe_source: str
    problems: list[str] = field(default_factory=list)

    def check(self, step: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        where = f"{self.name} {self.locale} {self.screen} {step} ({page.url})"
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > self.width:
            self.problems.append(f"{where}: {wide} px wide in a {self.width} px viewport")
        page.evaluate(self.axe_source)
        for violation in page.evaluate(RUN_AXE, list(FAILING_IMPACTS)):
            self.problems.append(f"{where}: axe {violation}")
        for blocked in page.evaluate("window.__cspViolations || []"):
            self.problems.append(f"{where}: CSP {blocked}")
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"{self.name}-{self.locale}-{self.screen}-{step}.png"
        page.screenshot(path=str(shot), full_page=True)

    def open_menu(self) -> None:
        """On a phone the menu is folded behind its button (which app.js shows once loaded)."""
        self.page.wait_for_load_state("load")
        toggle = self.page.locator(".menu-toggle")
        if toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false":
            toggle.click()

    def use_language(self) -> None:
        """A logged-in person's own setting wins over the browser's; switch to this run's."""
        button = self.page.locator(f".lang-switcher button[value={self.locale}]")
        if button.get_attribute("aria-current") != "true":
            self.open_menu()
            button.click()

    def log_in(self, email: str) -> None:
        self.page.goto(self.base + "/login")
        self.check("login")
        self.page.fill("#email", email)
        self.page.fill("#password", DEMO_PASSWORD)
        self.page.locator("main button[type=submit]").click()
        self.use_language()


def run_journey(browser, live_server, axe_source, name, steps) -> None:
    problems: list[str] = []
    for locale, screen, width, height in COMBOS:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale="ko-KR" if locale == "ko" else "en-US",
        )
        context.add_init_script(RECORD_CSP)
        page = context.new_page()
        journey = Journey(name, page, live_server, locale, screen, width, axe_source)
        page.on(
            "console",
            lambda message, journey=journey: (
                journey.problems.append(f"{journey.name} console: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        try:
            steps(journey, locale, screen)
        finally:
            context.close()
        problems.extend(journey.problems)
    assert problems == []


def _verify_path(app, email: str) -> str:
    from eventhub.core.outbox import OutboxMessage

    with app.app_context():
        from eventhub.extensions import db

        body = db.session.scalar(
            sa.select(OutboxMessage.body_text)
            .where(OutboxMessage.template == "accounts/verify_email")
            .where(OutboxMessage.recipient == email)
            .order_by(OutboxMessage.id.desc())
        )
    return re.search(r"https://eventhub\.test(/verify-email/[A-Za-z0-9_.\-]+)", body).group(1)


def test_founder_signs_up_answers_the_intake_and_books_a_slot(
    app, live_server, browser, axe_source
):
    def steps(journey: Journey, locale: str, screen: str) -> None:
        page = journey.page
        email = f"founder-{locale}-{screen}@journey.example"
        page.goto(live_server + "/")
        journey.check("home")
        # A founder looks around before signing up: a center, one of its dates, and every
        # date of that date's series.
        page.locator("ul.centers a[href='/centers/daegu']").click()
        journey.check("center")
        assert page.locator("main ul.occurrences li").count() >= 1
        page.locator("main ul.occurrences a").first.click()
        journey.check("date-before-signup")
        page.locator("main p.center a").first.click()
        assert "/series/" in page.url
        journey.check("series")
        assert page.locator("main ul.occurrences li").count() >= 1
        page.goto(live_server + "/")
        journey.open_menu()
        page.locator("#site-menu a[href='/signup']").click()
        journey.check("signup")
        page.fill("#email", email)
        page.fill("#display_name", "Kim Founder")
        page.fill("#organization", f"Journey {locale} {screen}")
        page.fill("#password", "a-long-journey-password-42")
        page.fill("#confirm", "a-long-journey-password-42")
        page.locator("main button[type=submit]").click()
        journey.check("check-mail")

        page.goto(live_server + _verify_path(app, email))
        journey.check("verify")
        page.locator("main button[type=submit]").click()
        page.fill("#email", email)
        page.fill("#password", "a-long-journey-password-42")
        page.locator("main button[type=submit]").click()
        assert page.url == live_server + "/start"
        journey.check("start-intake")
        page.locator(".next-step a.button").click()
        journey.check("intake")
        page.select_option("#industry", "bio")
        page.select_option("#stage", "seed")
        page.fill("#one_liner", "Enzymes that eat plastic")
        page.fill("#contact_name", "Kim Founder")
        page.fill("#contact_email", email)
        page.locator("main button[type=submit]").click()
        assert page.url == live_server + "/start"
        journey.check("start-book")

        page.locator(".next-step ul.occurrences a").first.click()
        journey.check("date")
        book = page.locator("table.slot-grid button[type=submit]")
        if book.count():
            book.first.click()
        else:
            page.locator("form[action$='/apply'] button[type=submit]").click()
        # htmx replaces the booking box in place: wait for its message, not for a page load.
        page.locator("#flashes .flash-success").wait_for()
        assert page.locator(".flash-success").count() == 1
        journey.check("booked")
        page.goto(live_server + "/start")
        assert page.url == live_server + "/bookings"
        journey.check("my-bookings")

    run_journey(browser, live_server, axe_source, "founder", steps)


def test_investor_answers_an_invitation(app, live_server, browser, axe_source):
    from eventhub.accounts.models import InvestorProfile
    from eventhub.extensions import db
    from eventhub.invitations import services as invitations
    from eventhub.series.models import Occurrence

    with app.app_context():
        investor = db.session.scalar(
            sa.select(InvestorProfile).where(InvestorProfile.email == "vc@eventhub.example")
        )
        now = datetime.now(UTC)
        upcoming = db.session.scalars(
            sa.select(Occurrence).where(Occurrence.start_at > now).order_by(Occurrence.start_at)
        ).first()
        invitations.invite([upcoming], investors=[investor], actor_id=None, now=now)
        db.session.commit()

    def steps(journey: Journey, locale: str, screen: str) -> None:
        page = journey.page
        journey.log_in("vc@eventhub.example")
        assert page.url == live_server + "/investor/invitations"
        journey.check("invitations")
        page.locator("main ul.occurrences a").first.click()
        journey.check("invitation")
        page.locator("form.answers button[value=accepted]").click()
        assert page.locator(".flash-success").count() == 1
        journey.check("answered")

    run_journey(browser, live_server, axe_source, "investor", steps)


def test_organizer_logs_in_and_opens_an_upcoming_date(live_server, browser, axe_source):
    def steps(journey: Journey, locale: str, screen: str) -> None:
        page = journey.page
        journey.log_in("organizer.daegu@eventhub.example")
        assert page.url == live_server + "/dashboard"  # the organizer's start page
        journey.check("dashboard")
        page.goto(live_server + "/audit")
        journey.check("audit")
        page.goto(live_server + "/organize")
        journey.check("centers")
        page.locator("main ul.occurrences li a").first.click()
        journey.check("date")
        page.locator("main a[href$='/bookings']").first.click()
        journey.check("bookings")

    run_journey(browser, live_server, axe_source, "organizer", steps)


def test_admin_reads_the_national_view_and_manages_users_and_centers(
    live_server, browser, axe_source
):
    def steps(journey: Journey, locale: str, screen: str) -> None:
        page = journey.page
        journey.log_in("admin@eventhub.example")
        assert page.url == live_server + "/dashboard"
        for path, name in [("/national", "national"), ("/admin/users", "users"),
                           ("/admin/centers", "admin-centers")]:  # fmt: skip
            page.goto(live_server + path)
            journey.check(name)
        # The edit forms: a user (role, memberships) and a center (names, figures shown).
        page.goto(live_server + "/admin/users?q=organizer.daegu")
        page.locator("main a[href^='/admin/users/']").first.click()
        journey.check("admin-user-edit")
        page.goto(live_server + "/admin/centers/daegu")
        journey.check("admin-center-edit")

    run_journey(browser, live_server, axe_source, "admin", steps)


IMPORT_CSV = (
    b"email,firm,person_name,stages\n"
    b"new.vc@fund.example,Journey Fund,Park,seed;series_a\n"
    b"not-an-email,Broken Fund,Kim,seed\n"
)


def test_organizer_reads_the_reports_imports_investors_and_is_asked_before_removing(
    app, live_server, browser, axe_source
):
    """The quarterly report, the public summary, the import page and its preview, and both
    ways a destructive action asks first: the dialog (desk.js) and the page the server answers
    when no dialog ran (a form sent without its script)."""
    from eventhub.bookings import services as bookings
    from eventhub.centers.models import Center
    from eventhub.extensions import db
    from eventhub.series.models import EventSeries, Occurrence

    now = datetime.now(UTC)
    with app.app_context():
        daegu = db.session.scalar(sa.select(Center).where(Center.slug == "daegu"))
        daegu.shows_public_summary = True
        # The first upcoming date with a free slot (one to remove).
        occurrence_id = next(
            occurrence.id
            for occurrence in db.session.scalars(
                sa.select(Occurrence)
                .join(EventSeries)
                .where(EventSeries.center_id == daegu.id, Occurrence.start_at > now)
                .order_by(Occurrence.start_at)
            )
            if bookings.free_slots(occurrence.id)
        )
        db.session.commit()
    quarter = f"{now.year}-Q{(now.month - 1) // 3 + 1}"

    def steps(journey: Journey, locale: str, screen: str) -> None:
        page = journey.page
        journey.log_in("organizer.daegu@eventhub.example")
        page.goto(f"{live_server}/dashboard/daegu/report/{quarter}")
        journey.check("quarterly")
        page.goto(live_server + "/centers/daegu/summary")
        journey.check("public-summary")
        page.goto(live_server + "/organize/investors/import")
        journey.check("import")
        page.set_input_files(
            "main input[type=file]",
            files=[{"name": "investors.csv", "mimeType": "text/csv", "buffer": IMPORT_CSV}],
        )
        page.locator("main form[enctype] button[type=submit]").click()
        assert page.locator("table.import-preview tbody tr").count() == 2
        journey.check("import-preview")

        page.goto(f"{live_server}/organize/occurrences/{occurrence_id}/bookings")
        journey.check("desk")
        remove = page.locator("form[action$='/remove']").first
        remove.locator("button").click()
        page.locator("dialog.confirm-dialog").wait_for()
        journey.check("confirm-dialog")
        page.locator("dialog.confirm-dialog button:not(.danger)").click()
        # Sent without desk.js and htmx (form.submit() fires no submit event): the server asks.
        remove.evaluate("form => form.submit()")
        page.locator(".confirm-step").wait_for()
        journey.check("confirm-page")
        page.locator(".confirm-step a").click()
        assert page.url == f"{live_server}/organize/occurrences/{occurrence_id}/bookings"

    run_journey(browser, live_server, axe_source, "organizer-more", steps)


def test_page_checks_report_overflow_axe_and_csp_problems(browser, axe_source):
    """The checks above can fail: a page too wide, an image without a text alternative (axe:
    critical) and a blocked inline script are each reported."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_init_script(RECORD_CSP)
    page = context.new_page()
    page.route(
        "http://journey.test/",
        lambda route: route.fulfill(
            content_type="text/html",
            headers={"Content-Security-Policy": "script-src 'self'"},
            body=(
                '<!doctype html><html lang="en"><title>t</title><body style="margin:0"><main>'
                '<div style="width:600px">wide</div><img src="data:,">'
                "<script>1</script></main></html>"
            ),
        ),
    )
    page.goto("http://journey.test/")
    journey = Journey("checker", page, "http://journey.test", "en", "phone", 390, axe_source)
    journey.check("broken")
    context.close()
    assert [problem.split(": ", 1)[1].split(" ", 2)[:2] for problem in journey.problems] == [
        ["600", "px"],
        ["axe", "image-alt"],
        ["CSP", "script-src-elem"],
    ]
