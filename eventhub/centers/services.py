"""Center queries."""

from __future__ import annotations

import sqlalchemy as sa

from eventhub.accounts.auth import organizes_every_center
from eventhub.accounts.models import User
from eventhub.centers.models import Center
from eventhub.extensions import db


def list_centers() -> list[Center]:
    """All centers in a stable order (by slug)."""
    return list(db.session.scalars(sa.select(Center).order_by(Center.id)))


def get_center(slug: str) -> Center | None:
    return db.session.scalar(sa.select(Center).where(Center.slug == slug))


def centers_organized_by(user: User) -> list[Center]:
    """The centers `user` organizes: all of them for an admin."""
    if organizes_every_center(user):
        return list_centers()
    return sorted(user.centers, key=lambda c: c.id)
