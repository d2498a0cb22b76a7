"""The published line-up: who sees it, and the startups in it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from eventhub.accounts.models import User
from eventhub.bookings import services as bookings
from eventhub.bookings.models import Booking, BookingStatus
from eventhub.core import audit
from eventhub.extensions import db
from eventhub.invitations.models import Invitation, RsvpStatus
from eventhub.series.models import Occurrence


def publish_lineup(occurrence: Occurrence, *, actor_id: int | None, now: datetime) -> None:
    occurrence.lineup_published_at = now
    occurrence.lineup_changed_at = None
    audit.record(
        "lineup.published", obj=occurrence, actor_id=actor_id, now=now,
        center_id=occurrence.series.center_id,
    )  # fmt: skip


def sees_lineup(invitation: Invitation | None) -> bool:
    """Accepted and tentative investors see the published line-up; nobody else does."""
    return bool(
        invitation is not None
        and invitation.occurrence.lineup_published_at is not None
        and invitation.status in (RsvpStatus.accepted, RsvpStatus.tentative)
    )


def investor_sees_lineup(user: User | AnonymousUserMixin, occurrence_id: int) -> bool:
    """True for a logged-in investor whose invitation to the occurrence lets them see it."""
    profile = (
        getattr(user, "investor_profile", None)
        if getattr(user, "is_authenticated", False)
        else None
    )
    if profile is None:
        return False
    invitation = db.session.scalar(
        sa.select(Invitation).where(
            Invitation.occurrence_id == occurrence_id, Invitation.investor_id == profile.id
        )
    )
    return sees_lineup(invitation)


def lineup_entries(occurrence_id: int) -> list[Booking]:
    """The startups holding slots, in slot order."""
    return [
        v.booking
        for v in bookings.slot_grid(occurrence_id)
        if v.booking is not None and v.booking.status != BookingStatus.offered
    ]
