"""Pages composed from several areas: the home page (centers and upcoming investor days), a
page per center, an organizer's centers and a startup's bookings."""

from __future__ import annotations

from datetime import datetime

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from eventhub.accounts import intake as questionnaire
from eventhub.accounts.auth import require_role
from eventhub.accounts.models import Role
from eventhub.bookings import services as bookings
from eventhub.bookings.forms import EmptyForm
from eventhub.centers import services as centers
from eventhub.centers.access import center_or_404
from eventhub.centers.industries import INDUSTRIES
from eventhub.core.clock import utcnow
from eventhub.core.forms import FIRST_DATE, LAST_DATE
from eventhub.invitations import services as invitations
from eventhub.pages import bp
from eventhub.scheduling import services as series_services


@bp.route("/")
def index():
    """Upcoming investor days across all centers, filterable by center, industry and month."""
    all_centers = centers.list_centers()
    filters = {
        "center": request.args.get("center", ""),
        "industry": request.args.get("industry", ""),
        "month": request.args.get("month", ""),
    }
    errors = []
    center = next((c for c in all_centers if c.slug == filters["center"]), None)
    if filters["center"] and center is None:
        errors.append(_("Unknown center “%(slug)s”; showing all centers.", slug=filters["center"]))
    industry = filters["industry"] if filters["industry"] in INDUSTRIES else None
    if filters["industry"] and industry is None:
        errors.append(_("Unknown industry; showing all industries."))
    month = None
    if filters["month"]:
        try:
            month = datetime.strptime(filters["month"], "%Y-%m").date()  # noqa: DTZ007
        except ValueError:
            errors.append(_("Write the month as YYYY-MM; showing all months."))
        if month is not None and not FIRST_DATE <= month <= LAST_DATE:
            month = None
            errors.append(
                _(
                    "Choose a month from %(first)s to %(last)s; showing all months.",
                    first=FIRST_DATE.strftime("%Y-%m"),
                    last=LAST_DATE.strftime("%Y-%m"),
                )
            )
    upcoming = series_services.upcoming_occurrences(
        now=utcnow(),
        limit=50,
        center_id=center.id if center else None,
        industry=industry,
        month=month,
    )
    return render_template(
        "pages/index.html",
        centers=all_centers,
        upcoming=upcoming,
        filters=filters,
        filter_errors=errors,
        industries=INDUSTRIES,
    ), (400 if errors else 200)


@bp.route("/centers/<slug>")
def center(slug: str):
    center = center_or_404(slug)
    upcoming = series_services.upcoming_occurrences(now=utcnow(), limit=20, center_id=center.id)
    return render_template("pages/center.html", center=center, upcoming=upcoming)


@bp.route("/organize")
@require_role(Role.organizer)
def organize():
    """An organizer's own centers (every center for an admin), with their series."""
    own = centers.centers_organized_by(current_user)
    return render_template("pages/organize.html", centers=own)


@bp.route("/bookings")
@require_role(Role.startup)
def my_bookings():
    """A startup's bookings, what its intake still misses, and the investors who followed up."""
    profile = bookings.startup_of(current_user)
    if profile is None or not current_user.is_email_verified:
        abort(403)
    return render_template(
        "pages/my_bookings.html",
        bookings=bookings.bookings_of_startup(profile),
        position=bookings.waitlist_position,
        free_slots=lambda b: bookings.free_slots(b.occurrence_id),
        missing=questionnaire.intake_missing(profile),
        follow_ups=invitations.follow_ups_for_startup(profile),
        now=utcnow(),
        form=EmptyForm(),
    )
