"""The outbox: every outgoing message is a row first, written with the change that caused it.

Only the dispatcher (`core.dispatch`) sends. This module holds the row, how a message is
rendered and enqueued, and the organizer's two hands on it: retry a failed row, cancel a
pending one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from eventhub.core.db import UTCDateTime, enum_column
from eventhub.core.errors import Conflict
from eventhub.extensions import db


class OutboxStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    cancelled = "cancelled"


class MessageKind(StrEnum):
    # Confirmations, cancellations, invitations, password resets: always sent.
    transactional = "transactional"
    # Reminders and digests: a person may turn them off; they carry List-Unsubscribe.
    reminder = "reminder"
    # An organizer's message to the people of one occurrence.
    announcement = "announcement"


STATUS_LABELS = {
    OutboxStatus.pending: _l("Pending"),
    OutboxStatus.sending: _l("Sending"),
    OutboxStatus.sent: _l("Sent"),
    OutboxStatus.failed: _l("Failed"),
    OutboxStatus.cancelled: _l("Cancelled"),
}
KIND_LABELS = {
    MessageKind.transactional: _l("Confirmation or change"),
    MessageKind.reminder: _l("Reminder"),
    MessageKind.announcement: _l("Announcement"),
}


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __table_args__ = (
        sa.Index("ix_outbox_message_due", "status", "due_at"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.CheckConstraint(
            "status != 'sending' OR claimed_until_at IS NOT NULL", name="sending_has_lease"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Creating the same message twice is impossible: e.g. "booking:42:reminder:P1D:...".
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[MessageKind] = mapped_column(
        enum_column(MessageKind, "message_kind"),
        default=MessageKind.transactional,
        server_default=MessageKind.transactional.value,
    )
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
    occurrence_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("occurrence.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.pending
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A message not sent by then is cancelled instead of arriving late (reminders).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(300))
    claimed_until_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def message_id(self) -> str:
        """Derived from the row, so a duplicate after a crash is recognisably the same mail."""
        return message_id_for(self.id, self.key)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])


def message_id_for(row_id: int, key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    domain = current_app.config["MAIL_DEFAULT_SENDER"].rsplit("@", 1)[-1].rstrip(">")
    return f"<outbox.{row_id}.{digest}@{domain}>"


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


def _plain(context: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in context.items() if isinstance(v, str | int | float | bool)}


def enqueue(
    *,
    key: str,
    recipient: str,
    locale: str,
    template: str,
    now: datetime,
    due_at: datetime | None = None,
    center_id: int | None = None,
    occurrence_id: int | None = None,
    kind: MessageKind = MessageKind.transactional,
    expires_at: datetime | None = None,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> OutboxMessage:
    """Write a message into the outbox in the current transaction."""
    subject, text, html = render_email(template, locale=locale, **context)
    message = OutboxMessage(
        key=key,
        kind=kind,
        recipient=recipient,
        locale=locale,
        template=template,
        data=_plain(context),
        subject=subject,
        body_text=text,
        body_html=html,
        headers=headers or {},
        center_id=center_id,
        occurrence_id=occurrence_id,
        due_at=due_at or now,
        expires_at=expires_at,
        created_at=now,
    )
    db.session.add(message)
    return message


def rerender(message: OutboxMessage, **context: Any) -> None:
    """Render a pending message again from fresh data (a reminder just before it is sent)."""
    message.subject, message.body_text, message.body_html = render_email(
        message.template, locale=message.locale, **context
    )
    message.data = _plain(context)


# --- Checks run just before sending ----------------------------------------------------------

# kind -> check(message, now) returning None to send, or the reason not to (then cancelled).
SendCheck = Callable[[OutboxMessage, datetime], str | None]
_SEND_CHECKS: dict[str, SendCheck] = {}


def register_send_check(kind: MessageKind, check: SendCheck) -> None:
    """Let an area veto or refresh its messages just before they are sent."""
    _SEND_CHECKS[kind.value] = check


def send_check_for(kind: MessageKind) -> SendCheck | None:
    return _SEND_CHECKS.get(kind.value)


# --- What an organizer can do ----------------------------------------------------------------


class NotRetryable(Conflict):
    message = _l("Only a failed message can be retried.")


class NotCancellable(Conflict):
    message = _l("Only a pending message can be cancelled.")


class NotRestorable(Conflict):
    message = _l("Only a message cancelled by a person can be restored.")


def retry_message(message: OutboxMessage, *, now: datetime) -> None:
    """Send a failed message again at the next dispatch, with a fresh count of attempts."""
    changed = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status == OutboxStatus.failed)
        .values(status=OutboxStatus.pending, due_at=now, attempts=0, claimed_until_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise NotRetryable()
    db.session.refresh(message)


def cancel_message(message: OutboxMessage, *, reason: str) -> None:
    """Cancel a pending message; one being sent right now can no longer be stopped."""
    changed = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status == OutboxStatus.pending)
        .values(status=OutboxStatus.cancelled, cancel_reason=reason[:300])
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise NotCancellable()
    db.session.refresh(message)


CANCELLED_BY_PERSON = "cancelled by "


def restore_message(message: OutboxMessage) -> None:
    """Undo a person's cancellation: the message is pending again (sent at the next dispatch
    if it is due). Cancellations by the system (a cancelled date, an expired offer) stay."""
    changed = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status == OutboxStatus.cancelled,
            OutboxMessage.cancel_reason.startswith(CANCELLED_BY_PERSON),
        )
        .values(status=OutboxStatus.pending, cancel_reason=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise NotRestorable()
    db.session.refresh(message)
