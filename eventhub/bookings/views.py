"""Booking pages and the small JSON API. Views are thin: they call one service, and the
request commits (its write transaction began before the view ran: `core.web`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from eventhub.accounts import intake as questionnaire
from eventhub.accounts.auth import can_organize, require_organizer_of, require_role
from eventhub.accounts.models import Role
from eventhub.bookings import bp, exports
from eventhub.bookings import services as bookings
from eventhub.bookings.forms import (
    ApplyForm,
    BulkForm,
    EmptyForm,
    IntakeForm,
    ReasonForm,
    ScoreForm,
    ShiftForm,
    SlotForm,
)
from eventhub.bookings.models import APPLICATIONS, Booking, BookingStatus, PitchSlot
from eventhub.core.clock import utcnow
from eventhub.core.confirm import ask_to_confirm, is_confirmed
from eventhub.core.errors import DomainError, InvalidInput
from eventhub.core.htmx import page_or_fragment
from eventhub.core.security import id_arg, is_id
from eventhub.core.urls import is_safe_redirect
from eventhub.core.web import act_then_redirect, refusal
from eventhub.extensions import csrf, db
from eventhub.series.access import managed_occurrence, occurrence_or_404, visible_occurrence
from eventhub.series.models import EventSeries, Occurrence


def _startup():
    profile = bookings.startup_of(current_user)
    if profile is None or not current_user.is_email_verified:
        abort(403)
    return profile


def _slot_of(occurrence_id: int, slot_id: int) -> PitchSlot:
    """A slot of the occurrence, loaded with its occurrence and series in one round trip
    (the JSON API answers crowds racing for slots); 404 for a missing date or slot."""
    # The center too: the confirmation's calendar part names it as the organizer.
    options = [
        joinedload(PitchSlot.occurrence)
        .joinedload(Occurrence.series)
        .joinedload(EventSeries.center)
    ]
    slot = db.session.get(PitchSlot, slot_id, options=options)
    if slot is None or slot.occurrence_id != occurrence_id:
        occurrence_or_404(occurrence_id)
        raise bookings.SlotNotFound()
    return slot


def _slot(occurrence: Occurrence, slot_id: int | None) -> PitchSlot:
    slot = db.session.get(PitchSlot, slot_id) if slot_id else None
    if slot is None or slot.occurrence_id != occurrence.id:
        raise bookings.SlotNotFound()
    return slot


def _back(default: str) -> str:
    target = request.form.get("next")
    return target if is_safe_redirect(target) else default


# --- The intake ------------------------------------------------------------------------------


@bp.route("/intake", methods=["GET", "POST"])
@require_role(Role.startup)
def intake():
    profile = _startup()
    form = IntakeForm(obj=profile)
    if form.validate_on_submit():
        try:
            questionnaire.update_intake(
                profile,
                now=utcnow(),
                **{name: getattr(form, name).data for name in questionnaire.INTAKE_FIELDS},
            )
        except DomainError as exc:
            form.business_registration_number.errors.append(refusal(exc))
            return render_template("bookings/intake.html", form=form), exc.status
        flash(_("Your intake answers have been saved."), "success")
        # The founder's start page says what comes next (book a date); by name, as it sits above.
        return redirect(url_for("pages.start"))
    return render_template("bookings/intake.html", form=form), 422 if form.is_submitted() else 200


# --- Startups --------------------------------------------------------------------------------


@bp.route("/occurrences/<int:occurrence_id>/book", methods=["POST"])
@require_role(Role.startup)
def book(occurrence_id: int):
    occurrence = occurrence_or_404(occurrence_id)
    form = SlotForm()
    back = url_for("series.occurrence", occurrence_id=occurrence_id)
    if not form.validate_on_submit():
        flash(_("Choose a slot."), "error")
        return redirect(back, code=303)
    return act_then_redirect(
        lambda: bookings.book_slot(
            _slot(occurrence, form.slot_id.data),
            startup=_startup(),
            actor_id=current_user.id,
            now=utcnow(),
        ),
        done=_("Your slot is booked. A confirmation is on its way."),
        back=back,
    )


@bp.route("/occurrences/<int:occurrence_id>/apply", methods=["POST"])
@require_role(Role.startup)
def apply(occurrence_id: int):
    occurrence = occurrence_or_404(occurrence_id)
    form = ApplyForm()
    form.preferred.choices = [(s.id, str(s.position)) for s in bookings.slots_of(occurrence.id)]
    back = url_for("series.occurrence", occurrence_id=occurrence_id)
    if not form.validate_on_submit():
        flash(_("Choose slots from the list."), "error")
        return redirect(back, code=303)
    return act_then_redirect(
        lambda: bookings.apply_for(
            occurrence,
            startup=_startup(),
            preferred_slot_ids=form.preferred.data or [],
            actor_id=current_user.id,
            now=utcnow(),
        ),
        done=_("Your application has been sent."),
        back=back,
    )


@bp.route("/occurrences/<int:occurrence_id>/waitlist", methods=["POST"])
@require_role(Role.startup)
def join_waitlist(occurrence_id: int):
    occurrence = occurrence_or_404(occurrence_id)
    EmptyForm().validate_on_submit()
    return act_then_redirect(
        lambda: bookings.join_waitlist(
            occurrence, startup=_startup(), actor_id=current_user.id, now=utcnow()
        ),
        done=_("You are on the waitlist."),
        back=url_for("series.occurrence", occurrence_id=occurrence_id),
    )


def _own_booking(booking_id: int) -> Booking:
    return bookings.get_booking(booking_id, startup=_startup())


@bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@require_role(Role.startup)
def cancel(booking_id: int):
    if not is_confirmed():
        booking = _own_booking(booking_id)
        return ask_to_confirm(
            question=_("Cancel your booking?"),
            consequence=_(
                "Your place on %(date)s will be given to the next startup; this cannot be undone.",
                date=booking.occurrence.starts_at_local.strftime("%Y-%m-%d %H:%M"),
            ),
            button=_("Yes, cancel my booking"),
            back=url_for("pages.my_bookings"),
        )
    return act_then_redirect(
        lambda: bookings.cancel_booking(
            _own_booking(booking_id), actor_id=current_user.id, now=utcnow()
        ),
        done=_("Your booking has been cancelled."),
        back=url_for("pages.my_bookings"),
    )


@bp.route("/bookings/<int:booking_id>/switch", methods=["POST"])
@require_role(Role.startup)
def switch(booking_id: int):
    form = SlotForm()

    def action() -> None:
        booking = _own_booking(booking_id)
        if not form.validate_on_submit():
            raise bookings.SlotNotFound()
        bookings.switch_slot(
            booking,
            _slot(booking.occurrence, form.slot_id.data),
            actor_id=current_user.id,
            now=utcnow(),
        )

    return act_then_redirect(
        action, done=_("Your slot has been changed."), back=url_for("pages.my_bookings")
    )


@bp.route("/bookings/<int:booking_id>/accept", methods=["POST"])
@require_role(Role.startup)
def accept(booking_id: int):
    return act_then_redirect(
        lambda: bookings.accept_offer(
            _own_booking(booking_id), actor_id=current_user.id, now=utcnow()
        ),
        done=_("The slot is yours. A confirmation is on its way."),
        back=url_for("pages.my_bookings"),
    )


# --- JSON API --------------------------------------------------------------------------------


def _booking_json(booking: Booking) -> dict:
    return {
        "id": booking.id,
        "occurrence_id": booking.occurrence_id,
        "slot_id": booking.slot_id,
        "status": booking.status.value,
    }


@bp.route("/api/occurrences/<int:occurrence_id>/slots")
def api_slots(occurrence_id: int):
    """The slot grid of a public occurrence: free, taken or blocked."""
    visible_occurrence(occurrence_id)
    return jsonify(
        slots=[
            {
                "id": view.slot.id,
                "position": view.slot.position,
                "start_at": view.slot.start_at.isoformat(),
                "end_at": view.slot.end_at.isoformat(),
                "state": "taken" if view.state == bookings.SlotState.held else view.state.value,
            }
            for view in bookings.slot_grid(occurrence_id)
        ]
    )


@bp.route("/api/occurrences/<int:occurrence_id>/bookings", methods=["POST"])
@csrf.exempt  # JSON only: a cross-site form cannot send application/json without CORS.
def api_book(occurrence_id: int):
    """Book a slot: 201 with the booking, 409 when it was just taken, 4xx with a reason."""
    payload = request.get_json(silent=True) if request.is_json else None
    slot_id = payload.get("slot_id") if isinstance(payload, dict) else None
    # A slot that a booking holds on a listed date is refused first, whoever asks: the public
    # slot grid shows it taken to everyone, so the answer tells nothing new, and most of a
    # crowd racing for a few slots is answered by one indexed query, without loading the user.
    if is_id(slot_id) and bookings.taken_on_listed_date(occurrence_id, slot_id):
        raise bookings.SlotTaken()
    if not current_user.is_authenticated:
        abort(401)  # an API answers in JSON: {"error": {"status": 401, ...}}, not a log-in page
    if not request.is_json:
        return jsonify(error={"status": 415, "message": _("Send JSON.")}), 415
    if current_user.role != Role.startup:
        abort(403)
    if not isinstance(payload, dict):
        message = _('Send a JSON object such as {"slot_id": 12}.')
        return jsonify(error={"status": 400, "message": message}), 400
    if not is_id(slot_id):  # true is not slot 1, 2**64 is no slot at all
        return jsonify(error={"status": 400, "message": _("slot_id must be a number.")}), 400
    booking = bookings.book_slot(
        _slot_of(occurrence_id, slot_id), startup=_startup(), actor_id=current_user.id, now=utcnow()
    )
    return jsonify(booking=_booking_json(booking)), 201


# --- Organizers ------------------------------------------------------------------------------


def _organized_booking(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    # Another center's booking answers exactly like a missing one: ids reveal nothing.
    if booking is None or not can_organize(current_user, booking.occurrence.series.center_id):
        raise bookings.BookingNotFound()
    return booking


@bp.route("/organize/occurrences/<int:occurrence_id>/bookings")
@require_role(Role.organizer)
def manage(occurrence_id: int):
    occurrence = managed_occurrence(occurrence_id)
    rows = bookings.occurrence_bookings(occurrence_id)
    applications = [b for b in rows if b.status in APPLICATIONS]
    # After an action sent by htmx (which follows the action's redirect here), the desk alone.
    return page_or_fragment(
        "bookings/manage.html",
        "bookings/_desk.html",
        slots_by_id={slot.id: slot for slot in bookings.slots_of(occurrence_id)},
        preselected={
            b.id: getattr(bookings.preferred_free_slot(b), "id", None) for b in applications
        },
        score_form=ScoreForm(),
        bulk_form=BulkForm(),
        occurrence=occurrence,
        series=occurrence.series,
        grid=bookings.slot_grid(occurrence_id),
        applications=applications,
        waitlist=bookings.waitlist(occurrence_id),
        history=rows,
        free=bookings.free_slots(occurrence_id),
        started=occurrence.start_at <= utcnow(),
        form=EmptyForm(),
        reason_form=ReasonForm(),
        shift_form=ShiftForm(),
    )


def _organizer_action(occurrence_id: int, action: Callable[[], Any], done: str) -> Any:
    return act_then_redirect(
        action, done=done, back=url_for("bookings.manage", occurrence_id=occurrence_id)
    )


@bp.route("/organize/bookings/<int:booking_id>/<any(approve, assign):verb>", methods=["POST"])
@require_role(Role.organizer)
def approve(booking_id: int, verb: str):
    booking = _organized_booking(booking_id)
    EmptyForm().validate_on_submit()
    slot_id = request.form.get("slot_id", type=id_arg)  # None unless 1 to MAX_ID

    def action() -> None:
        slot = _slot(booking.occurrence, slot_id) if slot_id else None
        if verb == "assign" and booking.status == BookingStatus.confirmed:
            if slot is None:
                raise bookings.SlotNotFound()
            bookings.switch_slot(
                booking, slot, actor_id=current_user.id, now=utcnow(), by_organizer=True
            )
        else:
            bookings.approve(booking, slot=slot, actor_id=current_user.id, now=utcnow())

    return _organizer_action(booking.occurrence_id, action, _("Saved."))


@bp.route("/organize/bookings/<int:booking_id>/<any(reject, cancel):verb>", methods=["POST"])
@require_role(Role.organizer)
def reject(booking_id: int, verb: str):
    booking = _organized_booking(booking_id)
    form = ReasonForm()
    form.validate_on_submit()
    reason = form.reason.data or ""
    if not is_confirmed():
        name = booking.startup.company_name
        return ask_to_confirm(
            question=_("Reject %(name)s?", name=name)
            if verb == "reject"
            else _("Cancel the booking of %(name)s?", name=name),
            consequence=_(
                "%(name)s will be told by email, with your reason: %(reason)s",
                name=name,
                reason=reason or "-",
            ),
            button=_("Yes, reject") if verb == "reject" else _("Yes, cancel the booking"),
            back=url_for("bookings.manage", occurrence_id=booking.occurrence_id),
        )

    def action() -> None:
        if verb == "reject":
            bookings.reject(booking, reason=reason, actor_id=current_user.id, now=utcnow())
        else:
            bookings.cancel_booking(
                booking, actor_id=current_user.id, now=utcnow(), by_organizer=True, reason=reason
            )

    return _organizer_action(booking.occurrence_id, action, _("Saved."))


@bp.route("/organize/bookings/<int:booking_id>/score", methods=["POST"])
@require_role(Role.organizer)
def score(booking_id: int):
    booking = _organized_booking(booking_id)
    form = ScoreForm()

    def action() -> None:
        if not form.validate_on_submit():
            if form.note.errors:
                raise InvalidInput(str(form.note.errors[0]))
            raise InvalidInput(_("A score is a whole number from 1 to 5."))
        bookings.score_application(booking, score=form.score.data, note=form.note.data or "")

    return _organizer_action(booking.occurrence_id, action, _("Score and note saved."))


@bp.route("/organize/occurrences/<int:occurrence_id>/applications", methods=["POST"])
@require_role(Role.organizer)
def bulk(occurrence_id: int):
    occurrence = managed_occurrence(occurrence_id)
    form = BulkForm()
    form.validate_on_submit()
    chosen = {i for i in request.form.getlist("booking_id", type=int) if is_id(i)}
    selected = [
        b
        for b in bookings.occurrence_bookings(occurrence_id)
        if b.id in chosen and b.status in APPLICATIONS
    ]
    verb = form.verb.data or ""
    if verb == "reject" and selected and not is_confirmed():
        return ask_to_confirm(
            question=_("Reject %(count)d applications?", count=len(selected)),
            consequence=_(
                "Each startup will be told by email, with your reason: %(reason)s",
                reason=form.reason.data or "-",
            ),
            button=_("Yes, reject them"),
            back=url_for("bookings.manage", occurrence_id=occurrence_id),
        )
    done = {
        "approve": _("%(count)d applications approved.", count=len(selected)),
        "reject": _("%(count)d applications rejected.", count=len(selected)),
        "waitlist": _("%(count)d applications put on the waitlist.", count=len(selected)),
    }.get(verb, "")
    return _organizer_action(
        occurrence.id,
        lambda: bookings.screen_many(
            selected,
            verb=verb,
            reason=form.reason.data or "",
            actor_id=current_user.id,
            now=utcnow(),
        ),
        done,
    )


@bp.route(
    "/organize/bookings/<int:booking_id>/<any(attended, no_show, carry_over):verb>",
    methods=["POST"],
)
@require_role(Role.organizer)
def attendance(booking_id: int, verb: str):
    booking = _organized_booking(booking_id)
    EmptyForm().validate_on_submit()

    def action() -> None:
        if verb == "carry_over":
            bookings.carry_over(booking, actor_id=current_user.id, now=utcnow())
        else:
            bookings.mark_attendance(
                booking, attended=verb == "attended", actor_id=current_user.id, now=utcnow()
            )

    return _organizer_action(booking.occurrence_id, action, _("Saved."))


@bp.route(
    "/organize/occurrences/<int:occurrence_id>/slots/<any(add, shift):verb>", methods=["POST"]
)
@require_role(Role.organizer)
def slots(occurrence_id: int, verb: str):
    occurrence = managed_occurrence(occurrence_id)

    def action() -> None:
        if verb == "add":
            EmptyForm().validate_on_submit()
            bookings.add_slot(occurrence, actor_id=current_user.id, now=utcnow())
            return
        form = ShiftForm()
        if not form.validate_on_submit():
            raise InvalidInput(_("Enter the minutes as a number between -720 and 720."))
        bookings.shift_session(
            occurrence, minutes=form.minutes.data, actor_id=current_user.id, now=utcnow()
        )

    return _organizer_action(occurrence_id, action, _("Saved."))


@bp.route("/organize/slots/<int:slot_id>/<any(remove, block, unblock):verb>", methods=["POST"])
@require_role(Role.organizer)
def slot_action(slot_id: int, verb: str):
    slot = db.session.get(PitchSlot, slot_id)
    if slot is None:
        abort(404)
    require_organizer_of(slot.occurrence.series.center_id)
    occurrence_id = slot.occurrence_id
    form = ReasonForm()
    form.validate_on_submit()
    if verb == "remove" and not is_confirmed():
        return ask_to_confirm(
            question=_("Remove slot %(position)d?", position=slot.position),
            consequence=_(
                "The slot %(time)s disappears from the grid; you can add a slot again.",
                time=slot.start_at.astimezone(slot.occurrence.tz).strftime("%H:%M"),
            ),
            button=_("Yes, remove the slot"),
            back=url_for("bookings.manage", occurrence_id=occurrence_id),
        )

    def action() -> None:
        now = utcnow()
        if verb == "remove":
            bookings.remove_slot(slot, actor_id=current_user.id, now=now)
        elif verb == "block":
            bookings.block_slot(
                slot, reason=form.reason.data or "", actor_id=current_user.id, now=now
            )
        else:
            bookings.unblock_slot(slot, actor_id=current_user.id, now=now)

    return _organizer_action(occurrence_id, action, _("Saved."))


@bp.route("/organize/occurrences/<int:occurrence_id>/lineup.<any(csv, xlsx):kind>")
@require_role(Role.organizer)
def export(occurrence_id: int, kind: str):
    occurrence = managed_occurrence(occurrence_id)
    rows = exports.lineup_rows(occurrence)
    name = f"lineup-{occurrence.series.slug}-{occurrence.starts_at_local:%Y%m%d}.{kind}"
    if kind == "csv":
        body, mimetype = exports.to_csv(rows), "text/csv; charset=utf-8"
    else:
        body = exports.to_xlsx(rows, title=occurrence.series.title_en[:31])
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/organize/occurrences/<int:occurrence_id>/runsheet")
@require_role(Role.organizer)
def runsheet(occurrence_id: int):
    occurrence = managed_occurrence(occurrence_id)
    return render_template(
        "bookings/runsheet.html",
        occurrence=occurrence,
        series=occurrence.series,
        grid=bookings.slot_grid(occurrence_id),
    )
