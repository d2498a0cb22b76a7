"""Invitation queries that other areas need (the invitation flows come next)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.invitations.models import Invitation, RsvpStatus


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
