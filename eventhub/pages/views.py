"""Pages composed from several areas: the home page (centers and upcoming investor days), a
page per center, an organizer's centers and a startup's bookings."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from eventhub.accounts import intake as questionnaire
from eventhub.accounts.auth import require_role
from eventhub.accounts.models import Role
from eventhub.bookings import services as bookings
from eventhub.bookings.forms import EmptyForm
from eventhub.bookings.models import CANCELLABLE
from eventhub.centers import services as centers
from eventhub.centers.access import center_or_404
from eventhub.centers.industries import INDUSTRIES
from eventhub.core.clock import utcnow
from eventhub.core.forms import FIRST_DATE, LAST_DATE
from eventhub.core.fragments import fragment
from eventhub.core.security import page_arg
from eventhub.core.transactions import read_only
from eventhub.invitations import services as invitations
from eventhub.pages import bp
from eventhub.pages import services as listing
from eventhub.series.rows import center_date_rows

PER_PAGE = 20


@bp.route("/")
@read_only
def index():
    """Upcoming investor days across all centers: search, filters (center, the industry that may
    apply, month), paging, and a month calendar beside the list."""
    all_centers = listing.center_rows()
    filters = {
        "q": request.args.get("q", "").strip()[:100],
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
    page = request.args.get("page", 1, type=page_arg)  # "²" is a digit that int() refuses
    dates = listing.find_dates(
        now=utcnow(),
        page=page,
        per_page=PER_PAGE,
        center_id=center.id if center else None,
        industry=industry,
        month=month,
        search=filters["q"],
    )
    shown = dates.month
    previous_month = (shown.replace(day=1) - timedelta(days=1)).replace(day=1)
    next_month = (shown.replace(day=28) + timedelta(days=4)).replace(day=1)
    active = {key: value for key, value in filters.items() if value}
    body = fragment(
        "pages/_index_body.html",
        filters=listing.Filters(**filters),
        filter_errors=tuple(errors),
        centers=tuple(all_centers),
        rows=tuple(dates.items),
        total=dates.total,
        page=dates.page,
        pages=dates.pages,
        month=shown,
        weeks=listing.calendar_weeks(
            shown, dates.busy_days, utcnow().astimezone(listing.HOME_ZONE).date()
        ),
        # The calendar's days link to the list of their month, at the day.
        month_link=url_for("pages.index", **dict(active, month=shown.strftime("%Y-%m"), page=None)),
        weekdays=listing.weekday_names(),
        previous_month=previous_month if previous_month >= FIRST_DATE else None,
        next_month=next_month if next_month <= LAST_DATE else None,
        active=tuple(active.items()),
    )
    return render_template("pages/index.html", body=body), (400 if errors else 200)


@bp.route("/start")
@login_required
def start():
    """Where each role lands after logging in: a founder's next step, an investor's
    invitations, an organizer's (or admin's) dashboard."""
    if current_user.role == Role.investor:
        return redirect(url_for("invitations.mine"))
    if current_user.role != Role.startup:
        return redirect(url_for("reports.dashboard"))
    profile = bookings.startup_of(current_user)
    if profile is None:
        abort(403)
    missing = questionnaire.intake_missing(profile) if current_user.is_email_verified else []
    if current_user.is_email_verified and not missing:
        now = utcnow()
        active = [
            b
            for b in bookings.bookings_of_startup(profile)
            if b.status in CANCELLABLE and b.occurrence.end_at >= now
        ]
        if active:
            return redirect(url_for("pages.my_bookings"))
    dates = None
    if current_user.is_email_verified and not missing:
        dates = listing.find_dates(
            now=utcnow(), per_page=10, industry=profile.industry or None, search=""
        )
    return render_template("pages/start.html", profile=profile, missing=missing, dates=dates)


@bp.route("/centers/<slug>")
@read_only
def center(slug: str):
    center = center_or_404(slug)
    upcoming = center_date_rows(center.id, now=utcnow())
    return render_template("pages/center.html", center=center, upcoming=upcoming)


@bp.route("/organize")
@require_role(Role.organizer)
def organize():
    """An organizer's own centers (every center for an admin), with their series."""
    own = centers.centers_organized_by(current_user)
    upcoming = listing.upcoming_by_center([center.id for center in own], now=utcnow())
    return render_template("pages/organize.html", centers=own, upcoming=upcoming)


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
