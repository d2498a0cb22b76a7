"""Pages: the outbox, announcements, reminder rules, preferences and one-click unsubscribe."""

from __future__ import annotations

import re

import sqlalchemy as sa

from eventhub.accounts.models import InvestorProfile
from eventhub.core.outbox import MessageKind, OutboxMessage, OutboxStatus
from eventhub.invitations import services as invitations
from eventhub.invitations.models import RsvpStatus
from eventhub.notifications import services as notifications
from eventhub.notifications.jobs import plan_reminders_job
from eventhub.series import rules as series_rules
from eventhub.series.models import Occurrence
from tests.conftest import post_form
from tests.notifications.test_reminders import book


def _setup(app, db, make_occurrence, make_startup, clock) -> tuple[int, str]:
    """An occurrence with one confirmed startup, one accepted and one silent investor."""
    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        book(db, occurrence_id, startup_id, now=clock)
        occurrence = db.session.get(Occurrence, occurrence_id)
        accepted = InvestorProfile(email="yes@fund.example", firm="Yes Fund", person_name="Kim")
        silent = InvestorProfile(email="quiet@fund.example", firm="Quiet", person_name="Lee")
        db.session.add_all([accepted, silent])
        db.session.flush()
        made = invitations.invite([occurrence], investors=[accepted, silent], actor_id=None,
                                  now=clock)  # fmt: skip
        invitations.answer(made[0], status=RsvpStatus.accepted, now=clock)
        db.session.commit()
        slug = occurrence.series.center.slug
    plan_reminders_job(app, now=clock)  # what the worker does after these changes
    return occurrence_id, slug


def _organizer(auth, app, db, occurrence_id, **kwargs) -> int:
    with app.app_context():
        center_id = db.session.get(Occurrence, occurrence_id).series.center_id
    return auth("organizer", center_ids=(center_id,), locale="en", **kwargs)


def test_outbox_lists_a_centers_messages_with_filters(
    app, db, client, auth, make_occurrence, make_startup, clock
):
    occurrence_id, slug = _setup(app, db, make_occurrence, make_startup, clock)
    _organizer(auth, app, db, occurrence_id)
    page = client.get(f"/organize/centers/{slug}/outbox?kind=reminder&q=carbonix")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = re.findall(r'<tr class="status-(\w+)">', html)
    assert rows == ["pending", "pending", "pending"]
    assert 'data-status="pending">3<' in html
    bad = client.get(f"/organize/centers/{slug}/outbox?status=lost")
    assert bad.status_code == 400


def test_outbox_of_another_center_is_not_found(
    app, db, client, auth, make_occurrence, make_startup, create_center, clock
):
    _, slug = _setup(app, db, make_occurrence, make_startup, clock)
    other = create_center("busan")
    auth("organizer", center_ids=(other,))
    assert client.get(f"/organize/centers/{slug}/outbox").status_code == 404
    with app.app_context():
        message_id = db.session.scalar(sa.select(OutboxMessage.id))
    assert client.get(f"/organize/outbox/{message_id}").status_code == 404
    assert client.get(f"/organize/outbox/{message_id + 1000}").status_code == 404


def test_organizer_cancels_a_pending_message_and_retries_a_failed_one(
    app, db, client, auth, make_occurrence, make_startup, clock
):
    occurrence_id, _ = _setup(app, db, make_occurrence, make_startup, clock)
    _organizer(auth, app, db, occurrence_id)
    with app.app_context():
        pending_id, failed_id = db.session.scalars(
            sa.select(OutboxMessage.id).order_by(OutboxMessage.id).limit(2)
        ).all()
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == failed_id)
            .values(status=OutboxStatus.failed, attempts=8, last_error="SMTPRecipientsRefused")
        )
        db.session.commit()
    detail = client.get(f"/organize/outbox/{failed_id}")
    assert "SMTPRecipientsRefused" in detail.get_data(as_text=True)
    url = f"/organize/outbox/{failed_id}"
    assert post_form(client, f"{url}/retry", {}, form_url=url).status_code == 303
    url = f"/organize/outbox/{pending_id}"
    # Without a confirmation the organizer is asked again, and nothing is cancelled yet.
    asked = post_form(client, f"{url}/cancel", {}, form_url=url)
    assert asked.status_code == 200
    assert "Cancel this message?" in asked.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(OutboxMessage, pending_id).status == OutboxStatus.pending
    confirmed = {"confirmed": "yes"}
    assert post_form(client, f"{url}/cancel", confirmed, form_url=url).status_code == 303
    again = post_form(client, f"{url}/cancel", confirmed, form_url=url, follow_redirects=True)
    assert "Only a pending message can be cancelled." in again.get_data(as_text=True)
    with app.app_context():
        retried = db.session.get(OutboxMessage, failed_id)
        cancelled = db.session.get(OutboxMessage, pending_id)
        assert (retried.status, retried.attempts) == (OutboxStatus.pending, 0)
        assert cancelled.status == OutboxStatus.cancelled
        assert cancelled.cancel_reason == "cancelled by organizer@example.com"
    # Undo: the message is pending again; a second undo has nothing to undo.
    assert "Undo the cancellation" in client.get(url).get_data(as_text=True)
    assert post_form(client, f"{url}/restore", {}, form_url=url).status_code == 303
    undone_twice = post_form(client, f"{url}/restore", {}, form_url=url, follow_redirects=True)
    assert "Only a message cancelled by a person can be restored." in undone_twice.get_data(
        as_text=True
    )
    with app.app_context():
        restored = db.session.get(OutboxMessage, pending_id)
        assert (restored.status, restored.cancel_reason) == (OutboxStatus.pending, None)


def test_the_html_part_is_served_under_a_sandboxing_policy(
    app, db, client, auth, make_occurrence, make_startup, clock
):
    occurrence_id, _ = _setup(app, db, make_occurrence, make_startup, clock)
    _organizer(auth, app, db, occurrence_id)
    with app.app_context():
        message_id = db.session.scalar(sa.select(OutboxMessage.id))
    response = client.get(f"/organize/outbox/{message_id}/html")
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; "
        "frame-ancestors 'self'"
    )
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "<html" in response.get_data(as_text=True)


def test_announcement_preview_then_send_reaches_each_group_in_their_language(
    app, db, client, auth, make_occurrence, make_startup, clock
):
    occurrence_id, _ = _setup(app, db, make_occurrence, make_startup, clock)
    _organizer(auth, app, db, occurrence_id)
    url = f"/organize/occurrences/{occurrence_id}/announce"
    form = {
        "audiences": ["startups", "investors"],
        "subject_ko": "주차 안내",
        "body_ko": "지하 2층에 주차하세요.",
        "subject_en": "Parking",
        "body_en": "Please park on B2.",
    }
    preview = post_form(client, url, {**form, "preview": "1"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "2 recipients: Carbonix, Kim" in html
    assert "지하 2층에 주차하세요." in html
    assert "Please park on B2." in html
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count()).where(OutboxMessage.kind == MessageKind.announcement)
        ) == 0  # fmt: skip
    asked = post_form(client, url, {**form, "send": "1"})
    assert asked.status_code == 200
    assert "Send this announcement to 2 people?" in asked.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count()).where(OutboxMessage.kind == MessageKind.announcement)
        ) == 0  # fmt: skip
    sent = post_form(client, url, {**form, "send": "1", "confirmed": "yes"})
    assert sent.status_code == 302
    with app.app_context():
        messages = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind == MessageKind.announcement)
            .order_by(OutboxMessage.recipient)
        ).all()
        assert [(m.recipient, m.subject) for m in messages] == [
            ("carbonix@startup.example", "[daegu 센터] 주차 안내"),
            ("yes@fund.example", "[daegu 센터] 주차 안내"),
        ]


def test_announcement_without_a_group_is_refused_with_a_reason(
    app, db, client, auth, make_occurrence, make_startup, clock
):
    occurrence_id, _ = _setup(app, db, make_occurrence, make_startup, clock)
    _organizer(auth, app, db, occurrence_id)
    url = f"/organize/occurrences/{occurrence_id}/announce"
    response = post_form(client, url, {"subject_ko": "x", "body_ko": "y", "send": "1"})
    assert response.status_code == 422
    assert "Choose who should receive the announcement." in response.get_data(as_text=True)


def test_reminder_rules_page_saves_offsets_and_explains_bad_ones(
    app, db, client, auth, make_occurrence, make_startup, clock
):
    occurrence_id, _ = _setup(app, db, make_occurrence, make_startup, clock)
    _organizer(auth, app, db, occurrence_id)
    with app.app_context():
        series = db.session.get(Occurrence, occurrence_id).series
        slug, series_id = series.slug, series.id
    url = f"/organize/series/{slug}/reminders"
    page = client.get(url).get_data(as_text=True)
    assert 'value="7d, 1d, 2h"' in page
    assert 'value="1d, 2h"' in page  # the meetings' default
    fields = {"startups": "3d", "investors": "", "unanswered": "5d", "organizers": "",
              "offer_expiry": "3h", "meetings": "30m"}  # fmt: skip
    bad = post_form(client, url, {**fields, "startups": "3 weeks"})
    assert bad.status_code == 422
    assert "is not a time before the event" in bad.get_data(as_text=True)
    assert post_form(client, url, fields).status_code == 303
    with app.app_context():
        rules = series_rules.rules_of(series_id)
        assert {a.value: offsets for a, offsets in rules.items()} == {
            "startups": [3 * 1440], "investors": [], "unanswered": [5 * 1440],
            "organizers": [], "offer_expiry": [180], "meetings": [30],
        }  # fmt: skip


def test_one_click_unsubscribe_turns_reminders_off_without_a_login(
    app, db, client, make_occurrence, make_startup, clock
):
    _setup(app, db, make_occurrence, make_startup, clock)
    with app.app_context():
        message = db.session.scalar(
            sa.select(OutboxMessage).where(
                OutboxMessage.kind == MessageKind.reminder,
                OutboxMessage.recipient == "carbonix@startup.example",
            )
        )
        url = message.headers["List-Unsubscribe"].strip("<>").replace("https://eventhub.test", "")
    response = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with app.app_context():
        assert notifications.reminders_enabled("carbonix@startup.example") is False
        pending = db.session.scalar(
            sa.select(sa.func.count()).where(
                OutboxMessage.recipient == "carbonix@startup.example",
                OutboxMessage.kind == MessageKind.reminder,
                OutboxMessage.status == OutboxStatus.pending,
            )
        )
        assert pending == 0
    assert client.post(url.replace("unsubscribe/", "unsubscribe/x")).status_code == 404


def test_preferences_page_turns_reminders_back_on(app, db, client, clock):
    with app.app_context():
        token = notifications.preference_token("someone@example.com")
        notifications.set_reminders("someone@example.com", enabled=False, now=clock)
        db.session.commit()
    url = f"/notifications/preferences/{token}"
    assert "someone@example.com" in client.get(url).get_data(as_text=True)
    assert post_form(client, url, {"reminders_enabled": "y"}).status_code == 303
    with app.app_context():
        assert notifications.reminders_enabled("someone@example.com") is True


def test_outbox_lists_what_is_due_next_first_then_what_went_out_last(
    app, db, client, auth, make_occurrence, make_startup, clock
):
    from datetime import UTC, datetime, timedelta

    occurrence_id, slug = _setup(app, db, make_occurrence, make_startup, clock)
    _organizer(auth, app, db, occurrence_id)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    offsets = {
        "far@example.com": timedelta(days=20),
        "soon@example.com": timedelta(hours=2),
        "old@example.com": timedelta(days=-10),
        "recent@example.com": timedelta(hours=-2),
    }
    with app.app_context():
        ids = db.session.scalars(sa.select(OutboxMessage.id).order_by(OutboxMessage.id)).all()
        for message_id, (recipient, offset) in zip(ids, offsets.items(), strict=False):
            db.session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(recipient=recipient, due_at=now + offset)
            )
        db.session.execute(
            sa.delete(OutboxMessage).where(OutboxMessage.id.not_in(ids[: len(offsets)]))
        )
        db.session.commit()
    html = client.get(f"/organize/centers/{slug}/outbox").get_data(as_text=True)
    shown = re.findall(r"<td class=\"long-text\">([^<]+)</td>", html)
    assert shown == [
        "soon@example.com", "far@example.com", "recent@example.com", "old@example.com",
    ]  # fmt: skip
