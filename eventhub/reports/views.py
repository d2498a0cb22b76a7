"""The dashboard, the national view, a center's public summary, the quarterly report and the
audit log. Thin: the figures come from `services`, the charts' geometry from `charts`."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from flask import Response, abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from eventhub.accounts.auth import organizes_every_center, require_role
from eventhub.accounts.models import Role
from eventhub.bookings.exports import neutralize, to_csv
from eventhub.centers import services as centers
from eventhub.centers.access import center_or_404, managed_center
from eventhub.centers.models import Center
from eventhub.core.clock import utcnow
from eventhub.core.forms import FIRST_DATE, LAST_DATE
from eventhub.core.i18n import format_krw
from eventhub.core.security import id_arg, page_arg
from eventhub.reports import bp, charts, services
from eventhub.reports.audit import AuditFilter, audit_export, audit_page, object_types

RSVP_KEYS = ("accepted", "tentative", "declined", "pending")


def _csv(rows: list[list[Any]], name: str) -> Response:
    body = to_csv([[neutralize(cell) for cell in row] for row in rows])
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _title(ko: str, en: str) -> str:
    return ko if _in_korean() else en


def _in_korean() -> bool:
    return str(get_locale()) == "ko"


def _figures(center: Center, quarter: str | None = None) -> dict[str, Any]:
    """The dashboard's figures and charts; with `quarter`, months and quarters of it only."""
    now = utcnow()
    upcoming = services.upcoming_dates(center.id, now=now)
    over_time = services.series_over_time(center.id, tz=center.timezone)
    outcomes = services.outcomes_by_quarter(center.id, tz=center.timezone)
    if quarter is not None:
        months = _quarter_months(quarter)
        over_time = [m for m in over_time if m.month in months]
        outcomes = [q for q in outcomes if q.quarter == quarter]
    attendance_chart = charts.bar_chart(
        id="attendance",
        title=_("Bookings, attendance and no-shows by month"),
        description=_("Per series and month: slots booked, startups that came, no-shows."),
        series_names=[_("Booked"), _("Attended"), _("No-shows")],
        rows=[
            (
                f"{m.month} {_title(m.title_ko, m.title_en)[:14]}",
                [m.booked, m.attended, m.no_show],
            )
            for m in over_time
        ],
    )
    raised_chart = charts.bar_chart(
        id="raised",
        title=_("KRW raised by quarter"),
        description=_("Recorded investments after this center's investor days, per quarter."),
        series_names=[_("KRW raised")],
        rows=[(q.quarter, [q.krw_raised]) for q in outcomes],
        fmt=format_krw,
    )
    companies_chart = charts.bar_chart(
        id="companies",
        title=_("Follow-ups and companies that raised, by quarter"),
        description=_("Follow-up requests by investors, and companies with a recorded investment."),
        series_names=[_("Follow-ups"), _("Companies that raised")],
        rows=[(q.quarter, [q.follow_ups, q.companies_raised]) for q in outcomes],
    )
    return {
        "upcoming": upcoming,
        "over_time": over_time,
        "outcomes": outcomes,
        "charts": [attendance_chart, companies_chart, raised_chart],
        "totals": dict(zip(("companies", "krw"), services.raised_totals(center.id), strict=True)),
    }


@bp.route("/dashboard")
@require_role(Role.organizer)
def dashboard():
    """An organizer's figures for one of their centers (`?center=<slug>` switches)."""
    mine = centers.centers_organized_by(current_user)
    slug = request.args.get("center", "")
    if slug:
        center = next((c for c in mine if c.slug == slug), None)
        if center is None:
            abort(404)
    else:
        center = mine[0] if mine else None
    context: dict[str, Any] = {"centers": mine, "center": center, "rsvp_keys": RSVP_KEYS}
    if center is not None:
        context.update(_figures(center))
    return render_template("reports/dashboard.html", **context)


@bp.route("/dashboard/<slug>/<any(upcoming, attendance, outcomes):figure>.csv")
@require_role(Role.organizer)
def dashboard_csv(slug: str, figure: str):
    center = managed_center(slug)
    now = utcnow()
    if figure == "upcoming":
        rows: list[list[Any]] = [
            ["occurrence_id", "start_at", "series", "slots", "held", "fill_percent",
             "applications", "waitlist", *RSVP_KEYS]
        ]  # fmt: skip
        for d in services.upcoming_dates(center.id, now=now):
            rows.append(
                [d.occurrence_id, d.start_at.isoformat(), _title(d.series_title_ko,
                 d.series_title_en), d.slots, d.held, d.fill_percent, d.applications,
                 d.waitlist, *(d.rsvp.get(k, 0) for k in RSVP_KEYS)]
            )  # fmt: skip
    elif figure == "attendance":
        rows = [["series", "month", "booked", "attended", "no_show"]]
        for m in services.series_over_time(center.id, tz=center.timezone):
            rows.append([_title(m.title_ko, m.title_en), m.month, m.booked, m.attended, m.no_show])
    else:
        rows = [["quarter", "follow_ups", "companies_raised", "krw_raised"]]
        for q in services.outcomes_by_quarter(center.id, tz=center.timezone):
            rows.append([q.quarter, q.follow_ups, q.companies_raised, q.krw_raised])
    return _csv(rows, f"{center.slug}-{figure}")


def _national_chart(rows: list[services.CenterFigures]) -> list[charts.Chart]:
    return [
        charts.bar_chart(
            id="national-days",
            title=_("Investor days held and companies that raised, per center"),
            description=_("Each center's investor days so far and its companies that raised."),
            series_names=[_("Investor days"), _("Companies that raised")],
            rows=[
                (_title(f.name_ko, f.name_en)[:18], [f.days_held, f.companies_raised]) for f in rows
            ],
        ),
        charts.bar_chart(
            id="national-krw",
            title=_("KRW raised per center"),
            description=_("Recorded investments after each center's investor days."),
            series_names=[_("KRW raised")],
            rows=[(_title(f.name_ko, f.name_en)[:18], [f.krw_raised]) for f in rows],
            fmt=format_krw,
        ),
    ]


@bp.route("/national")
@require_role(Role.admin)
def national():
    """All centers side by side, and the totals in the form of the public report."""
    rows, totals = services.national_figures(now=utcnow())
    return render_template(
        "reports/national.html", rows=rows, totals=totals, charts=_national_chart(rows)
    )


@bp.route("/national.csv")
@require_role(Role.admin)
def national_csv():
    rows, _totals = services.national_figures(now=utcnow())
    table: list[list[Any]] = [
        ["center", "days_held", "attended", "no_show", "follow_ups", "companies_raised",
         "krw_raised"]
    ]  # fmt: skip
    for f in rows:
        table.append(
            [f.slug, f.days_held, f.attended, f.no_show, f.follow_ups, f.companies_raised,
             f.krw_raised]
        )  # fmt: skip
    return _csv(table, "national")


@bp.route("/centers/<slug>/summary")
def public_summary(slug: str):
    """A center's figures for everyone, if the center chose to show them (else 404)."""
    center = center_or_404(slug)
    if not center.shows_public_summary:
        abort(404)
    rows, _totals = services.national_figures(now=utcnow(), only_public=True)
    figures = next(f for f in rows if f.center_id == center.id)
    outcomes = services.outcomes_by_quarter(center.id, tz=center.timezone)
    return render_template(
        "reports/summary.html", center=center, figures=figures, outcomes=outcomes
    )


@bp.route("/dashboard/<slug>/report/<quarter>")
@require_role(Role.organizer)
def quarterly(slug: str, quarter: str):
    """A printable report of one quarter: the center's figures and charts."""
    center = managed_center(slug)
    if services.quarter_bounds(quarter) is None:
        abort(404)
    context = _figures(center, quarter)
    return render_template("reports/quarterly.html", center=center, quarter=quarter, **context)


def _quarter_months(quarter: str) -> set[str]:
    bounds = services.quarter_bounds(quarter)
    assert bounds is not None
    start, _end = bounds
    return {f"{start.year}-{start.month + offset:02d}" for offset in range(3)}


# --- the audit log ---------------------------------------------------------------------------


def _audit_filter() -> tuple[AuditFilter, list[str], dict[str, str]]:
    """The filter from the query string; errors for what could not be read (shown, 400)."""
    args = {
        key: request.args.get(key, "").strip()
        for key in ("center", "actor", "object", "object_id", "from", "to")
    }
    errors: list[str] = []
    mine = centers.centers_organized_by(current_user)
    every = organizes_every_center(current_user)
    center_ids = None if every else [c.id for c in mine]
    center_id = None
    tz = "Asia/Seoul"
    if args["center"]:
        center = next((c for c in mine if c.slug == args["center"]), None)
        if center is None:
            errors.append(_("Unknown center; showing all your centers."))
        else:
            center_id, tz = center.id, center.timezone
    if len(args["actor"]) > 254:
        errors.append(_("The actor filter is too long."))
        args["actor"] = ""
    object_id = None
    if args["object_id"]:
        try:
            object_id = id_arg(args["object_id"])  # 1 to MAX_ID: a larger one names nothing
        except ValueError:
            errors.append(_("The object number must be a whole number."))
    dates: dict[str, date | None] = {"from": None, "to": None}
    for key in dates:
        if args[key]:
            try:
                value = datetime.strptime(args[key], "%Y-%m-%d").date()  # noqa: DTZ007
            except ValueError:
                errors.append(_("Write dates as YYYY-MM-DD."))
                continue
            if FIRST_DATE <= value <= LAST_DATE:
                dates[key] = value
            else:
                errors.append(_("Write dates as YYYY-MM-DD."))
    f = AuditFilter(
        center_ids=center_ids,
        center_id=center_id,
        actor=args["actor"],
        object_type=args["object"][:64],
        object_id=object_id,
        date_from=dates["from"],
        date_to=dates["to"],
        tz=tz,
    )
    return f, errors, args


@bp.route("/audit")
@require_role(Role.organizer)
def audit_log():
    """Who changed what: every center for admins, their own centers for organizers."""
    f, errors, args = _audit_filter()
    page = request.args.get("page", 1, type=page_arg)
    entries, has_next = audit_page(f, page=page)
    names = {c.id: c.name for c in centers.list_centers()}
    return render_template(
        "reports/audit.html",
        entries=entries,
        has_next=has_next,
        page=page,
        filters=args,
        filter_errors=errors,
        centers=centers.centers_organized_by(current_user),
        center_names=names,
        object_types=object_types(),
    ), (400 if errors else 200)


@bp.route("/audit.csv")
@require_role(Role.organizer)
def audit_csv():
    f, errors, _args = _audit_filter()
    if errors:
        abort(400)
    rows: list[list[Any]] = [
        ["id", "at", "actor", "actor_id", "address", "center_id", "action", "object_type",
         "object_id", "changes", "data"]
    ]  # fmt: skip
    for e in audit_export(f):
        rows.append(
            [e.id, e.at.isoformat(), e.actor_label, e.actor_id, e.remote_addr, e.center_id,
             e.action, e.object_type, e.object_id, json.dumps(e.changes, ensure_ascii=False),
             json.dumps(e.data, ensure_ascii=False)]
        )  # fmt: skip
    return _csv(rows, "audit-log")
