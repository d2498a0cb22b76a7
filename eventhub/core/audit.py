"""The audit log: who changed what, when. Written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from eventhub.core.db import UTCDateTime
from eventhub.extensions import db


class AuditLog(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    center_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("center.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(64))
    object_id: Mapped[int | None]
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


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
    entry = AuditLog(
        at=now,
        actor_id=actor_id,
        center_id=center_id,
        action=action,
        object_type=type(obj).__tablename__ if obj is not None else "-",
        object_id=getattr(obj, "id", None),
        data=data,
    )
    db.session.add(entry)
    return entry
