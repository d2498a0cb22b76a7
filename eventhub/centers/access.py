"""Loading a center for a view: 404 when the slug names none, and for an organizer of another
center."""

from __future__ import annotations

from flask import abort

from eventhub.accounts.auth import require_organizer_of
from eventhub.centers.models import Center
from eventhub.centers.services import get_center


def center_or_404(slug: str) -> Center:
    center = get_center(slug)
    if center is None:
        abort(404)
    return center


def managed_center(slug: str) -> Center:
    """The center, if the current user organizes it."""
    center = center_or_404(slug)
    require_organizer_of(center.id)
    return center
