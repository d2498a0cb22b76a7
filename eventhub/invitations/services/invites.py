"""Invitations: invite investors to dates, resend, nudge, and the messages (with their calendar
part) that invitations send, also when a date changes."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from eventhub.accounts.models import InvestorProfile
from eventhub.core import audit, outbox
from eventhub.core.errors import InvalidInput
from eventhub.core.ics import attendee, invitation_text, occurrence_uid
from eventhub.core.urls import external_url
from eventhub.extensions import db
from eventhub.invitations.models import Invitation, RsvpStatus
from eventhub.invitations.services.errors import (
    CannotInvite,
    NudgeTooSoon,
    ResendTooSoon,
)
from eventhub.invitations.services.rsvp import (
    rsvp_token,
)
from eventhub.series.mail import occurrence_invitation, occurrence_mail_context
from eventhub.series.models import Occurrence
from eventhub.series.planning import request_planning

NUDGE_INTERVAL = timedelta(days=1)
# A resend within this of the last sending is a double click (or ten), not a second letter.
RESEND_INTERVAL = timedelta(minutes=10)


def invitation_context(invitation: Invitation) -> dict[str, Any]:
    """What the invitation, nudge and reminder templates show, with one-click answer links."""
    investor, occurrence = invitation.investor, invitation.occurrence
    token = rsvp_token(invitation)
    return {
        **occurrence_mail_context(occurrence),
        "person": investor.person_name,
        "accept_url": external_url("invitations.rsvp", token=token, answer="accepted"),
        "tentative_url": external_url("invitations.rsvp", token=token, answer="tentative"),
        "decline_url": external_url("invitations.rsvp", token=token, answer="declined"),
        "page_url": external_url("invitations.rsvp", token=token),
    }


PARTSTAT = {"accepted": "ACCEPTED", "tentative": "TENTATIVE", "declined": "DECLINED"}


def investor_invitation(invitation: Invitation, *, method: str) -> str:
    """A METHOD:REQUEST (or CANCEL) for an investor's invitation to one occurrence. Its UID is
    the UID of the occurrence's event in the investor's personal feed, so calendars merge the
    two instead of showing the day twice."""
    occurrence, investor = invitation.occurrence, invitation.investor
    series = occurrence.series
    return invitation_text(
        occurrence_invitation(
            occurrence,
            method=method,
            uid=occurrence_uid(occurrence.id),
            sequence=occurrence.sequence,
            stamp=occurrence.updated_at,
            start=occurrence.start_at,
            end=occurrence.end_at,
            summary=f"{series.title_ko} / {series.title_en}",
            attendee=attendee(
                investor.email,
                investor.person_name,
                rsvp="TRUE",
                partstat=PARTSTAT.get(invitation.status.value, "NEEDS-ACTION"),
            ),
            locale=investor.mail_locale,
        )
    )


def _attach_invite(message: outbox.OutboxMessage, invitation: Invitation, *, method: str) -> None:
    """The calendar part (REQUEST or CANCEL, same UID as the investor's feed) of a message."""
    message.attachments = [
        {
            "filename": "invite.ics",
            "content_type": f"text/calendar; method={method}",
            "content": investor_invitation(invitation, method=method),
        }
    ]


def _send_invitation(invitation: Invitation, *, now: datetime, kind: str) -> None:
    investor, occurrence = invitation.investor, invitation.occurrence
    count = invitation.nudge_count if kind == "nudge" else int(invitation.last_sent_at is not None)
    message = outbox.enqueue(
        key=f"invitation:{invitation.id}:{kind}:{now.isoformat()}:{count}",
        recipient=investor.email,
        locale=investor.mail_locale,
        template=f"invitations/{kind}",
        now=now,
        center_id=occurrence.series.center_id,
        occurrence_id=occurrence.id,
        **invitation_context(invitation),
    )
    _attach_invite(message, invitation, method="REQUEST")
    invitation.last_sent_at = now


def notify_occurrence_change(
    occurrence: Occurrence, *, method: str, change_id: int, now: datetime
) -> int:
    """Send every investor who has not declined the updated invitation or the cancellation."""
    sent = 0
    kind = "occurrence_cancelled" if method == "CANCEL" else "occurrence_changed"
    for invitation in invitations_of(occurrence.id):
        if invitation.status == RsvpStatus.declined:
            continue
        investor = invitation.investor
        message = outbox.enqueue(
            key=f"occurrence-change:{change_id}:invitation:{invitation.id}",
            recipient=investor.email,
            locale=investor.mail_locale,
            template=f"invitations/{kind}",
            now=now,
            center_id=occurrence.series.center_id,
            occurrence_id=occurrence.id,
            **invitation_context(invitation),
            reason=occurrence.cancel_reason or "",
        )
        _attach_invite(message, invitation, method=method)
        sent += 1
    return sent


def invite(
    occurrences: Iterable[Occurrence],
    *,
    investors: Iterable[InvestorProfile],
    actor_id: int | None,
    now: datetime,
) -> list[Invitation]:
    """Invite investors; someone already invited is left as they are. Returns the new ones."""
    occurrences = list(occurrences)
    for occurrence in occurrences:
        if occurrence.is_cancelled or occurrence.start_at <= now:
            raise CannotInvite()
    created = []
    investors = list(investors)
    for occurrence in occurrences:
        invited = set(
            db.session.scalars(
                sa.select(Invitation.investor_id).where(Invitation.occurrence_id == occurrence.id)
            )
        )
        for investor in investors:
            if investor.id in invited:
                continue
            invitation = Invitation(
                occurrence=occurrence,
                investor=investor,
                invited_by_id=actor_id,
                invited_at=now,
                token_nonce=secrets.token_hex(16),
            )
            db.session.add(invitation)
            db.session.flush()
            _send_invitation(invitation, now=now, kind="invite")
            created.append(invitation)
        request_planning(occurrence.id)
    audit.record(
        "invitations.sent", obj=None, actor_id=actor_id, now=now,
        occurrences=[o.id for o in occurrences], created=len(created),
    )  # fmt: skip
    return created


def resend(invitation: Invitation, *, actor_id: int | None, now: datetime) -> Invitation:
    """Send the invitation again; not within `RESEND_INTERVAL` of the last sending. The row is
    read again under its lock, so clicks at once see each other's sending."""
    if invitation.occurrence.start_at <= now or invitation.occurrence.is_cancelled:
        raise CannotInvite()
    db.session.flush()  # a sending earlier in this transaction counts too
    db.session.refresh(invitation, attribute_names=["last_sent_at"], with_for_update=True)
    if invitation.last_sent_at and now - invitation.last_sent_at < RESEND_INTERVAL:
        raise ResendTooSoon()
    _send_invitation(invitation, now=now, kind="invite")
    audit.record("invitation.resent", obj=invitation, actor_id=actor_id, now=now)
    return invitation


def nudge(invitation: Invitation, *, actor_id: int | None, now: datetime) -> Invitation:
    """Remind an investor who has not answered; at most once a day, and recorded."""
    if invitation.status != RsvpStatus.pending:
        raise InvalidInput(_("This investor has already answered."))
    if invitation.occurrence.start_at <= now or invitation.occurrence.is_cancelled:
        raise CannotInvite()
    if invitation.last_nudged_at and now - invitation.last_nudged_at < NUDGE_INTERVAL:
        raise NudgeTooSoon()
    invitation.last_nudged_at = now
    invitation.nudge_count += 1
    _send_invitation(invitation, now=now, kind="nudge")
    audit.record("invitation.nudged", obj=invitation, actor_id=actor_id, now=now)
    return invitation


def invitations_of(occurrence_id: int) -> list[Invitation]:
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(Invitation.occurrence_id == occurrence_id)
            .order_by(Invitation.invited_at, Invitation.id)
        )
    )


def accepted_invitation_counts(occurrence_ids: Iterable[int]) -> dict[int, int]:
    """How many investors accepted the invitation to each occurrence."""
    ids = list(occurrence_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Invitation.occurrence_id, sa.func.count())
        .where(Invitation.occurrence_id.in_(ids), Invitation.status == RsvpStatus.accepted)
        .group_by(Invitation.occurrence_id)
    )
    return dict(rows.tuples().all())


def has_any_invitation(occurrence_id: int) -> bool:
    """True when any investor was invited to the occurrence, whatever the answer."""
    return (
        db.session.scalar(sa.select(Invitation.id).where(Invitation.occurrence_id == occurrence_id))
        is not None
    )
