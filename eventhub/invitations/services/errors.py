"""What an invitation use case answers when a rule says no."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from eventhub.core.errors import Conflict, InvalidInput, NotFound


class InvalidToken(NotFound):
    message = _l("This link is not valid. Please use the newest link in your invitation email.")


class InvitationClosed(Conflict):
    message = _l("This investor day has started; the answer can no longer be changed.")


class CannotInvite(InvalidInput):
    message = _l("A cancelled or past investor day cannot be invited to.")


class EmailOwnedByAccount(InvalidInput):
    message = _l(
        "This directory entry belongs to an account: its email address is the account's "
        "confirmed address and cannot be changed here."
    )


class NudgeTooSoon(Conflict):
    message = _l("This investor was already reminded in the last 24 hours.")


class ResendTooSoon(Conflict):
    message = _l(
        "This invitation was sent a moment ago. If it has not arrived, send it again in a few "
        "minutes."
    )
