"""Health and readiness for load balancers and process supervisors; JSON, cheap, no login.

- ``/healthz``: the process answers (no database): a supervisor restarts it when this fails.
- ``/readyz``: this process can serve: the database answers, its schema is at the code's
  migration head, and the oldest message waiting in the outbox is younger than
  ``READY_OUTBOX_MAX_AGE_SECONDS`` (an old one means no worker is sending). 503 with the
  failing checks otherwise, so a load balancer stops sending traffic here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify

from eventhub.core.clock import utcnow
from eventhub.core.outbox import OutboxMessage, OutboxStatus
from eventhub.extensions import db, migrate

bp = Blueprint("health", __name__)

_HEAD_KEY = "eventhub.migration_head"


def _migration_head() -> str | None:
    """The code's head revision, read from the migration scripts once per process."""
    if _HEAD_KEY not in current_app.extensions:
        config = migrate.get_config()
        current_app.extensions[_HEAD_KEY] = ScriptDirectory.from_config(config).get_current_head()
    return current_app.extensions[_HEAD_KEY]


def readiness(now: datetime) -> tuple[bool, dict[str, Any]]:
    """Every check's result, and whether all passed."""
    checks: dict[str, Any] = {}
    try:
        with db.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            oldest = connection.scalar(
                sa.select(sa.func.min(OutboxMessage.due_at)).where(
                    OutboxMessage.status == OutboxStatus.pending, OutboxMessage.due_at <= now
                )
            )
    except sa.exc.SQLAlchemyError as exc:
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        return False, checks
    checks["database"] = {"ok": True}
    head = _migration_head()
    checks["migrations"] = {"ok": current == head, "database": current, "code": head}
    limit = int(current_app.config["READY_OUTBOX_MAX_AGE_SECONDS"])
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    age = int((now - oldest).total_seconds()) if oldest is not None else 0
    checks["outbox"] = {"ok": age <= limit, "oldest_pending_seconds": age, "limit": limit}
    return all(check["ok"] for check in checks.values()), checks


@bp.route("/healthz", methods=["GET", "HEAD"])
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz", methods=["GET", "HEAD"])
def readyz():
    ready, checks = readiness(utcnow())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503
