"""The organizers' outbox page: one center's messages, newest first, with counts, one
message, and the .eml copy the file backend wrote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from eventhub.core.mailfile import FILE_BACKEND, eml_name
from eventhub.core.outbox import MessageKind, OutboxMessage, OutboxStatus
from eventhub.extensions import db

PAGE_SIZE = 50


@dataclass
class OutboxPage:
    messages: list[OutboxMessage]
    counts: dict[str, int]
    page: int
    has_next: bool


def outbox_page(
    *,
    center_id: int,
    status: OutboxStatus | None = None,
    kind: MessageKind | None = None,
    recipient: str = "",
    occurrence_id: int | None = None,
    page: int = 1,
    now: datetime,
) -> OutboxPage:
    """One center's outbox, nearest to `now` first (what is due next, then what went out
    last), with the count of each status."""
    where = [OutboxMessage.center_id == center_id]
    if kind is not None:
        where.append(OutboxMessage.kind == kind)
    if recipient.strip():
        like = "%" + recipient.strip().lower().replace("\\", "").replace("%", "") + "%"
        where.append(sa.func.lower(OutboxMessage.recipient).like(like))
    if occurrence_id is not None:
        where.append(OutboxMessage.occurrence_id == occurrence_id)
    counts = dict(
        db.session.execute(
            sa.select(OutboxMessage.status, sa.func.count())
            .where(*where)
            .group_by(OutboxMessage.status)
        )
        .tuples()
        .all()
    )
    if status is not None:
        where.append(OutboxMessage.status == status)
    page = max(page, 1)
    rows = list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(*where)
            # Nearest first: what is due next (soonest first), then what went out last.
            .order_by(
                sa.case((OutboxMessage.due_at >= now, 0), else_=1),
                sa.case((OutboxMessage.due_at >= now, OutboxMessage.due_at)).asc(),
                OutboxMessage.due_at.desc(),
                OutboxMessage.id.desc(),
            )
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    return OutboxPage(
        messages=rows[:PAGE_SIZE],
        counts={str(OutboxStatus(k)): v for k, v in counts.items()},
        page=page,
        has_next=len(rows) > PAGE_SIZE,
    )


def eml_copy(message: OutboxMessage) -> str | None:
    """The .eml file the file mail backend wrote for a sent message, if there is one."""
    if current_app.config["MAIL_BACKEND"] != FILE_BACKEND:
        return None
    name = eml_name(message.message_id)
    if name is None:
        return None
    path = Path(current_app.config["MAIL_FILE_PATH"]) / name
    return str(path) if path.is_file() else None
