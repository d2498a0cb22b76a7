"""The audit log: field changes written with the change, by whom and from where; secrets never
recorded; rows the database refuses to change or delete (issue 17, item 5)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from eventhub.core.audit import AuditLog, acting_as
from tests.conftest import post_form
from tests.series.conftest import center_id, create_series  # noqa: F401 - fixtures


def _entries(db, object_type: str) -> list[tuple[str, str | None, str | None, dict]]:
    rows = db.session.execute(
        sa.select(AuditLog.action, AuditLog.actor_label, AuditLog.remote_addr, AuditLog.changes)
        .where(AuditLog.object_type == object_type)
        .order_by(AuditLog.id)
    )
    return [tuple(row) for row in rows]


def test_request_change_records_who_what_before_after_and_address(app, db, client, auth):
    user_id = auth("startup", display_name="Before Name")
    response = post_form(
        client,
        "/account",
        {"display_name": "After Name", "locale": "en", "timezone": "Asia/Seoul"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert response.status_code == 302
    with app.app_context():
        changed = [e for e in _entries(db, "user") if e[0] == "user.changed" and e[2]]
        assert changed[-1] == (
            "user.changed",
            "startup@example.com",
            "203.0.113.7",
            {"display_name": ["Before Name", "After Name"], "locale": ["ko", "en"]},
        )
        actor_id = db.session.scalar(
            sa.select(AuditLog.actor_id).where(AuditLog.remote_addr == "203.0.113.7")
        )
        assert actor_id == user_id


def test_refused_request_leaves_no_audit_entry(app, db, client, auth):
    auth("startup", display_name="Kept")
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    response = post_form(
        client, "/account", {"display_name": "", "locale": "en", "timezone": "Asia/Seoul"}
    )
    assert response.status_code == 422
    with app.app_context():
        after = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    assert after == before


def test_password_hash_is_never_recorded(app, db, create_user):
    create_user("someone@example.com")
    with app.app_context():
        [(action, _label, _address, changes)] = _entries(db, "user")
    assert action == "user.created"
    assert "password_hash" not in changes
    assert changes["email"] == [None, "someone@example.com"]


def test_command_and_job_are_named_as_the_actor(app, db, create_center):
    from eventhub.centers.models import Center
    from eventhub.core.metrics import CURRENT_JOB

    daegu = create_center("daegu")
    with app.app_context():
        with acting_as("cli:test"):
            db.session.get(Center, daegu).contact_email = "a@daegu.example"
            db.session.commit()
        token = CURRENT_JOB.set("extend_horizon_job")
        try:
            db.session.get(Center, daegu).contact_email = "b@daegu.example"
            db.session.commit()
        finally:
            CURRENT_JOB.reset(token)
        entries = _entries(db, "center")
    assert entries == [
        ("center.created", "system", None, entries[0][3]),
        ("center.changed", "cli:test", None, {"contact_email": [None, "a@daegu.example"]}),
        (
            "center.changed",
            "job:extend_horizon_job",
            None,
            {"contact_email": ["a@daegu.example", "b@daegu.example"]},
        ),
    ]


def test_entry_carries_the_center_of_what_changed(app, db, create_series):  # noqa: F811
    series_id = create_series()
    with app.app_context():
        from eventhub.series.models import EventSeries

        center_id = db.session.get(EventSeries, series_id).center_id
        centers = set(
            db.session.scalars(
                sa.select(AuditLog.center_id).where(
                    AuditLog.object_type.in_(["event_series", "occurrence", "pitch_slot"])
                )
            )
        )
    assert centers == {center_id}


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"],
)
def test_database_refuses_to_change_or_delete_audit_rows(app, db, create_center, statement):
    create_center("daegu")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 1
        with pytest.raises(DatabaseError):
            db.session.execute(sa.text(statement))
        db.session.rollback()
        assert db.session.scalar(sa.select(AuditLog.action)) == "center.created"
