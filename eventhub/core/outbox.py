"""The outbox: every outgoing message is a row first, written with the change that caused it.

Only the dispatcher sends. It claims a row with one conditional UPDATE (so two dispatchers never
both win the same row), sends it, and marks it sent, committing once per message.
"""

from __future__ import annotations

import hashlib
import logging
import random
from datetime import datetime, timedelta
from email.mime.base import MIMEBase
from email.mime.text import MIMEText
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_mailman import EmailMultiAlternatives
from sqlalchemy.orm import Mapped, mapped_column

from eventhub.core.clock import utcnow
from eventhub.core.db import UTCDateTime, enum_column
from eventhub.extensions import db, mail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)


class OutboxStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    cancelled = "cancelled"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __table_args__ = (
        sa.Index("ix_outbox_message_due", "status", "due_at"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Creating the same message twice is impossible: e.g. "booking:42:reminder:P1D".
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    locale: Mapped[str] = mapped_column(sa.String(5))
    template: Mapped[str] = mapped_column(sa.String(100))
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    headers: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    # [{"filename": ..., "content_type": ..., "content": ...}]
    attachments: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list)
    center_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("center.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.pending
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    claimed_until_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def message_id(self) -> str:
        """Derived from the row, so a duplicate after a crash is recognisably the same mail."""
        digest = hashlib.sha256(self.key.encode()).hexdigest()[:16]
        domain = current_app.config["MAIL_DEFAULT_SENDER"].rsplit("@", 1)[-1].rstrip(">")
        return f"<outbox.{self.id}.{digest}@{domain}>"


def render_email(template: str, *, locale: str, **context: Any) -> tuple[str, str, str]:
    """Subject, text and HTML of `templates/email/<template>.{txt,html}` in `locale`."""
    with force_locale(locale):
        text = render_template(f"email/{template}.txt", **context)
        html = render_template(f"email/{template}.html", **context)
        env = current_app.jinja_env
        tmpl = env.get_template(f"email/{template}.txt")
        ctx = tmpl.new_context(dict(context))
        subject = "".join(tmpl.blocks["subject"](ctx)).strip()
    return subject, text.strip() + "\n", html


def enqueue(
    *,
    key: str,
    recipient: str,
    locale: str,
    template: str,
    now: datetime,
    due_at: datetime | None = None,
    center_id: int | None = None,
    **context: Any,
) -> OutboxMessage:
    """Write a message into the outbox in the current transaction."""
    subject, text, html = render_email(template, locale=locale, **context)
    message = OutboxMessage(
        key=key,
        recipient=recipient,
        locale=locale,
        template=template,
        data={k: v for k, v in context.items() if isinstance(v, str | int | float | bool)},
        subject=subject,
        body_text=text,
        body_html=html,
        center_id=center_id,
        due_at=due_at or now,
        created_at=now,
    )
    db.session.add(message)
    return message


def _claim(message_id: int, *, now: datetime) -> bool:
    """Take one due row for this dispatcher; True only if this call won it."""
    table = OutboxMessage.__table__
    result = db.session.execute(
        sa.update(table)
        .where(
            table.c.id == message_id,
            sa.or_(
                table.c.status == OutboxStatus.pending.value,
                sa.and_(
                    table.c.status == OutboxStatus.sending.value,
                    table.c.claimed_until_at < now,
                ),
            ),
        )
        .values(
            status=OutboxStatus.sending.value,
            claimed_until_at=now + LEASE,
            attempts=table.c.attempts + 1,
        )
    )
    db.session.commit()
    return result.rowcount == 1


def _build(message: OutboxMessage, connection: Any) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[message.recipient],
        headers={"Message-ID": message.message_id, **(message.headers or {})},
        connection=connection,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments or []:
        email.attach(_mime_part(attachment))
    return email


def _mime_part(attachment: dict[str, str]) -> MIMEBase:
    """A MIME part for an attachment. Calendar parts carry their ``method`` parameter in the
    Content-Type itself (RFC 6047): some clients ignore a CANCEL without it."""
    content_type, _, params = attachment["content_type"].partition(";")
    maintype, _, subtype = content_type.strip().partition("/")
    if maintype == "text":
        part: MIMEBase = MIMEText(attachment["content"], subtype, "utf-8")
    else:
        part = MIMEBase(maintype, subtype)
        part.set_payload(attachment["content"])
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name and value:
            part.set_param(name.strip(), value.strip())
    part.add_header("Content-Disposition", "attachment", filename=attachment["filename"])
    return part


def dispatch_due(
    *, now: datetime | None = None, limit: int = 100, connection: Any | None = None
) -> int:
    """Send up to `limit` due messages over one connection; return how many were sent.

    `connection` defaults to the configured mail backend.
    """
    now = now or utcnow()
    table = OutboxMessage.__table__
    due_ids = list(
        db.session.scalars(
            sa.select(table.c.id)
            .where(
                sa.or_(
                    sa.and_(table.c.status == OutboxStatus.pending.value, table.c.due_at <= now),
                    sa.and_(
                        table.c.status == OutboxStatus.sending.value,
                        table.c.claimed_until_at < now,
                    ),
                )
            )
            .order_by(table.c.due_at, table.c.id)
            .limit(limit)
        )
    )
    db.session.rollback()
    if not due_ids:
        return 0
    sent = 0
    connection = connection or mail.get_connection()
    try:
        connection.open()
    except OSError as exc:
        log.warning("mail backend unavailable, %d messages stay pending: %s", len(due_ids), exc)
        return 0
    try:
        for message_id in due_ids:
            if not _claim(message_id, now=now):
                continue
            message = db.session.get(OutboxMessage, message_id)
            try:
                _build(message, connection).send()
            except Exception as exc:
                _mark_failure(message, exc, now=now)
            else:
                message.status = OutboxStatus.sent
                message.sent_at = utcnow()
                message.last_error = None
                sent += 1
            db.session.commit()
    finally:
        connection.close()
    return sent


def _mark_failure(message: OutboxMessage, exc: Exception, *, now: datetime) -> None:
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.failed
        log.error("outbox message %s failed for good: %s", message.id, message.last_error)
        return
    backoff = min(60 * 2 ** (message.attempts - 1), 3600)
    message.status = OutboxStatus.pending
    message.due_at = now + timedelta(seconds=backoff * random.uniform(0.8, 1.2))  # noqa: S311
    message.claimed_until_at = None
    log.warning("outbox message %s will be retried: %s", message.id, message.last_error)
