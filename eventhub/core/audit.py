"""The audit log: who changed what, which object, before -> after, when and from where.

Two kinds of entry share the table, both written in the transaction of the change:

- **Field changes**, written for every model that opts in with a class attribute
  ``__audit__ = Tracked(...)``: after each flush, one row per created, changed or deleted
  object, with the changed columns as ``{"field": [before, after]}``. Secrets (password hashes,
  token nonces) are named in ``Tracked(secret=...)`` and never recorded.
- **Actions**, written by services with `record` where a change means more than its fields
  ("invitation.resent", "user.password_reset").

Who acted is found when the entry is written, not passed around: in a request the logged-in
user (or "anonymous") and the request's address (after ProxyFix); in a job the job's name
(`CURRENT_JOB`, set by the scheduler's wrapper); in a command the name given to `acting_as`.

The app never edits an entry: there is no edit route, and database triggers (the migration
that added them, and `SQLITE_GUARDS` / `POSTGRESQL_GUARDS` below) refuse UPDATE and DELETE of
audit rows on both backends. Users and centers are therefore deactivated, never deleted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from eventhub.core.clock import utcnow
from eventhub.core.db import UTCDateTime
from eventhub.core.metrics import CURRENT_JOB
from eventhub.extensions import db

# Columns whose change alone is not worth an entry (they move with every other change).
NOISE = frozenset({"updated_at", "changed_at"})
# Longest text kept of one value: an audit row says what changed, it is not a copy store.
LONGEST_VALUE = 500


class AuditLog(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    # Who acted, as written at the time: the user's email, "anonymous", "job:<name>", "cli:...".
    actor_label: Mapped[str | None] = mapped_column(sa.String(254))
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))
    center_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("center.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(64))
    object_id: Mapped[int | None]
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Field changes: {"field": [before, after]}; empty for actions.
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


@dataclass(frozen=True)
class Tracked:
    """A model's opt-in to field-change entries.

    `center` finds the center an object belongs to (for the organizers' view and the filter);
    `secret` names columns that are never written to the log, not even as "changed".
    """

    center: Callable[[Any], int | None] = field(default=lambda obj: None)
    secret: frozenset[str] = frozenset()


# The command or script acting outside a request and a job (`acting_as`).
_ACTOR: ContextVar[str | None] = ContextVar("eventhub_audit_actor", default=None)


@contextmanager
def acting_as(label: str) -> Iterator[None]:
    """Name who acts for the entries written inside the block (a CLI command, the demo)."""
    token = _ACTOR.set(label)
    try:
        yield
    finally:
        _ACTOR.reset(token)


@dataclass(frozen=True)
class Actor:
    id: int | None
    label: str
    address: str | None


def current_actor() -> Actor:
    """Who is acting now: the named actor, a job, the request's user, or "system"."""
    named = _ACTOR.get()
    if named is not None:
        return Actor(None, named, None)
    job = CURRENT_JOB.get()
    if job != "none":
        return Actor(None, f"job:{job}", None)
    if has_request_context():
        address = request.remote_addr
        if current_user.is_authenticated:
            return Actor(current_user.id, current_user.email, address)
        return Actor(None, "anonymous", address)
    return Actor(None, "system", None)


def plain(value: Any) -> Any:
    """A value as JSON can hold it, text cut to `LONGEST_VALUE` characters."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, str):
        return value if len(value) <= LONGEST_VALUE else value[:LONGEST_VALUE] + "…"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | dict):
        return json.loads(json.dumps(value, default=str, ensure_ascii=False))
    return str(value)


def record(
    action: str,
    *,
    obj: Any | None,
    actor_id: int | None,
    now: datetime,
    center_id: int | None = None,
    **data: Any,
) -> AuditLog:
    """Add an audit entry for `action` on `obj` to the current transaction."""
    actor = current_actor()
    entry = AuditLog(
        at=now,
        actor_id=actor_id if actor_id is not None else actor.id,
        actor_label=actor.label,
        remote_addr=actor.address,
        center_id=center_id,
        action=action,
        object_type=type(obj).__tablename__ if obj is not None else "-",
        object_id=getattr(obj, "id", None),
        data={key: plain(value) for key, value in data.items()},
        changes={},
    )
    db.session.add(entry)
    return entry


def _spec(obj: Any) -> Tracked | None:
    return getattr(type(obj), "__audit__", None)


def _changes(obj: Any, spec: Tracked, kind: str) -> dict[str, list[Any]]:
    state = sa.inspect(obj)
    changed: dict[str, list[Any]] = {}
    for prop in state.mapper.column_attrs:
        key = prop.key
        if key in spec.secret or key == "id":
            continue
        if kind == "created":
            value = state.dict.get(key)
            if value is not None:
                changed[key] = [None, plain(value)]
        elif kind == "deleted":
            value = state.dict.get(key)
            if value is not None:
                changed[key] = [plain(value), None]
        else:
            history = state.attrs[key].history
            if not history.has_changes():
                continue
            before = plain(history.deleted[0]) if history.deleted else None
            after = plain(history.added[0]) if history.added else None
            if before != after:
                changed[key] = [before, after]
    return changed


@event.listens_for(Session, "after_flush")
def _write_field_changes(session: Session, flush_context: Any) -> None:
    """One entry per tracked object this flush created, changed or deleted, inserted on the
    flush's own connection (so in its transaction, and rolled back with a savepoint). After
    the flush, not before: new objects have their ids, and history still holds the before."""
    found = [
        *(("created", obj) for obj in session.new),
        *(("changed", obj) for obj in session.dirty),
        *(("deleted", obj) for obj in session.deleted),
    ]
    tracked = [(kind, obj, spec) for kind, obj in found if (spec := _spec(obj)) is not None]
    if not tracked:
        return
    rows = []
    actor: Actor | None = None
    now = utcnow()
    for kind, obj, spec in tracked:
        changes = _changes(obj, spec, kind)
        if kind == "changed" and not set(changes) - NOISE:
            continue
        actor = actor or current_actor()
        rows.append(
            {
                "at": now,
                "actor_id": actor.id,
                "actor_label": actor.label,
                "remote_addr": actor.address,
                "center_id": spec.center(obj),
                "action": f"{obj.__tablename__}.{kind}",
                "object_type": obj.__tablename__,
                "object_id": getattr(obj, "id", None),
                "data": {},
                "changes": changes,
            }
        )
    if rows:
        session.connection().execute(sa.insert(AuditLog), rows)


# The guards that make audit rows unchangeable. The migration that added them carries its own
# copy (a migration must not change with the code); tests that empty the database on SQLite
# lift and restore them (`tests/conftest.clean_database`).
SQLITE_GUARDS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log rows cannot be changed'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log rows cannot be deleted'); END",
)
SQLITE_GUARD_NAMES = ("audit_log_no_update", "audit_log_no_delete")
