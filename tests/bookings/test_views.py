"""Booking pages, the JSON API and the exports, through the test client."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from eventhub.accounts.models import StartupProfile, User
from eventhub.bookings import services as bookings
from eventhub.bookings.models import Booking, BookingStatus, PitchSlot
from eventhub.series.models import Occurrence
from tests.conftest import PASSWORD, post_form, without_tokens

EN = {"Accept-Language": "en"}
INTAKE = {
    "company_name": "Carbonix",
    "business_registration_number": "220-81-62517",
    "founded_date": "2023-03-01",
    "industry": "materials",
    "stage": "seed",
    "amount_sought_krw": "1500000000",
    "one_liner": "Recycled carbon fiber",
    "description": "",
    "deck_url": "https://carbonix.example/deck.pdf",
    "team_size": "7",
    "contact_name": "김창업",
    "contact_phone": "010-1234-5678",
    "contact_email": "ceo@carbonix.example",
}


@pytest.fixture
def future_occurrence(app, db, make_occurrence):
    """An occurrence whose registration is open now (real time, for the pages)."""
    occurrence_id = make_occurrence()
    with app.app_context():
        occ = db.session.get(Occurrence, occurrence_id)
        occ.registration_opens_at = datetime.now(UTC) - timedelta(days=1)
        occ.registration_closes_at = datetime.now(UTC) + timedelta(days=5)
        if occ.start_at < datetime.now(UTC) + timedelta(days=7):
            delta = datetime.now(UTC) + timedelta(days=7) - occ.start_at
            occ.start_at += delta
            occ.end_at += delta
            bookings.shift_slots(occ.id, delta)
        occ.cancel_cutoff_at = datetime.now(UTC) + timedelta(days=5)
        db.session.commit()
    return occurrence_id


@pytest.fixture
def startup_client(app, db, client, auth):
    """A logged-in startup with a complete intake."""
    user_id = auth("startup", locale="en")
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.add(StartupProfile(user=user, company_name="Carbonix"))
        db.session.commit()
    response = post_form(client, "/intake", INTAKE)
    assert response.status_code == 302
    return client


def test_intake_saves_and_normalizes_the_registration_number(app, db, startup_client):
    with app.app_context():
        profile = db.session.scalar(sa.select(StartupProfile))
        assert (profile.business_registration_number, profile.amount_sought_krw, profile.stage.value) == (
            "2208162517", 1_500_000_000, "seed",
        )  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"business_registration_number": "220-81-62518"},
            "This is not a valid business registration number (check digit).",
        ),
        ({"deck_url": "javascript:alert(1)"}, "Use a link that starts with http:// or https://."),
        ({"amount_sought_krw": "-5"}, "Enter an amount of 0 won or more."),
        ({"amount_sought_krw": "lots"}, "Not a valid integer value."),
        ({"contact_email": "nope"}, "Enter a valid email address."),
        ({"industry": "alchemy"}, "Not a valid choice."),
    ],
)
def test_intake_bad_input_is_refused(app, db, startup_client, changes, message):
    response = post_form(startup_client, "/intake", {**INTAKE, **changes})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(sa.select(StartupProfile.deck_url))
            == "https://carbonix.example/deck.pdf"
        )


def test_intake_without_a_registration_number_saves(app, db, startup_client):
    response = post_form(startup_client, "/intake", {**INTAKE, "business_registration_number": ""})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(StartupProfile.business_registration_number)) is None


def test_intake_with_another_startups_registration_number_is_refused_not_an_error(
    app, db, client, startup_client, create_user
):
    # The first startup (logged in by the fixture) holds the number; a second one tries it.
    client.post("/logout", data={})
    user_id = create_user("second@startup.example", role="startup", locale="en")
    with app.app_context():
        db.session.add(StartupProfile(user_id=user_id, company_name="Second"))
        db.session.commit()
    post_form(client, "/login", {"email": "second@startup.example", "password": PASSWORD})
    response = post_form(client, "/intake", {**INTAKE, "company_name": "Second"})
    assert response.status_code == 422
    assert (
        "Another startup is already registered with this business registration number."
        in response.get_data(as_text=True)
    )
    with app.app_context():
        names = db.session.scalars(
            sa.select(StartupProfile.company_name).order_by(StartupProfile.id)
        ).all()
        assert names == ["Carbonix", "Second"]


def test_book_from_the_occurrence_page(app, db, startup_client, future_occurrence):
    page = startup_client.get(f"/occurrences/{future_occurrence}", headers=EN).get_data(
        as_text=True
    )
    assert page.count(">Book</button>") == 4
    with app.app_context():
        slot_id = bookings.slots_of(future_occurrence)[2].id
    response = post_form(
        startup_client,
        f"/occurrences/{future_occurrence}/book",
        {"slot_id": slot_id},
        form_url=f"/occurrences/{future_occurrence}",
    )
    assert response.status_code == 303
    followed = startup_client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Your slot is booked." in followed
    assert "Yours" in followed
    mine = startup_client.get("/bookings", headers=EN).get_data(as_text=True)
    assert "Confirmed" in mine


def test_book_through_htmx_gets_the_booking_box_back_not_the_page(
    app, db, startup_client, future_occurrence
):
    url = f"/occurrences/{future_occurrence}"
    with app.app_context():
        slot_id = bookings.slots_of(future_occurrence)[1].id
    htmx = {"HX-Request": "true", **EN}
    booked = post_form(
        startup_client, f"{url}/book", {"slot_id": slot_id}, form_url=url, headers=htmx
    )
    assert (booked.status_code, booked.headers["Location"]) == (303, url)
    part = startup_client.get(url, headers=htmx).get_data(as_text=True).strip()
    assert part.startswith('<section class="registration" id="registration" hx-target="this"')
    assert "<html" not in part
    assert re.findall(r'<td data-label="Status">\s*(\w+)', part) == [
        "Free",
        "Yours",
        "Free",
        "Free",
    ]
    assert re.findall(r'<li class="flash flash-success">([^<]*)</li>', part) == [
        "Your slot is booked. A confirmation is on its way."
    ]
    whole = startup_client.get(url, headers=EN).get_data(as_text=True)
    assert whole.startswith("<!doctype html>")


def test_book_a_taken_slot_on_the_page_says_so_and_changes_nothing(
    app, db, startup_client, future_occurrence, make_startup
):
    other = make_startup("Glowlab", industry="beauty")
    with app.app_context():
        slot = bookings.slots_of(future_occurrence)[0]
        bookings.book_slot(
            slot,
            startup=db.session.get(StartupProfile, other),
            actor_id=None,
            now=datetime.now(UTC),
        )
        db.session.commit()
        slot_id = slot.id
    response = post_form(
        startup_client, f"/occurrences/{future_occurrence}/book", {"slot_id": slot_id},
        form_url=f"/occurrences/{future_occurrence}", follow_redirects=True,
    )  # fmt: skip
    assert response.status_code == 200
    assert (
        "This slot was just taken by another startup. Please choose another one."
        in response.get_data(as_text=True)
    )
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1


def test_api_book_answers_201_then_409_as_json(
    app, db, client, future_occurrence, make_startup, create_user
):
    # Two startups with accounts.
    ids = []
    for name in ("a", "b"):
        user_id = create_user(f"{name}@startup.example", role="startup")
        profile_id = make_startup(name.upper(), industry="ict")
        with app.app_context():
            db.session.get(StartupProfile, profile_id).user_id = user_id
            db.session.commit()
        ids.append(user_id)
    with app.app_context():
        slot_id = bookings.slots_of(future_occurrence)[0].id
    url = f"/api/occurrences/{future_occurrence}/bookings"
    first = app.test_client()
    post_form(first, "/login", {"email": "a@startup.example", "password": PASSWORD})
    created = first.post(url, json={"slot_id": slot_id}, headers=EN)
    assert created.status_code == 201
    assert created.json["booking"]["status"] == "confirmed"
    second = app.test_client()
    post_form(second, "/login", {"email": "b@startup.example", "password": PASSWORD})
    lost = second.post(url, json={"slot_id": slot_id}, headers=EN)
    assert lost.status_code == 409
    assert (
        lost.json["error"]["message"]
        # The startup's own language setting (Korean here) wins over the browser's.
        == "방금 다른 스타트업이 이 슬롯을 예약했습니다. 다른 슬롯을 고르세요."
    )
    missing = second.post(url, json={"slot_id": 999999}, headers=EN)
    assert (missing.status_code, missing.json["error"]["message"]) == (
        404,
        "존재하지 않는 슬롯입니다.",
    )
    wrong = second.post(url, json={"slot_id": "one"}, headers=EN)
    assert wrong.status_code == 400
    slots = second.get(f"/api/occurrences/{future_occurrence}/slots").json["slots"]
    assert [s["state"] for s in slots] == ["taken", "free", "free", "free"]


def test_api_refuses_a_held_slot_to_anyone_and_asks_for_a_login_otherwise(
    app, db, client, future_occurrence, make_startup
):
    """A held slot on a listed date is 409 whoever asks (the public grid shows it taken); a
    free slot, or a held one on a date that is not listed, still asks for a log-in first."""
    glowlab = make_startup("Glowlab")
    with app.app_context():
        held, free = (s.id for s in bookings.slots_of(future_occurrence)[:2])
        bookings.book_slot(
            db.session.get(PitchSlot, held),
            startup=db.session.get(StartupProfile, glowlab),
            actor_id=None,
            now=datetime.now(UTC),
        )
        db.session.commit()
    url = f"/api/occurrences/{future_occurrence}/bookings"
    taken = client.post(url, json={"slot_id": held}, headers=EN)
    assert taken.status_code == 409
    assert taken.json["error"]["message"] == (
        "This slot was just taken by another startup. Please choose another one."
    )

    def asks_for_login(response) -> bool:
        # In JSON, as every API answer: a client of the API cannot follow a log-in page.
        return response.status_code == 401 and response.json["error"]["status"] == 401

    assert asks_for_login(client.post(url, json={"slot_id": free}, headers=EN))
    assert asks_for_login(client.post(url, data="slot_id=1", headers=EN))
    with app.app_context():
        db.session.get(Occurrence, future_occurrence).series.is_public = False
        db.session.commit()
    assert asks_for_login(client.post(url, json={"slot_id": held}, headers=EN))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1


def test_cancel_another_startups_booking_looks_like_it_does_not_exist(
    app, db, startup_client, future_occurrence, make_startup
):
    other = make_startup("Glowlab", industry="beauty")
    with app.app_context():
        booking = bookings.book_slot(
            bookings.slots_of(future_occurrence)[0], startup=db.session.get(StartupProfile, other),
            actor_id=None, now=datetime.now(UTC),
        )  # fmt: skip
        db.session.commit()
        booking_id = booking.id
    response = post_form(
        startup_client,
        f"/bookings/{booking_id}/cancel",
        {},
        form_url="/bookings",
        follow_redirects=True,
    )
    assert "This booking does not exist." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == BookingStatus.confirmed


def test_organizer_exports_the_lineup_with_bom_and_neutralized_formulas(
    app, db, client, auth, center_id, make_occurrence, make_startup, clock
):
    occurrence_id = make_occurrence(slug="gyeonggi")
    evil = make_startup('=HYPERLINK("http://evil")', industry="fintech")
    with app.app_context():
        occ = db.session.get(Occurrence, occurrence_id)
        bookings.book_slot(
            bookings.slots_of(occurrence_id)[0],
            startup=db.session.get(StartupProfile, evil),
            actor_id=None,
            now=clock,
        )
        db.session.commit()
        center = occ.series.center_id
    auth("organizer", locale="en", center_ids=(center,))
    response = client.get(f"/organize/occurrences/{occurrence_id}/lineup.csv")
    assert response.status_code == 200
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Slot", "Start", "End", "Status", "Company"]
    assert rows[1][:5] == ["1", "14:30", "14:45", "Booked", '\'=HYPERLINK("http://evil")']
    xlsx = client.get(f"/organize/occurrences/{occurrence_id}/lineup.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["E2"].value == '\'=HYPERLINK("http://evil")'
    runsheet = client.get(f"/organize/occurrences/{occurrence_id}/runsheet").get_data(as_text=True)
    assert "14:30–14:45" in runsheet


def test_organizer_of_another_center_cannot_see_bookings(
    app, db, client, auth, create_center, make_occurrence
):
    occurrence_id = make_occurrence()
    other = create_center("jeju")
    auth("organizer", locale="en", center_ids=(other,))
    assert client.get(f"/organize/occurrences/{occurrence_id}/bookings").status_code == 404
    assert client.get(f"/organize/occurrences/{occurrence_id}/lineup.csv").status_code == 404


def test_booking_of_another_center_looks_like_a_missing_one(
    app, db, client, auth, create_center, make_occurrence, make_startup, clock
):
    occurrence_id = make_occurrence()
    with app.app_context():
        startup = db.session.get(StartupProfile, make_startup())
        slot = bookings.slots_of(occurrence_id)[0]
        booking_id = bookings.book_slot(slot, startup=startup, actor_id=None, now=clock).id
        db.session.commit()
    auth("organizer", locale="en", center_ids=(create_center("jeju"),))
    answers = []
    for target in (booking_id, booking_id + 1000):
        response = post_form(
            client, f"/organize/bookings/{target}/cancel", {"reason": "x"}, form_url="/"
        )
        page = response.get_data(as_text=True).replace(f"/bookings/{target}/", "/bookings/ID/")
        page = without_tokens(page)  # made a second apart, perhaps
        answers.append((response.status_code, page))
    assert answers[0] == answers[1]
    assert answers[0][0] == 404
    with app.app_context():
        assert bookings.get_booking(booking_id).status.value == "confirmed"


def test_organizer_manage_page_approves_an_application(
    app, db, client, auth, make_occurrence, make_startup, clock
):
    from eventhub.series.models import BookingMode

    occurrence_id = make_occurrence(booking_mode=BookingMode.application)
    startup_id = make_startup()
    with app.app_context():
        occ = db.session.get(Occurrence, occurrence_id)
        occ.registration_opens_at = datetime.now(UTC) - timedelta(days=1)
        occ.registration_closes_at = datetime.now(UTC) + timedelta(days=1)
        if occ.start_at < datetime.now(UTC) + timedelta(days=3):
            delta = datetime.now(UTC) + timedelta(days=3) - occ.start_at
            occ.start_at, occ.end_at = occ.start_at + delta, occ.end_at + delta
            bookings.shift_slots(occ.id, delta)
        db.session.flush()
        booking = bookings.apply_for(
            occ,
            startup=db.session.get(StartupProfile, startup_id),
            actor_id=None,
            now=datetime.now(UTC),
        )
        db.session.commit()
        booking_id, center, slot_id = (
            booking.id,
            occ.series.center_id,
            bookings.slots_of(occurrence_id)[1].id,
        )
    auth("organizer", locale="en", center_ids=(center,))
    page = client.get(f"/organize/occurrences/{occurrence_id}/bookings").get_data(as_text=True)
    assert "Carbonix one-liner" in page
    response = post_form(
        client, f"/organize/bookings/{booking_id}/approve", {"slot_id": slot_id},
        form_url=f"/organize/occurrences/{occurrence_id}/bookings",
    )  # fmt: skip
    assert response.status_code == 303
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        assert (booking.status, booking.slot_id) == (BookingStatus.confirmed, slot_id)


def test_book_a_slot_of_another_occurrence_is_refused(app, db, startup_client, future_occurrence):
    with app.app_context():
        occ = db.session.get(Occurrence, future_occurrence)
        other = next(o for o in occ.series.occurrences if o.id != occ.id)
        foreign_slot = bookings.slots_of(other.id)[0].id
    response = post_form(
        startup_client, f"/occurrences/{future_occurrence}/book", {"slot_id": foreign_slot},
        form_url=f"/occurrences/{future_occurrence}", follow_redirects=True,
    )  # fmt: skip
    assert "This slot does not exist." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
