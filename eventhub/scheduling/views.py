"""Series pages: public listing and detail, and the organizer's create, edit and change pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from eventhub.accounts import intake as questionnaire
from eventhub.accounts.auth import can_organize, require_role
from eventhub.accounts.models import Role
from eventhub.bookings import services as bookings
from eventhub.centers.access import managed_center
from eventhub.core.clock import utcnow
from eventhub.core.confirm import ask_to_confirm, is_confirmed
from eventhub.core.errors import DomainError
from eventhub.core.htmx import page_or_fragment
from eventhub.core.i18n import current_language
from eventhub.core.security import id_arg
from eventhub.core.transactions import read_only
from eventhub.core.web import refusal
from eventhub.extensions import db
from eventhub.invitations import services as invitations
from eventhub.scheduling import bp
from eventhub.scheduling import services as series_services
from eventhub.scheduling.forms import (
    CancelForm,
    MoveForm,
    RegistrationWindowForm,
    RestoreForm,
    SeriesEditForm,
    SeriesForm,
    VenueForm,
    form_data_from_values,
    values_from_form,
)
from eventhub.series.access import (
    managed_occurrence,
    managed_series,
    occurrence_or_404,
    series_or_404,
    visible_to_current_user,
)
from eventhub.series.models import EditScope, EventSeries, Occurrence
from eventhub.series.recurrence import describe, to_utc
from eventhub.series.rows import series_date_rows

CHANGE_LABELS = {
    "moved": _l("Moved"),
    "venue_changed": _l("Venue changed"),
    "cancelled": _l("Cancelled"),
    "restored": _l("Restored"),
    "rescheduled": _l("Rescheduled by a series edit"),
    "detached": _l("Kept as a one-off occurrence"),
    "removed": _l("Removed from the series"),
    "details_changed": _l("Title, description or venue changed"),
}

# What the date history names, in the order it lists the old -> new values.
CHANGED_FIELDS = {
    "start_at": _l("Start"),
    "end_at": _l("End"),
    "status": _l("Status"),
    "venue_name": _l("Venue"),
    "venue_address": _l("Address"),
    "venue_name_en": _l("Venue (English)"),
    "venue_address_en": _l("Address (English)"),
    "online_url": _l("Online link"),
}
STATUS_WORDS = {"scheduled": _l("Scheduled"), "cancelled": _l("Cancelled")}


def change_steps(before: dict, after: dict, tz: ZoneInfo) -> list[tuple[str, str, str]]:
    """What a change did, as (what, old, new) in words a person reads: local times, labels."""

    def shown(name: str, value: object) -> str:
        if value in (None, ""):
            return "—"
        if name in ("start_at", "end_at"):
            return datetime.fromisoformat(str(value)).astimezone(tz).strftime("%Y-%m-%d %H:%M")
        if name == "status":
            return str(STATUS_WORDS.get(str(value), value))
        return str(value)

    return [
        (str(label), shown(name, before.get(name)), shown(name, after.get(name)))
        for name, label in CHANGED_FIELDS.items()
        if (before or {}).get(name) != (after or {}).get(name)
    ]


@bp.app_template_global()
def holiday_label(series: EventSeries, instant: datetime, stored: str | None) -> str | None:
    """The holiday of an occurrence's original date in the reader's language.

    Names are stored in Korean when the dates are planned; public holidays are looked up
    again in the reader's language, and an organizer's own closed dates keep their name.
    """
    if not stored:
        return None
    holidays = series_services.holidays_for(
        country=series.center.country_code,
        extra=series.extra_holidays,
        locale=str(get_locale()),
    )
    return holidays.name(instant.astimezone(series.tz).date()) or stored


def summary(series: EventSeries) -> str:
    return describe(
        series.rrule,
        start_date=series.start_date,
        start_time=series.start_time,
        locale=current_language(),
    )


def _horizon_days() -> int:
    return current_app.config["RECURRENCE_HORIZON_DAYS"]


# --- Public pages ---------------------------------------------------------------------------


@bp.route("/series/<slug>")
@read_only
def detail(slug: str):
    series = series_or_404(slug)
    if not visible_to_current_user(series):
        abort(404)
    now = utcnow()
    upcoming, past = series_date_rows(series.id, now=now)
    skipped = series_services.skipped_dates(series.id, now=now)
    return render_template(
        "series/detail.html",
        series=series,
        summary=summary(series),
        upcoming=upcoming,
        past=past,
        skipped=skipped,
        can_organize=can_organize(current_user, series.center_id),
    )


@bp.route("/occurrences/<int:occurrence_id>")
@read_only
def occurrence(occurrence_id: int):
    occ = occurrence_or_404(occurrence_id)
    if not visible_to_current_user(occ.series):
        abort(404)
    organizer = can_organize(current_user, occ.series.center_id)
    startup = bookings.startup_of(current_user) if current_user.is_authenticated else None
    now = utcnow()
    rows = bookings.slot_rows(occ.id, occ.tz)
    my_booking = bookings.active_booking_of(occ.id, startup) if startup else None
    open_now = occ.registration_is_open(now)
    # After booking, applying or joining the waitlist through htmx, the booking box alone.
    return page_or_fragment(
        "series/occurrence.html",
        "bookings/_register.html",
        occurrence=occ,
        series=occ.series,
        can_organize=organizer,
        slot_rows=rows,
        taken_count=sum(1 for row in rows if row.state == bookings.SlotState.held),
        open_count=sum(1 for row in rows if row.state != bookings.SlotState.blocked),
        show_names=organizer or invitations.investor_sees_lineup(current_user, occ.id),
        is_startup=startup is not None,
        # What the booking box asks of a founder first (a confirmed address, a full intake).
        startup_profile=startup,
        intake_missing=bool(startup and questionnaire.intake_missing(startup)),
        my_booking=my_booking,
        registration_open=open_now,
        free_count=sum(1 for row in rows if row.state == bookings.SlotState.free),
        can_book=bool(
            startup
            and open_now
            and not my_booking
            and occ.series.booking_mode.value == "first_come"
        ),
        # Only a logged-in visitor gets a form (and so a CSRF token, and a session).
        action_form=FlaskForm() if current_user.is_authenticated else None,
    )


# --- Organizer: create and edit a series -----------------------------------------------------


@bp.route("/organize/centers/<slug>/series/new", methods=["GET", "POST"])
@require_role(Role.organizer)
def create(slug: str):
    center = managed_center(slug)
    form = SeriesForm()
    if request.method == "GET":
        form.timezone.data = center.timezone
    preview = None
    if form.validate_on_submit():
        now = utcnow()
        try:
            values = values_from_form(form)
            if "preview" in request.form:
                preview = series_services.prepare_values(
                    values,
                    country=center.country_code,
                    horizon_end=now + timedelta(days=_horizon_days()),
                    locale=str(get_locale()),
                )
            else:
                series = series_services.create_series(
                    center,
                    values=values,
                    actor_id=current_user.id,
                    now=now,
                    horizon_days=_horizon_days(),
                )
                flash(_("The series has been created."), "success")
                return redirect(url_for("series.detail", slug=series.slug))
        except DomainError as exc:
            form.form_errors.append(refusal(exc))
            return _render_form(form, center=center, preview=None), exc.status
        return _render_form(form, center=center, preview=preview), 200
    status = 422 if form.is_submitted() else 200
    return _render_form(form, center=center, preview=None), status


def _render_form(form, *, center, preview, series=None, plan=None):
    summary_text = None
    if preview is not None:
        values = preview.values
        summary_text = describe(
            values.rrule,
            start_date=values.start_date,
            start_time=values.start_time,
            locale=str(get_locale()),
        )
    return render_template(
        "series/form.html",
        form=form,
        center=center,
        series=series,
        preview=preview,
        plan=plan,
        summary=summary_text,
    )


@bp.route("/organize/series/<slug>/edit", methods=["GET", "POST"])
@require_role(Role.organizer)
def edit(slug: str):
    series = managed_series(slug)
    now = utcnow()
    future = [o for o in series.occurrences if o.start_at >= now and not o.is_detached]
    form = SeriesEditForm()
    if request.method == "GET":
        form = SeriesEditForm(data=form_data_from_values(series_services.values_of(series)))
        wanted = request.args.get("from", type=id_arg)
        if wanted:
            form.scope.data = EditScope.following.value
            form.from_occurrence.data = str(wanted)
    form.from_occurrence.choices = [
        (str(o.id), o.starts_at_local.strftime("%Y-%m-%d %H:%M")) for o in future
    ]
    if form.validate_on_submit():
        from_occ = None
        if form.scope.data == EditScope.following:
            chosen = form.from_occurrence.data
            try:
                from_occ = db.session.get(Occurrence, id_arg(chosen or ""))
            except ValueError:  # empty, "²", or beyond the id columns
                from_occ = None
        plan = None
        try:
            values = values_from_form(form)
            if "preview" in request.form:
                plan = series_services.plan_series_edit(
                    series,
                    values=values,
                    scope=form.scope.data,
                    from_occurrence=from_occ,
                    now=now,
                    horizon_days=_horizon_days(),
                )
                return _render_form(
                    form, center=series.center, preview=plan.preview, series=series, plan=plan
                ), 200
            target = series_services.apply_series_edit(
                series,
                values=values,
                scope=form.scope.data,
                from_occurrence=from_occ,
                keep_conflicts=bool(form.keep_conflicts.data),
                actor_id=current_user.id,
                now=now,
                horizon_days=_horizon_days(),
            )
        except series_services.EditConflict as exc:
            form.form_errors.append(refusal(exc))
            db.session.rollback()
            plan = series_services.plan_series_edit(
                series,
                values=values_from_form(form),
                scope=form.scope.data,
                from_occurrence=from_occ,
                now=now,
                horizon_days=_horizon_days(),
            )
            return _render_form(
                form, center=series.center, preview=plan.preview, series=series, plan=plan
            ), 409
        except DomainError as exc:
            form.form_errors.append(refusal(exc))
            return _render_form(form, center=series.center, preview=None, series=series), exc.status
        flash(_("The series has been updated."), "success")
        return redirect(url_for("series.detail", slug=target.slug))
    status = 422 if form.is_submitted() else 200
    return _render_form(form, center=series.center, preview=None, series=series), status


# --- Organizer: change one occurrence ---------------------------------------------------------


def _manage_page(occ: Occurrence, status: int = 200, **forms):
    local = occ.starts_at_local
    defaults = {
        "move": MoveForm(
            formdata=None,
            start_date=local.date(),
            start_time=local.time(),
            end_time=occ.ends_at_local.time(),
        ),
        "venue": VenueForm(
            formdata=None,
            venue_name=occ.venue_name,
            venue_address=occ.venue_address,
            venue_name_en=occ.venue_name_en,
            venue_address_en=occ.venue_address_en,
            online_url=occ.online_url,
        ),
        "cancel": CancelForm(formdata=None),
        "window": RegistrationWindowForm(
            formdata=None,
            opens=_wall(occ.registration_opens_at, occ),
            closes=_wall(occ.registration_closes_at, occ),
            cutoff=_wall(occ.cancel_cutoff_at, occ),
        ),
        "restore": RestoreForm(formdata=None),
    }
    defaults.update(forms)
    return render_template(
        "series/manage_occurrence.html",
        occurrence=occ,
        series=occ.series,
        is_past=occ.start_at <= utcnow(),
        change_labels=CHANGE_LABELS,
        change_steps={c.id: change_steps(c.before, c.after, occ.tz) for c in occ.changes},
        **defaults,
    ), status


def _wall(instant: datetime | None, occ: Occurrence) -> datetime | None:
    return instant.astimezone(occ.tz).replace(tzinfo=None) if instant else None


@bp.route("/organize/occurrences/<int:occurrence_id>")
@require_role(Role.organizer)
def manage(occurrence_id: int):
    return _manage_page(managed_occurrence(occurrence_id))


def _change(occ: Occurrence, form, name: str, apply) -> object:
    if not form.validate_on_submit():
        return _manage_page(occ, 422, **{name: form})
    try:
        apply()
    except DomainError as exc:
        form.form_errors.append(refusal(exc))
        return _manage_page(occ, exc.status, **{name: form})
    flash(_("The occurrence has been updated."), "success")
    return redirect(url_for("series.manage", occurrence_id=occ.id))


@bp.route("/organize/occurrences/<int:occurrence_id>/move", methods=["POST"])
@require_role(Role.organizer)
def move(occurrence_id: int):
    occ = managed_occurrence(occurrence_id)
    form = MoveForm()

    def apply() -> None:
        tz = occ.tz
        start_local = datetime.combine(form.start_date.data, form.start_time.data)
        end_local = datetime.combine(form.start_date.data, form.end_time.data)
        if end_local <= start_local:
            end_local += timedelta(days=1)
        series_services.move_occurrence(
            occ,
            start_at=to_utc(start_local, tz),
            end_at=to_utc(end_local, tz),
            actor_id=current_user.id,
            now=utcnow(),
        )

    return _change(occ, form, "move", apply)


@bp.route("/organize/occurrences/<int:occurrence_id>/registration", methods=["POST"])
@require_role(Role.organizer)
def registration(occurrence_id: int):
    occ = managed_occurrence(occurrence_id)
    form = RegistrationWindowForm()

    def instant(value: datetime | None) -> datetime | None:
        return to_utc(value, occ.tz) if value else None

    return _change(
        occ,
        form,
        "window",
        lambda: series_services.set_registration_window(
            occ,
            opens_at=instant(form.opens.data),
            closes_at=instant(form.closes.data),
            cutoff_at=instant(form.cutoff.data),
            actor_id=current_user.id,
            now=utcnow(),
        ),
    )


@bp.route("/organize/occurrences/<int:occurrence_id>/venue", methods=["POST"])
@require_role(Role.organizer)
def venue(occurrence_id: int):
    occ = managed_occurrence(occurrence_id)
    form = VenueForm()
    return _change(
        occ,
        form,
        "venue",
        lambda: series_services.change_venue(
            occ,
            venue_name=form.venue_name.data,
            venue_address=form.venue_address.data,
            venue_name_en=form.venue_name_en.data,
            venue_address_en=form.venue_address_en.data,
            online_url=form.online_url.data,
            actor_id=current_user.id,
            now=utcnow(),
        ),
    )


@bp.route("/organize/occurrences/<int:occurrence_id>/cancel", methods=["POST"])
@require_role(Role.organizer)
def cancel(occurrence_id: int):
    occ = managed_occurrence(occurrence_id)
    form = CancelForm()
    if form.validate_on_submit() and not is_confirmed():
        return ask_to_confirm(
            question=_("Cancel the date of %(date)s?", date=f"{occ.starts_at_local:%Y-%m-%d}"),
            consequence=_(
                "Every booked startup and invited investor is told by email, with your "
                "reason: %(reason)s",
                reason=form.reason.data,
            ),
            button=_("Yes, cancel this date"),
            back=url_for("series.manage", occurrence_id=occ.id),
        )
    return _change(
        occ,
        form,
        "cancel",
        lambda: series_services.cancel_occurrence(
            occ, reason=form.reason.data, actor_id=current_user.id, now=utcnow()
        ),
    )


@bp.route("/organize/occurrences/<int:occurrence_id>/restore", methods=["POST"])
@require_role(Role.organizer)
def restore(occurrence_id: int):
    occ = managed_occurrence(occurrence_id)
    form = RestoreForm()
    return _change(
        occ,
        form,
        "restore",
        lambda: series_services.restore_occurrence(occ, actor_id=current_user.id, now=utcnow()),
    )
