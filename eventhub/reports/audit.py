"""Reading the audit log: filtered by center, actor, object and date, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from eventhub.core.audit import AuditLog
from eventhub.extensions import db

PAGE_SIZE = 100
# The longest export: a CSV is for a period, not for the whole history at once.
EXPORT_LIMIT = 50_000


@dataclass(frozen=True)
class AuditFilter:
    center_ids: list[int] | None  # None: every center and entries of no center (admins)
    center_id: int | None = None
    actor: str = ""
    object_type: str = ""
    object_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    tz: str = "Asia/Seoul"


def _query(f: AuditFilter) -> sa.Select:
    query = sa.select(AuditLog)
    if f.center_ids is not None:
        query = query.where(AuditLog.center_id.in_(f.center_ids))
    if f.center_id is not None:
        query = query.where(AuditLog.center_id == f.center_id)
    if f.actor:
        query = query.where(AuditLog.actor_label.ilike(f"%{_escape(f.actor)}%", escape="\\"))
    if f.object_type:
        query = query.where(AuditLog.object_type == f.object_type)
    if f.object_id is not None:
        query = query.where(AuditLog.object_id == f.object_id)
    zone = ZoneInfo(f.tz)
    if f.date_from is not None:
        query = query.where(AuditLog.at >= datetime.combine(f.date_from, time(), zone))
    if f.date_to is not None:
        end = datetime.combine(f.date_to + timedelta(days=1), time(), zone)
        query = query.where(AuditLog.at < end)
    return query


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def audit_page(f: AuditFilter, *, page: int) -> tuple[list[AuditLog], bool]:
    """One page of entries, newest first, and whether there is a next page."""
    rows = list(
        db.session.scalars(
            _query(f)
            .order_by(AuditLog.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def audit_export(f: AuditFilter) -> list[AuditLog]:
    return list(db.session.scalars(_query(f).order_by(AuditLog.id).limit(EXPORT_LIMIT)))


def object_types() -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditLog.object_type).distinct().order_by(AuditLog.object_type)
        )
    )
