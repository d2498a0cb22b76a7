"""Partial updates (htmx) and the slot grid's moves in a real browser: an organizer drags a
booking onto another slot and moves one with the keyboard alone, screens an application on
its card, a founder books on the date page and an investor answers from the list, each
without a page load, under the strict Content-Security-Policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from eventhub.accounts.models import InvestorProfile, StartupProfile
from eventhub.bookings.models import Booking, BookingStatus, PitchSlot
from eventhub.centers.models import Center
from eventhub.invitations.models import Invitation
from eventhub.series.models import EventSeries, Occurrence
from tests.test_browser import _log_in, live_server, page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

# Set before an action; still there afterwards only if the page was not loaded again.
MARK = "window.__sameDocument = true"
SAME_DOCUMENT = "window.__sameDocument === true"


@pytest.fixture
def problems(page):  # noqa: F811 (the fixture imported above)
    """Console errors and CSP violations of the page, gathered for the test to assert on."""
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


def _open_date(app) -> int:
    """The first upcoming Daegu date with no slot held, its registration opened now. (The
    demo's next date is full and the later ones not yet open.)"""
    from eventhub.bookings import services as bookings
    from eventhub.extensions import db

    with app.app_context():
        now = datetime.now(UTC)
        for occurrence in db.session.scalars(
            sa.select(Occurrence)
            .join(EventSeries)
            .join(Center)
            .where(Center.slug == "daegu", Occurrence.start_at > now + timedelta(days=2))
            .order_by(Occurrence.start_at)
        ):
            if all(v.state == bookings.SlotState.free for v in bookings.slot_grid(occurrence.id)):
                occurrence.registration_opens_at = now - timedelta(days=1)
                occurrence.registration_closes_at = now + timedelta(days=1)
                db.session.commit()
                return occurrence.id
    raise AssertionError("the demo data has no upcoming Daegu date with every slot free")


def _booked_date(app) -> tuple[int, int, int, list[int]]:
    """An open Daegu date with a demo startup in its first slot: (occurrence, booking, its
    slot, the free slots)."""
    from eventhub.bookings import services as bookings
    from eventhub.extensions import db

    occurrence_id = _open_date(app)
    with app.app_context():
        slots = bookings.slots_of(occurrence_id)
        startup = db.session.scalars(sa.select(StartupProfile).order_by(StartupProfile.id)).first()
        booking = bookings.book_slot(
            slots[0], startup=startup, actor_id=None, now=datetime.now(UTC)
        )
        db.session.commit()
        return occurrence_id, booking.id, slots[0].id, [s.id for s in slots[1:]]


def _slot_of(app, booking_id: int) -> int | None:
    from eventhub.extensions import db

    with app.app_context():
        return db.session.get(Booking, booking_id).slot_id


def test_organizer_drags_a_booking_onto_a_free_slot(app, live_server, page, problems):  # noqa: F811
    occurrence_id, booking_id, held, free = _booked_date(app)
    target = free[0]
    # Both rows on the screen: a drag does not scroll the page (a person's wheel would).
    page.set_viewport_size({"width": 1366, "height": 1400})
    _log_in(page, live_server, "organizer.daegu@eventhub.example")
    page.goto(f"{live_server}/organize/occurrences/{occurrence_id}/bookings")
    page.evaluate(MARK)

    # Grabbed by its slot number (the middle of the row is a form: a list, a reason box).
    page.locator(f"tr[data-move-booking='{booking_id}'] td").first.drag_to(
        page.locator(f"tr#slot-row-{target} td").first
    )
    # htmx puts the new desk in: the booking is now on the row of the slot it was dropped on.
    page.locator(f"tr#slot-row-{target}[data-move-booking='{booking_id}']").wait_for()
    assert _slot_of(app, booking_id) == target
    # (The slot it left may go straight to a startup on the waitlist, as an offer.)
    assert page.locator(f"tr#slot-row-{held}[data-move-booking='{booking_id}']").count() == 0
    assert page.locator("#flashes li").all_inner_texts() == ["Saved."]
    assert page.evaluate(SAME_DOCUMENT)
    assert problems == []


def test_organizer_moves_a_booking_with_the_keyboard_alone(app, live_server, page, problems):  # noqa: F811
    occurrence_id, booking_id, _, free = _booked_date(app)
    target = free[1]
    _log_in(page, live_server, "organizer.daegu@eventhub.example")
    page.goto(f"{live_server}/organize/occurrences/{occurrence_id}/bookings")
    page.evaluate(MARK)
    with app.app_context():
        from eventhub.extensions import db

        position = db.session.get(PitchSlot, target).position

    # Tab from the top of the page to the booking's "move to" list ...
    for _ in range(400):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == f"move-slot-{booking_id}":
            break
    else:
        raise AssertionError("the move list cannot be reached with Tab")
    # ... choose the slot with the arrow keys, then Tab to Move and press Enter.
    select = page.locator(f"#move-slot-{booking_id}")
    for _ in range(len(free)):
        if select.input_value() == str(target):
            break
        page.keyboard.press("ArrowDown")
    assert select.evaluate("s => s.options[s.selectedIndex].text").startswith(f"Slot {position}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == f"move-{booking_id}"
    page.keyboard.press("Enter")

    page.locator(f"tr#slot-row-{target}[data-move-booking='{booking_id}']").wait_for()
    assert _slot_of(app, booking_id) == target
    # The Move button of the booking's new row has the focus again: the next key goes on.
    assert page.evaluate("document.activeElement.id") == f"move-{booking_id}"
    assert page.evaluate(SAME_DOCUMENT)
    assert problems == []


def test_organizer_screens_an_application_on_its_card_without_a_reload(
    app,
    live_server,  # noqa: F811
    page,  # noqa: F811
    problems,
):
    from eventhub.extensions import db

    with app.app_context():
        booking = db.session.scalars(
            sa.select(Booking).where(Booking.status == BookingStatus.applied)
        ).first()
        booking_id, occurrence_id = booking.id, booking.occurrence_id
    _log_in(page, live_server, "organizer.daegu@eventhub.example")
    page.goto(f"{live_server}/organize/occurrences/{occurrence_id}/bookings")
    page.evaluate(MARK)

    card = page.locator(f"#application-{booking_id}")
    card.locator(f"#score-{booking_id}").fill("4")
    card.locator(f"#note-{booking_id}").fill("Strong team")
    card.get_by_role("button", name="Save score and note").click()
    page.locator(f"#application-{booking_id} .score").wait_for()
    assert page.locator(f"#application-{booking_id} .score").inner_text() == "Score 4/5"

    page.locator(f"#reject-reason-{booking_id}").fill("Not this time")
    page.locator(f"#reject-{booking_id}").click()
    # desk.js asks in a dialog before htmx sends the rejection.
    page.locator("dialog.confirm-dialog").get_by_role("button", name="Yes, go ahead").click()
    page.locator(f"#application-{booking_id}").wait_for(state="detached")
    with app.app_context():
        stored = db.session.get(Booking, booking_id)
        assert (stored.status, stored.screening_score, stored.screening_note) == (
            BookingStatus.rejected,
            4,
            "Strong team",
        )
    assert page.locator("#flashes li").all_inner_texts() == ["Saved."]
    assert page.evaluate(SAME_DOCUMENT)
    assert problems == []


def test_founder_books_on_the_date_page_without_a_reload(app, live_server, page, problems):  # noqa: F811
    occurrence_id = _open_date(app)
    _log_in(page, live_server, "startup@eventhub.example")
    page.goto(f"{live_server}/occurrences/{occurrence_id}")
    page.evaluate(MARK)
    rows = page.locator("table.slot-grid tbody tr")
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    with page.expect_request(lambda request: request.method == "POST") as posted:
        rows.nth(2).get_by_role("button", name="Book").click()
    # htmx sent it, with the page's CSRF token in the header (static/app.js).
    headers = posted.value.headers
    assert (headers["hx-request"], headers["x-csrftoken"]) == ("true", token)
    page.locator("#flashes li").wait_for()
    assert page.locator("#flashes li").all_inner_texts() == [
        "Your slot is booked. A confirmation is on its way."
    ]
    assert rows.nth(2).locator("td").nth(2).inner_text() == "Yours"
    assert page.evaluate(SAME_DOCUMENT)
    assert problems == []


def test_investor_answers_from_the_list_without_a_reload(app, live_server, page, problems):  # noqa: F811
    from eventhub.extensions import db

    with app.app_context():
        now = datetime.now(UTC)
        invitation_id = db.session.scalar(
            sa.select(Invitation.id)
            .join(Occurrence)
            .join(InvestorProfile)
            .where(Occurrence.start_at > now, InvestorProfile.email == "vc@eventhub.example")
            .order_by(Invitation.id)
        )
    _log_in(page, live_server, "vc@eventhub.example")
    page.goto(live_server + "/investor/invitations")
    page.evaluate(MARK)
    page.locator(f"#answer-{invitation_id}-declined").click()
    page.locator(f"#answer-{invitation_id}-declined[aria-pressed=true]").wait_for()
    with app.app_context():
        assert db.session.get(Invitation, invitation_id).status.value == "declined"
    assert page.locator("#flashes li").all_inner_texts() == [
        "Thank you: your answer has been saved."
    ]
    # The pressed answer keeps the focus (htmx restores it by id after the swap).
    assert page.evaluate("document.activeElement.id") == f"answer-{invitation_id}-declined"
    assert page.evaluate(SAME_DOCUMENT)
    assert problems == []
