"""The screening desk: every intake answer in words, preferred slots preselected, scores and
notes, bulk decisions, and a confirmation before anything destructive takes effect."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from eventhub.accounts.models import Stage, StartupProfile
from eventhub.bookings import services as bookings
from eventhub.bookings.models import Booking, BookingStatus, PitchSlot
from eventhub.series.models import BookingMode, Occurrence
from tests.conftest import csrf_token, post_form


@pytest.fixture
def desk(app, db, client, auth, make_occurrence, make_startup):
    """An occurrence that screens applications, open now, with three applicants (the first
    prefers slot 3, then slot 1), and its organizer logged in (English)."""
    occurrence_id = make_occurrence(booking_mode=BookingMode.application)
    names = ("Carbonix", "Glowlab", "Paydesk")
    startup_ids = [
        make_startup(
            name,
            stage=Stage.pre_a,
            description=f"{name} makes things.",
            team_size=7,
            founded_date=date(2023, 3, 1),
        )
        for name in names
    ]
    now = datetime.now(UTC)
    with app.app_context():
        occ = db.session.get(Occurrence, occurrence_id)
        occ.registration_opens_at = now - timedelta(days=1)
        occ.registration_closes_at = now + timedelta(days=1)
        if occ.start_at < now + timedelta(days=3):
            delta = now + timedelta(days=3) - occ.start_at
            occ.start_at, occ.end_at = occ.start_at + delta, occ.end_at + delta
            bookings.shift_slots(occ.id, delta)
        db.session.flush()
        slots = bookings.slots_of(occurrence_id)
        booking_ids = []
        for i, startup_id in enumerate(startup_ids):
            preferred = [slots[2].id, slots[0].id] if i == 0 else []
            booking = bookings.apply_for(
                occ,
                startup=db.session.get(StartupProfile, startup_id),
                preferred_slot_ids=preferred,
                actor_id=None,
                now=now,
            )
            booking_ids.append(booking.id)
        db.session.commit()
        world = {
            "occurrence_id": occurrence_id,
            "booking_ids": booking_ids,
            "slot_ids": [s.id for s in slots],
            "slot_times": [s.start_at.astimezone(occ.tz).strftime("%H:%M") for s in slots],
            "url": f"/organize/occurrences/{occurrence_id}/bookings",
        }
        auth("organizer", locale="en", center_ids=(occ.series.center_id,))
    return world


def _booking(app, db, booking_id: int) -> Booking:
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        db.session.expunge(booking)
        return booking


def test_desk_shows_every_intake_answer_in_words_and_preselects_the_preferred_slot(
    app, db, client, desk
):
    page = client.get(desk["url"]).get_data(as_text=True)
    assert "Pre-Series A" in page
    assert "pre_a" not in page
    assert "Carbonix makes things." in page
    assert "<dt>Team size</dt><dd>7</dd>" in page
    assert "<dt>Founded on</dt><dd>2023-03-01</dd>" in page
    # Preferred slots by number and time, in the startup's order, not by internal id.
    third, first = desk["slot_ids"][2], desk["slot_ids"][0]
    assert f"<li>Slot 3 · {desk['slot_times'][2]}" in page
    assert f"<li>Slot 1 · {desk['slot_times'][0]}" in page
    assert f'<option value="{third}" selected>' in page
    assert f'<option value="{first}" selected>' not in page


def test_lineup_exports_name_the_stage_not_its_code(app, db, client, desk):
    approve_url = f"/organize/bookings/{desk['booking_ids'][0]}/approve"
    slot_id = desk["slot_ids"][2]
    post_form(client, approve_url, {"slot_id": slot_id}, form_url=desk["url"])
    response = client.get(f"/organize/occurrences/{desk['occurrence_id']}/lineup.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    stage = rows[0].index("Stage")
    assert [row[stage] for row in rows[1:] if row[4] == "Carbonix"] == ["Pre-Series A"]


def test_score_and_note_are_kept_and_a_score_out_of_range_is_refused(app, db, client, desk):
    booking_id = desk["booking_ids"][1]
    url = f"/organize/bookings/{booking_id}/score"
    saved = post_form(client, url, {"score": "4", "note": "Strong team"}, form_url=desk["url"])
    assert saved.status_code == 303
    booking = _booking(app, db, booking_id)
    assert (booking.screening_score, booking.screening_note) == (4, "Strong team")
    for bad in ("9", "0", "three"):
        refused = post_form(
            client, url, {"score": bad, "note": "x"}, form_url=desk["url"], follow_redirects=True
        )
        assert refused.status_code == 200
        assert "A score is a whole number from 1 to 5." in refused.get_data(as_text=True)
    booking = _booking(app, db, booking_id)
    assert (booking.screening_score, booking.screening_note) == (4, "Strong team")
    assert "Score 4/5" in client.get(desk["url"]).get_data(as_text=True)


def test_the_database_refuses_a_score_outside_one_to_five(app, db, desk):
    with app.app_context():
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(
                sa.update(Booking)
                .where(Booking.id == desk["booking_ids"][0])
                .values(screening_score=6)
            )
        db.session.rollback()


def test_bulk_approve_puts_each_into_its_preferred_free_slot(app, db, client, desk):
    first, second, _third = desk["booking_ids"]
    url = f"/organize/occurrences/{desk['occurrence_id']}/applications"
    data = {"verb": "approve", "booking_id": [first, second]}
    response = post_form(client, url, data, form_url=desk["url"], follow_redirects=True)
    assert "2 applications approved." in response.get_data(as_text=True)
    assert _booking(app, db, first).status == BookingStatus.confirmed
    assert _booking(app, db, first).slot_id == desk["slot_ids"][2]
    assert _booking(app, db, second).status == BookingStatus.approved
    assert _booking(app, db, second).slot_id is None


def test_bulk_reject_needs_a_reason_and_a_confirmation(app, db, client, desk):
    chosen = desk["booking_ids"][1:]
    url = f"/organize/occurrences/{desk['occurrence_id']}/applications"
    data = {"verb": "reject", "booking_id": chosen}
    asked = post_form(client, url, {**data, "reason": "Not this round"}, form_url=desk["url"])
    assert asked.status_code == 200
    assert "Reject 2 applications?" in asked.get_data(as_text=True)
    assert {_booking(app, db, i).status for i in chosen} == {BookingStatus.applied}
    no_reason = post_form(
        client, url, {**data, "confirmed": "yes"}, form_url=desk["url"], follow_redirects=True
    )
    assert "Give a reason; the startup will see it." in no_reason.get_data(as_text=True)
    assert {_booking(app, db, i).status for i in chosen} == {BookingStatus.applied}
    done = post_form(
        client, url, {**data, "reason": "Not this round", "confirmed": "yes"},
        form_url=desk["url"], follow_redirects=True,
    )  # fmt: skip
    assert "2 applications rejected." in done.get_data(as_text=True)
    assert {_booking(app, db, i).status for i in chosen} == {BookingStatus.rejected}
    assert _booking(app, db, desk["booking_ids"][0]).status == BookingStatus.applied


def test_bulk_waitlist_queues_in_the_order_they_applied(app, db, client, desk):
    url = f"/organize/occurrences/{desk['occurrence_id']}/applications"
    chosen = list(reversed(desk["booking_ids"]))
    post_form(client, url, {"verb": "waitlist", "booking_id": chosen}, form_url=desk["url"])
    with app.app_context():
        queue = [b.id for b in bookings.waitlist(desk["occurrence_id"])]
    assert queue == desk["booking_ids"]


def test_bulk_with_nothing_selected_or_an_unknown_verb_changes_nothing(app, db, client, desk):
    url = f"/organize/occurrences/{desk['occurrence_id']}/applications"
    nothing = post_form(
        client, url, {"verb": "approve"}, form_url=desk["url"], follow_redirects=True
    )
    assert "Select at least one application." in nothing.get_data(as_text=True)
    unknown = post_form(
        client, url, {"verb": "delete", "booking_id": desk["booking_ids"]},
        form_url=desk["url"], follow_redirects=True,
    )  # fmt: skip
    assert unknown.status_code == 200
    assert {_booking(app, db, i).status for i in desk["booking_ids"]} == {BookingStatus.applied}


def test_cancelling_a_booking_takes_effect_only_once_confirmed(app, db, client, desk):
    booking_id = desk["booking_ids"][0]
    post_form(
        client, f"/organize/bookings/{booking_id}/approve",
        {"slot_id": desk["slot_ids"][0]}, form_url=desk["url"],
    )  # fmt: skip
    url = f"/organize/bookings/{booking_id}/cancel"
    asked = post_form(client, url, {"reason": "Double booked"}, form_url=desk["url"])
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "Cancel the booking of Carbonix?" in page
    assert 'name="reason" value="Double booked"' in page
    assert _booking(app, db, booking_id).status == BookingStatus.confirmed
    done = post_form(
        client, url, {"reason": "Double booked", "confirmed": "yes"}, form_url=desk["url"]
    )
    assert done.status_code == 303
    assert _booking(app, db, booking_id).status == BookingStatus.cancelled


def test_removing_a_slot_takes_effect_only_once_confirmed(app, db, client, desk):
    slot_id = desk["slot_ids"][-1]
    url = f"/organize/slots/{slot_id}/remove"
    asked = post_form(client, url, {}, form_url=desk["url"])
    assert asked.status_code == 200
    assert "Remove slot 4?" in asked.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(PitchSlot, slot_id) is not None
    assert post_form(client, url, {"confirmed": "yes"}, form_url=desk["url"]).status_code == 303
    with app.app_context():
        assert db.session.get(PitchSlot, slot_id) is None


def test_destructive_forms_on_the_desk_ask_in_the_browser_too(app, db, client, desk):
    page = client.get(desk["url"]).get_data(as_text=True)
    assert 'data-confirm="Remove slot 4?"' in page
    assert 'data-confirm-when="reject"' in page
    assert "desk.js" in page


HTMX = {"HX-Request": "true"}


def test_desk_answers_htmx_with_the_desk_alone_and_a_browser_with_the_whole_page(
    app, db, client, desk
):
    page = client.get(desk["url"])
    part = client.get(desk["url"], headers=HTMX)
    body = part.get_data(as_text=True).strip()
    assert page.get_data(as_text=True).startswith("<!doctype html>")
    assert body.startswith('<div id="desk" class="desk" hx-target="this" hx-swap="outerHTML"')
    assert "<html" not in body
    assert body.count('<article class="application"') == 3
    assert re.search(r'</div>\s*<div id="flashes" hx-swap-oob="innerHTML">\s*</div>$', body)
    # A cache must not hand the fragment to a browser asking for the page, or the reverse.
    assert (page.headers["Vary"], part.headers["Vary"]) == ("HX-Request, Cookie",) * 2


def test_a_move_sent_by_htmx_comes_back_as_the_desk_with_its_message(app, db, client, desk):
    booking_id, (first, _, third, _) = desk["booking_ids"][0], desk["slot_ids"]
    post_form(
        client, f"/organize/bookings/{booking_id}/approve", {"slot_id": first},
        form_url=desk["url"],
    )  # fmt: skip
    client.get(desk["url"])  # shows (and so uses up) the approval's message
    token = csrf_token(client, desk["url"])
    moved = client.post(
        f"/organize/bookings/{booking_id}/assign",
        data={"csrf_token": token, "slot_id": third},
        headers=HTMX,
    )
    assert (moved.status_code, moved.headers["Location"]) == (303, desk["url"])
    # The browser follows the redirect with the same headers: the desk, and the message.
    body = client.get(moved.headers["Location"], headers=HTMX).get_data(as_text=True)
    assert _booking(app, db, booking_id).slot_id == third
    row = re.search(rf'<tr class="slot-held" id="slot-row-{third}"[^>]*>', body).group(0)
    assert f'data-move-booking="{booking_id}"' in row
    assert re.findall(r'<li class="flash flash-(\w+)">([^<]*)</li>', body) == [
        ("success", "Saved.")
    ]


def test_a_confirmation_asked_of_htmx_replaces_the_page_s_main_part(app, db, client, desk):
    slot_id = desk["slot_ids"][-1]
    token = csrf_token(client, desk["url"])
    asked = client.post(
        f"/organize/slots/{slot_id}/remove", data={"csrf_token": token}, headers=HTMX
    )
    plain = client.post(f"/organize/slots/{slot_id}/remove", data={"csrf_token": token})
    assert asked.status_code == 200
    assert {k: v for k, v in asked.headers.items() if k.startswith("HX-")} == {
        "HX-Retarget": "#content",
        "HX-Reselect": "#content",
        "HX-Reswap": "outerHTML",
    }
    assert [k for k, _ in plain.headers.items() if k.startswith("HX-")] == []
    with app.app_context():
        assert db.session.get(PitchSlot, slot_id) is not None
