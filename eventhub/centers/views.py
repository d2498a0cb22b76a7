"""The home page (centers and upcoming investor days) and a page per center."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from eventhub.accounts.models import Role
from eventhub.centers import bp
from eventhub.centers import services as centers
from eventhub.core.auth import require_role
from eventhub.core.clock import utcnow
from eventhub.series import services as series_services


@bp.route("/")
def index():
    return render_template(
        "centers/index.html",
        centers=centers.list_centers(),
        upcoming=series_services.upcoming_occurrences(now=utcnow(), limit=12),
    )


@bp.route("/centers/<slug>")
def detail(slug: str):
    center = centers.get_center(slug)
    if center is None:
        abort(404)
    upcoming = series_services.upcoming_occurrences(now=utcnow(), limit=20, center_id=center.id)
    return render_template("centers/detail.html", center=center, upcoming=upcoming)


@bp.route("/organize")
@require_role(Role.organizer)
def organize():
    """An organizer's own centers (every center for an admin), with their series."""
    own = centers.centers_organized_by(current_user)
    return render_template("centers/organize.html", centers=own)
