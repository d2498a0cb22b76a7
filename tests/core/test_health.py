"""Health and readiness endpoints: JSON, no login, the truth about the database and outbox."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from eventhub.core.clock import utcnow
from eventhub.core.outbox import MessageKind, OutboxMessage, OutboxStatus


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
    assert client.head("/healthz").status_code == 200


def test_readyz_is_ready_on_a_migrated_database_with_an_empty_outbox(client):
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"]["ok"] is True
    assert body["checks"]["migrations"]["database"] == body["checks"]["migrations"]["code"]
    assert body["checks"]["outbox"] == {"ok": True, "oldest_pending_seconds": 0, "limit": 900}


def test_readyz_is_not_ready_when_a_due_message_waited_too_long(app, db, client):
    now = utcnow()
    with app.app_context():
        db.session.execute(
            sa.insert(OutboxMessage.__table__).values(
                key="stuck",
                kind=MessageKind.transactional.value,
                recipient="a@example.com",
                locale="en",
                template="t",
                data={},
                subject="s",
                body_text="b",
                body_html="b",
                headers={},
                attachments=[],
                status=OutboxStatus.pending.value,
                due_at=now - timedelta(hours=1),
                attempts=0,
                created_at=now - timedelta(hours=1),
            )
        )
        db.session.commit()
    response = client.get("/readyz")
    assert response.status_code == 503
    outbox = response.get_json()["checks"]["outbox"]
    assert outbox["ok"] is False
    assert 3590 <= outbox["oldest_pending_seconds"] <= 3700
