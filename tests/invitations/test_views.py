"""Invitation pages: RSVP by link (GET never changes anything), the directory import, the
organizer's invitation page."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from eventhub.accounts.models import InvestorProfile, StartupProfile
from eventhub.bookings import services as bookings
from eventhub.core.outbox import OutboxMessage
from eventhub.invitations import services as invitations
from eventhub.invitations.models import Invitation, RsvpStatus
from eventhub.series.models import Occurrence
from tests.conftest import post_form

EN = {"Accept-Language": "en"}


@pytest.fixture
def invitation_token(app, db, make_occurrence):
    """An invitation to an occurrence a week from now; returns (token, invitation id)."""
    occurrence_id = make_occurrence()
    with app.app_context():
        occ = db.session.get(Occurrence, occurrence_id)
        delta = datetime.now(UTC) + timedelta(days=7) - occ.start_at
        occ.start_at, occ.end_at = occ.start_at + delta, occ.end_at + delta
        bookings.shift_slots(occ.id, delta)
        investor = InvestorProfile(
            email="vc@hanbit.example", firm="Hanbit Ventures", person_name="김한빛"
        )
        db.session.add(investor)
        db.session.flush()
        [invitation] = invitations.invite(
            [occ], investors=[investor], actor_id=None, now=datetime.now(UTC)
        )
        db.session.commit()
        return invitations.rsvp_token(invitation), invitation.id


def _status(app, db, invitation_id):
    with app.app_context():
        return db.session.get(Invitation, invitation_id).status


def test_get_on_every_link_changes_nothing(app, db, client, invitation_token):
    token, invitation_id = invitation_token
    for answer in ("accepted", "tentative", "declined"):
        page = client.get(f"/rsvp/{token}?answer={answer}", headers=EN)
        assert page.status_code == 200
        assert "Please confirm your answer:" in page.get_data(as_text=True)
    assert _status(app, db, invitation_id) == RsvpStatus.pending


def test_post_changes_the_answer_as_often_as_wanted(app, db, client, invitation_token):
    token, invitation_id = invitation_token
    url = f"/rsvp/{token}"
    assert post_form(client, url, {"answer": "tentative"}).status_code == 303
    assert _status(app, db, invitation_id) == RsvpStatus.tentative
    post_form(client, url, {"answer": "accepted"})
    assert _status(app, db, invitation_id) == RsvpStatus.accepted
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert "Your answer: <strong>Accepted</strong>" in page
    assert "1 slots are booked." not in page  # no bookings yet
    assert "0 slots are booked. The line-up is shown here once the organizers publish it." in page


def test_token_errors_reveal_nothing(app, db, client, invitation_token):
    token, _ = invitation_token
    tampered = client.get(f"/rsvp/{token[:-3]}abc", headers=EN)
    unknown = client.get("/rsvp/this-is-not-a-token", headers=EN)
    assert (tampered.status_code, unknown.status_code) == (404, 404)

    def body(response):
        # The CSRF token and the language switcher's return path differ by nature.
        text = re.sub(r'name="csrf_token" value="[^"]+"', "", response.get_data(as_text=True))
        return re.sub(r'name="next" value="[^"]+"', "", text)

    assert body(tampered) == body(unknown)
    assert "This link is not valid." in body(unknown)


def test_answer_after_the_start_is_read_only(app, db, client, invitation_token):
    token, invitation_id = invitation_token
    with app.app_context():
        invitation = db.session.get(Invitation, invitation_id)
        occ = invitation.occurrence
        occ.start_at, occ.end_at = (
            datetime.now(UTC) - timedelta(hours=1),
            datetime.now(UTC) + timedelta(hours=2),
        )
        db.session.commit()
    page = client.get(f"/rsvp/{token}", headers=EN).get_data(as_text=True)
    assert "the answer can no longer be changed" in page
    # The read-only page has no form: a forged answer takes its token from the log-in form.
    response = post_form(
        client,
        f"/rsvp/{token}",
        {"answer": "accepted"},
        form_url="/login",
        follow_redirects=True,
        headers=EN,
    )
    assert (
        "This investor day has started; the answer can no longer be changed."
        in response.get_data(as_text=True)
    )
    assert _status(app, db, invitation_id) == RsvpStatus.pending


def test_published_lineup_and_follow_up_through_the_page(
    app, db, client, invitation_token, make_startup
):
    token, invitation_id = invitation_token
    startup_id = make_startup("Carbonix")
    with app.app_context():
        invitation = db.session.get(Invitation, invitation_id)
        occ = invitation.occurrence
        occ.registration_opens_at = datetime.now(UTC) - timedelta(days=1)
        occ.registration_closes_at = datetime.now(UTC) + timedelta(days=1)
        bookings.book_slot(
            bookings.slots_of(occ.id)[0],
            startup=db.session.get(StartupProfile, startup_id),
            actor_id=None,
            now=datetime.now(UTC),
        )
        invitations.answer(invitation, status=RsvpStatus.accepted, now=datetime.now(UTC))
        db.session.commit()
    assert "Carbonix one-liner" not in client.get(f"/rsvp/{token}", headers=EN).get_data(
        as_text=True
    )
    with app.app_context():
        invitations.publish_lineup(
            db.session.get(Invitation, invitation_id).occurrence,
            actor_id=None,
            now=datetime.now(UTC),
        )
        db.session.commit()
    page = client.get(f"/rsvp/{token}", headers=EN).get_data(as_text=True)
    assert "Carbonix one-liner" in page
    assert "Want to follow up" not in page  # only once the event has started
    with app.app_context():
        occ = db.session.get(Invitation, invitation_id).occurrence
        shift = occ.start_at - (datetime.now(UTC) - timedelta(minutes=30))
        occ.start_at -= shift
        occ.end_at -= shift
        db.session.commit()
    response = post_form(
        client, f"/rsvp/{token}/follow-up",
        {"startup_id": startup_id, "note": "다음 주 미팅", "share_with_startup": "y"},
        form_url=f"/rsvp/{token}",
    )  # fmt: skip
    assert response.status_code == 303
    with app.app_context():
        [follow_up] = invitations.follow_ups_for_startup(db.session.get(StartupProfile, startup_id))
        assert (follow_up.note, follow_up.investor.firm) == ("다음 주 미팅", "Hanbit Ventures")


def test_import_through_the_pages_is_all_or_nothing_after_confirm(app, db, client, auth):
    auth("organizer", locale="en")
    data = (
        "email,firm,person_name,focus_industries\n"
        "a@fund.example,A Fund,에이,fintech\n"
        "bad-email,B Fund,비,\n"
    ).encode("cp949")
    response = post_form(
        client, "/organize/investors/import",
        {"file": (__import__("io").BytesIO(data), "investors.csv")},
        content_type="multipart/form-data",
    )  # fmt: skip
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 new, 0 updated, 1 rejected. Nothing is written until you confirm." in body
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InvestorProfile)) == 0
    content = re.search(r'name="content" value="([^"]+)"', body).group(1)
    assert base64.b64decode(content) == data
    confirmed = post_form(
        client, "/organize/investors/import",
        {"confirm": "1", "content": content, "filename": "investors.csv"},
    )  # fmt: skip
    assert confirmed.status_code == 302
    with app.app_context():
        assert db.session.execute(sa.select(InvestorProfile.email, InvestorProfile.firm)).all() == [
            ("a@fund.example", "A Fund")
        ]


def test_import_with_wrong_columns_shows_why(app, db, client, auth):
    auth("organizer", locale="en")
    response = post_form(
        client, "/organize/investors/import",
        {"file": (__import__("io").BytesIO(b"mail,company\n"), "x.csv")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 422
    assert "Columns missing: email, firm, person_name." in response.get_data(as_text=True)


def test_organizer_invites_by_pasted_email_and_nudges_once(app, db, client, auth, invitation_token):
    _, invitation_id = invitation_token
    with app.app_context():
        occ = db.session.get(Invitation, invitation_id).occurrence
        occurrence_id, center = occ.id, occ.series.center_id
    auth("organizer", locale="en", center_ids=(center,))
    page_url = f"/organize/occurrences/{occurrence_id}/invitations"
    response = post_form(
        client, f"/organize/occurrences/{occurrence_id}/invite",
        {"emails": "new@fund.example, VC@hanbit.example"}, form_url=page_url,
    )  # fmt: skip
    assert response.status_code == 303
    with app.app_context():
        emails = sorted(i.investor.email for i in invitations.invitations_of(occurrence_id))
        assert emails == ["new@fund.example", "vc@hanbit.example"]
    nudge_url = f"/organize/invitations/{invitation_id}/nudge"
    post_form(client, nudge_url, {}, form_url=page_url)
    second = post_form(client, nudge_url, {}, form_url=page_url, follow_redirects=True)
    assert "This investor was already reminded in the last 24 hours." in second.get_data(
        as_text=True
    )
    with app.app_context():
        templates = db.session.scalars(
            sa.select(OutboxMessage.template).where(OutboxMessage.kind == "transactional")
        ).all()
        assert templates.count("invitations/nudge") == 1


def test_slot_grid_shows_names_to_an_accepted_investor_once_published(
    app, db, client, create_user, invitation_token, make_startup
):
    _, invitation_id = invitation_token
    startup_id = make_startup("Carbonix")
    user_id = create_user("vc@hanbit.example", role="investor", locale="en")
    with app.app_context():
        invitation = db.session.get(Invitation, invitation_id)
        invitation.investor.user_id = user_id
        occ = invitation.occurrence
        occ.registration_opens_at = datetime.now(UTC) - timedelta(days=1)
        occ.registration_closes_at = datetime.now(UTC) + timedelta(days=1)
        bookings.book_slot(
            bookings.slots_of(occ.id)[0],
            startup=db.session.get(StartupProfile, startup_id),
            actor_id=None,
            now=datetime.now(UTC),
        )
        invitations.answer(invitation, status=RsvpStatus.accepted, now=datetime.now(UTC))
        db.session.commit()
        occurrence_id = occ.id
    post_form(client, "/login", {"email": "vc@hanbit.example", "password": "correct-horse-42"})
    before = client.get(f"/occurrences/{occurrence_id}").get_data(as_text=True)
    assert ("Carbonix" in before, "Taken" in before) == (False, True)
    with app.app_context():
        invitations.publish_lineup(
            db.session.get(Occurrence, occurrence_id), actor_id=None, now=datetime.now(UTC)
        )
        db.session.commit()
    after = client.get(f"/occurrences/{occurrence_id}").get_data(as_text=True)
    assert "Carbonix" in after


def test_organizer_adds_and_edits_a_directory_entry_and_is_told_about_a_taken_email(
    app, db, client, auth
):
    auth("organizer", locale="en")
    entry = {
        "email": "Kim@Fund.example",
        "firm": "Kim Fund",
        "person_name": "김",
        "focus_industries": ["fintech"],
    }
    assert post_form(client, "/organize/investors/new", entry).status_code == 302
    post_form(
        client,
        "/organize/investors/new",
        {**entry, "email": "lee@fund.example", "firm": "Lee Fund"},
    )
    with app.app_context():
        kim, lee = db.session.scalars(sa.select(InvestorProfile).order_by(InvestorProfile.id)).all()
        assert (kim.email, kim.focus_industries) == ("kim@fund.example", ["fintech"])
        lee_id = lee.id
    taken = post_form(client, f"/organize/investors/{lee_id}/edit", {**entry, "firm": "Lee Fund"})
    assert taken.status_code == 422
    assert "Another investor in the directory already uses this email address." in taken.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.get(InvestorProfile, lee_id).email == "lee@fund.example"


def test_organizer_corrects_the_email_of_an_entry_no_account_owns(app, db, client, auth):
    auth("organizer", locale="en")
    with app.app_context():
        entry = InvestorProfile(email="vc@hanbit.example", firm="Hanbit", person_name="김")
        db.session.add(entry)
        db.session.commit()
        entry_id = entry.id
    data = {"email": "VC2@Hanbit.example", "firm": "Hanbit", "person_name": "김"}
    response = post_form(client, f"/organize/investors/{entry_id}/edit", data)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(InvestorProfile, entry_id).email == "vc2@hanbit.example"


def test_organizer_cannot_change_the_email_of_an_entry_an_account_owns(
    app, db, client, auth, create_user
):
    owner_id = create_user("vc@hanbit.example", role="investor")
    with app.app_context():
        entry = InvestorProfile(
            email="vc@hanbit.example", firm="Hanbit", person_name="김", user_id=owner_id
        )
        db.session.add(entry)
        db.session.commit()
        entry_id = entry.id
    auth("organizer", locale="en")
    data = {"email": "attacker@evil.example", "firm": "Hanbit", "person_name": "김"}
    response = post_form(client, f"/organize/investors/{entry_id}/edit", data)
    assert response.status_code == 422
    assert "its email address is the account&#39;s confirmed address" in response.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.get(InvestorProfile, entry_id).email == "vc@hanbit.example"
    # Everything else about the entry can still be corrected.
    kept = {**data, "email": "vc@hanbit.example", "firm": "Hanbit Ventures"}
    assert post_form(client, f"/organize/investors/{entry_id}/edit", kept).status_code == 302
