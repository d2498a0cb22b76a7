"""Email ownership, sign-up without enumeration, reset doing the same work, server-side log-out
(issue 14)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import template_rendered

from eventhub.accounts.models import InvestorProfile, User
from eventhub.bookings import services as bookings
from eventhub.core.outbox import OutboxMessage
from eventhub.invitations import services as invitations
from eventhub.series.models import Occurrence
from tests.conftest import PASSWORD, post_form

EN = {"Accept-Language": "en"}
INVESTOR = {
    "role": "investor",
    "email": "VC@Hanbit.example",
    "display_name": "김한빛",
    "organization": "Somebody Capital",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


def _outbox(app, db) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(OutboxMessage.recipient, OutboxMessage.template).order_by(OutboxMessage.id)
        )
        return [tuple(row) for row in rows]


def _verify_path(app, db) -> str:
    with app.app_context():
        body = db.session.scalar(
            sa.select(OutboxMessage.body_text)
            .where(OutboxMessage.template == "accounts/verify_email")
            .order_by(OutboxMessage.id.desc())
        )
    match = re.search(r"https://eventhub\.test(/verify-email/[A-Za-z0-9_.\-]+)", body)
    assert match, body
    return match.group(1)


def _login(client, email: str) -> None:
    response = post_form(client, "/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 302


@pytest.fixture
def invited_entry(app, db, make_occurrence, clock):
    """A directory entry without an account, invited to an occurrence; returns its id."""
    occurrence_id = make_occurrence()
    with app.app_context():
        investor = InvestorProfile(
            email="vc@hanbit.example", firm="Hanbit Ventures", person_name="김한빛"
        )
        db.session.add(investor)
        db.session.flush()
        invitations.invite(
            [db.session.get(Occurrence, occurrence_id)],
            investors=[investor],
            actor_id=None,
            now=clock,
        )
        db.session.commit()
        return investor.id


def test_signup_investor_sees_the_directory_entry_only_after_verifying(
    app, db, client, invited_entry
):
    assert post_form(client, "/signup", INVESTOR).status_code == 303
    with app.app_context():
        assert db.session.get(InvestorProfile, invited_entry).user_id is None
    _login(client, "vc@hanbit.example")
    # Logged in, but nothing addressed to the email is theirs yet: a clear "check your mail".
    mine = client.get("/investor/invitations", headers=EN)
    assert (mine.status_code, mine.headers["Location"]) == (303, "/account/verify")
    pending = client.get("/account/verify", headers=EN).get_data(as_text=True)
    assert "vc@hanbit.example(으)로 링크를 보냈습니다." in pending
    assert "링크 다시 보내기" in pending

    path = _verify_path(app, db)
    # Opening the link (a mail scanner does) changes nothing; pressing the button does.
    assert client.get(path, headers=EN).status_code == 200
    with app.app_context():
        assert db.session.get(InvestorProfile, invited_entry).user_id is None
    assert post_form(client, path, {}).status_code == 303
    with app.app_context():
        entry = db.session.get(InvestorProfile, invited_entry)
        assert (entry.firm, entry.user.email, entry.user.email_verified_at is not None) == (
            "Hanbit Ventures",
            "vc@hanbit.example",
            True,
        )
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InvestorProfile)) == 1
    mine = client.get("/investor/invitations", headers=EN)
    assert mine.status_code == 200


def test_signup_investor_without_entry_gets_one_from_the_firm_typed_at_signup(app, db, client):
    post_form(client, "/signup", INVESTOR)
    with app.app_context():
        assert db.session.scalars(sa.select(InvestorProfile)).all() == []
    post_form(client, _verify_path(app, db), {})
    with app.app_context():
        [entry] = db.session.scalars(sa.select(InvestorProfile)).all()
        assert (entry.email, entry.firm, entry.person_name, entry.user.signup_organization) == (
            "vc@hanbit.example",
            "Somebody Capital",
            "김한빛",
            None,
        )


def test_signup_with_a_known_address_answers_the_same_and_emails_the_owner(
    app, db, client, create_user
):
    owner_id = create_user("vc@hanbit.example", role="investor")
    with app.app_context():
        owner_hash = db.session.get(User, owner_id).password_hash
    known = post_form(client, "/signup", INVESTOR, headers=EN)
    fresh = post_form(
        app.test_client(), "/signup", {**INVESTOR, "email": "new@fund.example"}, headers=EN
    )
    assert (known.status_code, known.headers["Location"], known.get_data()) == (
        fresh.status_code,
        fresh.headers["Location"],
        fresh.get_data(),
    )
    assert (known.status_code, known.headers["Location"]) == (303, "/signup/check-mail")
    assert _outbox(app, db) == [
        ("vc@hanbit.example", "accounts/signup_attempt"),
        ("new@fund.example", "accounts/verify_email"),
    ]
    with app.app_context():
        assert db.session.get(User, owner_id).password_hash == owner_hash
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2


def test_verify_link_tampered_or_for_another_address_is_refused(app, db, client):
    post_form(client, "/signup", INVESTOR)
    path = _verify_path(app, db)
    assert client.get(path[:-2] + "xx", headers=EN).status_code == 410
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        user.email = "other@fund.example"
        db.session.commit()
    page = client.get(path, headers=EN)
    assert page.status_code == 410
    assert "This confirmation link has expired or is not valid." in page.get_data(as_text=True)


def test_resend_verification_is_limited(app, db, client):
    post_form(client, "/signup", INVESTOR)
    _login(client, "vc@hanbit.example")
    too_soon = post_form(client, "/account/verify/resend", {}, form_url="/account/verify")
    assert too_soon.status_code == 429
    assert "잠시 후에 다시 요청해 주세요." in too_soon.get_data(as_text=True)
    for sent in range(2, 6):
        with app.app_context():  # the previous message was sent two minutes ago
            for message in db.session.scalars(sa.select(OutboxMessage)):
                message.created_at -= timedelta(minutes=2)
            db.session.commit()
        response = post_form(client, "/account/verify/resend", {}, form_url="/account/verify")
        assert (sent, response.status_code) == (sent, 303)
    with app.app_context():
        for message in db.session.scalars(sa.select(OutboxMessage)):
            message.created_at -= timedelta(minutes=2)
        db.session.commit()
    sixth = post_form(client, "/account/verify/resend", {}, form_url="/account/verify")
    assert sixth.status_code == 429
    assert _outbox(app, db) == [("vc@hanbit.example", "accounts/verify_email")] * 5


def test_unverified_startup_cannot_book(app, db, client, make_occurrence):
    occurrence_id = make_occurrence()
    post_form(client, "/signup", {**INVESTOR, "role": "startup", "email": "a@startup.example"})
    _login(client, "a@startup.example")
    assert client.get("/bookings").status_code == 303
    with app.app_context():
        slot_id = bookings.slots_of(occurrence_id)[0].id
    response = client.post(f"/api/occurrences/{occurrence_id}/bookings", json={"slot_id": slot_id})
    assert response.status_code == 403
    with app.app_context():
        assert bookings.occurrence_bookings(occurrence_id) == []


def test_password_reset_verifies_the_address_it_was_sent_to(app, db, client, invited_entry):
    post_form(client, "/signup", INVESTOR)
    post_form(client, "/password/forgot", {"email": "vc@hanbit.example"})
    with app.app_context():
        body = db.session.scalar(
            sa.select(OutboxMessage.body_text).where(
                OutboxMessage.template == "accounts/password_reset"
            )
        )
    path = re.search(r"https://eventhub\.test(/password/reset/\S+)", body).group(1)
    new = "brand-new-pass-77"
    assert post_form(client, path, {"password": new, "confirm": new}).status_code == 302
    with app.app_context():
        entry = db.session.get(InvestorProfile, invited_entry)
        assert (entry.user.email, entry.user.email_verified_at is not None) == (
            "vc@hanbit.example",
            True,
        )


def _rendered_templates(app, action) -> list[str]:
    names: list[str] = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    with template_rendered.connected_to(record, app):
        response = action()
    return [response.status_code, response.headers["Location"], *names]


def test_password_reset_does_the_same_work_for_known_and_unknown_addresses(
    app, db, client, create_user
):
    create_user("founder@carbonix.example")

    def ask(email):
        return lambda: post_form(client, "/password/forgot", {"email": email})

    known = _rendered_templates(app, ask("founder@carbonix.example"))
    unknown = _rendered_templates(app, ask("nobody@carbonix.example"))
    assert known == unknown
    assert known == [
        302,
        "/login",
        "accounts/forgot_password.html",
        "email/accounts/password_reset.txt",
        "email/accounts/password_reset.html",
    ]


def test_logout_ends_the_session_for_a_copied_cookie(app, db, client, create_user):
    create_user("founder@carbonix.example")
    _login(client, "founder@carbonix.example")
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/account").status_code == 200
    assert post_form(client, "/logout", {}, form_url="/").status_code == 302
    assert copy.get("/account").status_code == 302
    # Logging in again works, with a new session.
    _login(client, "founder@carbonix.example")
    assert client.get("/account").status_code == 200


def test_logout_everywhere_ends_every_session(app, db, client, create_user):
    create_user("founder@carbonix.example")
    other = app.test_client()
    _login(client, "founder@carbonix.example")
    _login(other, "founder@carbonix.example")
    page = client.get("/account", headers=EN).get_data(as_text=True)
    assert "모든 기기에서 로그아웃" in page
    response = post_form(client, "/account/logout-everywhere", {}, form_url="/account")
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    assert other.get("/account").status_code == 302
    assert client.get("/account").status_code == 302


def test_unverified_account_gets_no_preference_link_for_its_address(app, db, client):
    post_form(client, "/signup", INVESTOR)
    _login(client, "vc@hanbit.example")
    response = client.get("/notifications/preferences")
    assert (response.status_code, response.headers["Location"]) == (303, "/account/verify")
    post_form(client, _verify_path(app, db), {})
    response = client.get("/notifications/preferences")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/notifications/preferences/")
