"""Invitation use cases, one module per job: `directory` and `directory_import` (the investor
directory), `invites` (inviting, resending, nudging, and the messages they send), `rsvp`
(one-click answers), `lineup` (the published line-up), `follow_ups` (interest and outcomes
after the day) and `errors`. Callers use this package's names
(`from eventhub.invitations import services as invitations`).
"""

from __future__ import annotations

from eventhub.invitations.services.directory import (
    directory,
    investors_for_emails,
    normalize_email,
    save_investor,
)
from eventhub.invitations.services.directory_import import (
    IMPORT_COLUMNS,
    IMPORT_LENGTHS,
    OPTIONAL_COLUMNS,
    ImportPreview,
    ImportRow,
    apply_import,
    preview_import,
    template_header,
)
from eventhub.invitations.services.errors import (
    CannotInvite,
    EmailOwnedByAccount,
    InvalidToken,
    InvitationClosed,
    NudgeTooSoon,
    ResendTooSoon,
)
from eventhub.invitations.services.follow_ups import (
    ensure_follow_up,
    ensure_outcome,
    follow_up_matrix,
    follow_ups_for_startup,
    follow_ups_of,
    mark_follow_up,
    matrix_rows,
    outcomes_of,
    record_outcome,
    unmark_follow_up,
)
from eventhub.invitations.services.invites import (
    NUDGE_INTERVAL,
    accepted_invitation_counts,
    has_any_invitation,
    invitation_context,
    invitations_of,
    invite,
    notify_occurrence_change,
    nudge,
    resend,
)
from eventhub.invitations.services.lineup import (
    investor_sees_lineup,
    lineup_entries,
    publish_lineup,
    sees_lineup,
)
from eventhub.invitations.services.rsvp import (
    ANSWERS,
    TOKEN_SALT,
    answer,
    invitation_for_token,
    rsvp_token,
)

__all__ = [
    "ANSWERS",
    "IMPORT_COLUMNS",
    "IMPORT_LENGTHS",
    "NUDGE_INTERVAL",
    "OPTIONAL_COLUMNS",
    "TOKEN_SALT",
    "CannotInvite",
    "EmailOwnedByAccount",
    "ImportPreview",
    "ImportRow",
    "InvalidToken",
    "InvitationClosed",
    "NudgeTooSoon",
    "ResendTooSoon",
    "accepted_invitation_counts",
    "answer",
    "apply_import",
    "directory",
    "ensure_follow_up",
    "ensure_outcome",
    "follow_up_matrix",
    "follow_ups_for_startup",
    "follow_ups_of",
    "has_any_invitation",
    "investor_sees_lineup",
    "investors_for_emails",
    "invitation_context",
    "invitation_for_token",
    "invitations_of",
    "invite",
    "lineup_entries",
    "mark_follow_up",
    "matrix_rows",
    "normalize_email",
    "notify_occurrence_change",
    "nudge",
    "outcomes_of",
    "preview_import",
    "publish_lineup",
    "record_outcome",
    "resend",
    "rsvp_token",
    "save_investor",
    "sees_lineup",
    "template_header",
    "unmark_follow_up",
]
