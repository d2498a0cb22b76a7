"""One-click answers. RSVP tokens are signed (itsdangerous, keyed by SECRET_KEY, salt
"eventhub.rsvp") over the invitation, its occurrence, its investor and a random nonce stored on
the invitation, so a token works for exactly one investor and one occurrence and reveals nothing
by itself. Every token failure looks the same to the person holding it."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer

from eventhub.core import audit
from eventhub.core.errors import InvalidInput
from eventhub.extensions import db
from eventhub.invitations.models import Invitation, RsvpStatus
from eventhub.invitations.services.errors import (
    InvalidToken,
    InvitationClosed,
)
from eventhub.series.planning import request_planning

TOKEN_SALT = "eventhub.rsvp"  # noqa: S105 - a salt that separates uses of the key, not a secret


ANSWERS = (RsvpStatus.accepted, RsvpStatus.tentative, RsvpStatus.declined)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def rsvp_token(invitation: Invitation) -> str:
    """The signed token in an invitation's links."""
    return _serializer().dumps(
        [invitation.id, invitation.occurrence_id, invitation.investor_id, invitation.token_nonce]
    )


def invitation_for_token(token: str) -> Invitation:
    """The invitation a token belongs to, or InvalidToken (tampered, expired, revoked, unknown)."""
    max_age = current_app.config.get("RSVP_TOKEN_MAX_AGE_DAYS", 400) * 86400
    try:
        invitation_id, occurrence_id, investor_id, nonce = _serializer().loads(
            token, max_age=max_age
        )
    except (BadData, ValueError, TypeError) as exc:
        raise InvalidToken() from exc
    invitation = (
        db.session.get(Invitation, invitation_id) if isinstance(invitation_id, int) else None
    )
    if (
        invitation is None
        or invitation.occurrence_id != occurrence_id
        or invitation.investor_id != investor_id
        or not secrets.compare_digest(str(invitation.token_nonce), str(nonce))
    ):
        raise InvalidToken()
    return invitation


def answer(invitation: Invitation, *, status: RsvpStatus, now: datetime) -> Invitation:
    """The investor's answer; it may change as often as they like until the event starts."""
    if status not in ANSWERS:
        raise InvalidInput(_("Choose accept, tentative or decline."))
    if invitation.occurrence.start_at <= now:
        raise InvitationClosed()
    if invitation.occurrence.is_cancelled:
        raise InvitationClosed(_("This investor day has been cancelled."))
    before = invitation.status
    invitation.status, invitation.answered_at = status, now
    request_planning(invitation.occurrence_id)
    audit.record(
        "invitation.answered", obj=invitation, actor_id=None, now=now,
        center_id=invitation.occurrence.series.center_id, before=before.value, after=status.value,
    )  # fmt: skip
    return invitation
