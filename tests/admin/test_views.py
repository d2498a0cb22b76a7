"""Admin screens: users (search, role, memberships, deactivate, resend) and centers, in both
languages, each change found in the audit log with the admin as its actor (issue 17)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, post_form


@pytest.fixture
def admin(auth) -> int:
    return auth("admin", email="admin@example.com", locale="en")


def test_users_search_finds_by_email_or_name_in_both_languages(app, db, client, admin, create_user):
    create_user("kim@daegu.example", display_name="김대구")
    create_user("lee@busan.example", display_name="Lee")
    for language in ("ko", "en"):
        page = client.get("/admin/users?q=대구", headers={"Accept-Language": language})
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert ("kim@daegu.example" in text, "lee@busan.example" in text) == (True, False)
    assert "lee@busan.example" in client.get("/admin/users?q=BUSAN").get_data(as_text=True)


def test_admin_makes_a_user_organizer_of_two_centers_and_it_is_audited(
    app, db, client, admin, create_user, create_center
):
    from eventhub.centers.models import OrganizerMembership
    from eventhub.core.audit import AuditLog

    daegu, busan = create_center("daegu"), create_center("busan")
    user_id = create_user("staff@example.com")
    url = f"/admin/users/{user_id}"
    response = post_form(client, url, {"role": "organizer", "centers": [daegu, busan]})
    assert response.status_code == 303
    post_form(client, url, {"role": "organizer", "centers": [busan]})
    with app.app_context():
        centers = db.session.scalars(
            sa.select(OrganizerMembership.center_id).where(OrganizerMembership.user_id == user_id)
        ).all()
        entries = db.session.execute(
            sa.select(AuditLog.action, AuditLog.actor_label, AuditLog.center_id)
            .where(
                sa.or_(
                    AuditLog.object_type == "organizer_membership",
                    sa.and_(AuditLog.object_type == "user", AuditLog.object_id == user_id),
                )
            )
            .where(AuditLog.actor_label == "admin@example.com")
            .order_by(AuditLog.id)
        ).all()
    assert centers == [busan]
    assert [tuple(e) for e in entries] == [
        ("user.changed", "admin@example.com", None),
        ("organizer_membership.created", "admin@example.com", daegu),
        ("organizer_membership.created", "admin@example.com", busan),
        ("organizer_membership.deleted", "admin@example.com", daegu),
    ]


def test_deactivated_user_cannot_log_in_and_admin_cannot_deactivate_themselves(
    app, db, client, admin, create_user
):
    user_id = create_user("leaver@example.com")
    page = f"/admin/users/{user_id}"
    assert post_form(client, f"{page}/deactivate", {}, form_url=page).status_code == 303
    own = f"/admin/users/{admin}"
    response = post_form(client, f"{own}/deactivate", {}, form_url=own, follow_redirects=True)
    assert "cannot take away your own admin role" in response.get_data(as_text=True)
    other = app.test_client()
    login = post_form(other, "/login", {"email": "leaver@example.com", "password": PASSWORD})
    assert login.status_code == 401
    from eventhub.accounts.models import User

    with app.app_context():
        assert db.session.get(User, admin).is_active_account is True


def test_center_edit_saves_names_and_refuses_a_script_logo(app, db, client, admin, create_center):
    from eventhub.centers.models import Center

    center_id = create_center("daegu")
    url = "/admin/centers/daegu"
    values = {
        "name_ko": "대구창조경제혁신센터", "name_en": "Daegu Center", "industries": ["electronics"],
        "contact_email": "Hello@Daegu.example", "contact_phone": "053-000-0000",
        "logo_url": "javascript:alert(1)", "shows_public_summary": "y",
    }  # fmt: skip
    assert post_form(client, url, values).status_code == 422
    assert (
        post_form(client, url, {**values, "logo_url": "https://daegu.example/logo.png"}).status_code
        == 303
    )
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert (center.name_ko, center.contact_email, center.shows_public_summary) == (
            "대구창조경제혁신센터", "hello@daegu.example", True,
        )  # fmt: skip
    for language in ("ko", "en"):
        assert (
            client.get("/admin/centers", headers={"Accept-Language": language}).status_code == 200
        )
        assert client.get(url, headers={"Accept-Language": language}).status_code == 200
