"""Invitation pages: the organizer's directory and invitations, and the investor's RSVP."""

from __future__ import annotations

import base64
import binascii

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventhub.accounts.auth import require_organizer_of, require_role
from eventhub.accounts.models import InvestorProfile, Role, StartupProfile
from eventhub.bookings import exports
from eventhub.centers import services as centers
from eventhub.core.clock import utcnow
from eventhub.core.errors import DomainError, InvalidInput, NotFound
from eventhub.core.htmx import page_or_fragment
from eventhub.core.urls import is_safe_redirect
from eventhub.core.web import act_then_redirect, refusal
from eventhub.extensions import db
from eventhub.invitations import bp
from eventhub.invitations import services as invitations
from eventhub.invitations.forms import (
    AnswerForm,
    FollowUpForm,
    ImportConfirmForm,
    ImportForm,
    InvestorForm,
    InviteForm,
    OutcomeForm,
)
from eventhub.invitations.models import Invitation, OutcomeKind, RsvpStatus
from eventhub.series.access import managed_occurrence
from eventhub.series.models import Occurrence

# --- The directory -------------------------------------------------------------------------


@bp.route("/organize/investors")
@require_role(Role.organizer)
def directory():
    industry = request.args.get("industry") or None
    stage = request.args.get("stage") or None
    return render_template(
        "invitations/directory.html",
        investors=invitations.directory(industry=industry, stage=stage),
        filters={"industry": industry or "", "stage": stage or ""},
    )


def _investor_form(investor: InvestorProfile | None, *, done: str, then: str):
    """The directory entry form, for an organizer (any entry) or an investor (their own)."""
    form = InvestorForm(obj=investor)
    if request.method == "GET" and investor is not None:
        form.centers.data = [c.id for c in investor.centers]
    form.centers.choices = [(c.id, c.name) for c in centers.list_centers()]
    status = 200
    if form.validate_on_submit():
        try:
            invitations.save_investor(
                investor,
                email=form.email.data,
                firm=form.firm.data,
                person_name=form.person_name.data,
                phone=form.phone.data,
                focus_industries=form.focus_industries.data or [],
                stages=form.stages.data or [],
                ticket_min_krw=form.ticket_min_krw.data,
                ticket_max_krw=form.ticket_max_krw.data,
                notes=form.notes.data,
                center_ids=form.centers.data or [],
                now=utcnow(),
            )
        except DomainError as exc:
            form.email.errors.append(refusal(exc))
            status = exc.status
        else:
            flash(done, "success")
            return redirect(then)
    elif form.is_submitted():
        status = 422
    return render_template("invitations/investor_form.html", form=form, investor=investor), status


@bp.route("/organize/investors/new", methods=["GET", "POST"])
@bp.route("/organize/investors/<int:investor_id>/edit", methods=["GET", "POST"])
@require_role(Role.organizer)
def edit_investor(investor_id: int | None = None):
    investor = db.session.get(InvestorProfile, investor_id) if investor_id else None
    if investor_id and investor is None:
        abort(404)
    return _investor_form(
        investor, done=_("The investor has been saved."), then=url_for("invitations.directory")
    )


@bp.route("/investor/profile", methods=["GET", "POST"])
@require_role(Role.investor)
def own_profile():
    investor = current_user.investor_profile
    if investor is None:
        abort(404)
    return _investor_form(
        investor,
        done=_("Your profile has been saved."),
        then=url_for("invitations.own_profile"),
    )


@bp.route("/organize/investors/import", methods=["GET", "POST"])
@require_role(Role.organizer)
def import_investors():
    form = ImportForm()
    confirm = ImportConfirmForm()
    if "confirm" in request.form:
        if not confirm.validate_on_submit():
            abort(400)
        try:
            data = base64.b64decode(confirm.content.data, validate=True)
        except (binascii.Error, ValueError):
            abort(400)
        try:
            preview = invitations.preview_import(data, confirm.filename.data)
            written = invitations.apply_import(preview, actor_id=current_user.id, now=utcnow())
        except DomainError as exc:
            form.file.errors = [*form.file.errors, refusal(exc)]  # a tuple until validated
            return render_template("invitations/import.html", form=form, preview=None), exc.status
        flash(_("%(n)d investors imported.", n=written), "success")
        return redirect(url_for("invitations.directory"))
    if form.validate_on_submit():
        upload = form.file.data
        # One byte more than allowed is enough to refuse it; the rest is never read.
        data = upload.read(current_app.config["INVESTOR_IMPORT_MAX_BYTES"] + 1)
        try:
            preview = invitations.preview_import(data, upload.filename or "upload.csv")
        except DomainError as exc:
            form.file.errors = [*form.file.errors, refusal(exc)]  # a tuple until validated
            return render_template("invitations/import.html", form=form, preview=None), exc.status
        confirm.content.data = base64.b64encode(data).decode()
        confirm.filename.data = upload.filename
        return render_template(
            "invitations/import.html", form=form, preview=preview, confirm=confirm
        )
    status = 422 if form.is_submitted() else 200
    return render_template("invitations/import.html", form=form, preview=None), status


# --- Invitations of an occurrence ------------------------------------------------------------


def _invite_form(occurrence: Occurrence, industry: str | None, stage: str | None) -> InviteForm:
    form = InviteForm()
    form.investor_ids.choices = [
        (i.id, f"{i.firm} · {i.person_name} <{i.email}>")
        for i in invitations.directory(industry=industry, stage=stage)
    ]
    return form


@bp.route("/organize/investors/import-template.<any(csv, xlsx):kind>")
@require_role(Role.organizer)
def import_template(kind: str):
    """An empty import file with the column names, in Korean (?lang=ko) or English."""
    locale = "ko" if request.args.get("lang") == "ko" else "en"
    rows = [invitations.template_header(locale)]
    name = f"investors-template-{locale}.{kind}"
    if kind == "csv":
        body, mimetype = exports.to_csv(rows), "text/csv; charset=utf-8"
    else:
        body = exports.to_xlsx(rows, title="Investors")
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/organize/occurrences/<int:occurrence_id>/invitations")
@require_role(Role.organizer)
def occurrence_invitations(occurrence_id: int):
    occurrence = managed_occurrence(occurrence_id)
    industry = request.args.get("industry") or None
    stage = request.args.get("stage") or None
    rows = invitations.invitations_of(occurrence_id)
    investors, startups, cells = invitations.follow_up_matrix(occurrence_id)
    outcome_form = OutcomeForm()
    outcome_form.investor_id.choices = [(i.investor.id, i.investor.firm) for i in rows]
    outcome_form.startup_id.choices = [
        (b.startup_id, b.startup.company_name) for b in invitations.lineup_entries(occurrence_id)
    ]
    counts = {s: sum(1 for r in rows if r.status == s) for s in RsvpStatus}
    return render_template(
        "invitations/occurrence.html",
        occurrence=occurrence,
        series=occurrence.series,
        rows=rows,
        counts=counts,
        form=_invite_form(occurrence, industry, stage),
        filters={"industry": industry or "", "stage": stage or ""},
        lineup=invitations.lineup_entries(occurrence_id),
        matrix_investors=investors,
        matrix_startups=startups,
        cells=cells,
        outcome_form=outcome_form,
        outcomes=invitations.outcomes_of(occurrence_id),
        now=utcnow(),
    )


@bp.route("/organize/occurrences/<int:occurrence_id>/invite", methods=["POST"])
@require_role(Role.organizer)
def invite(occurrence_id: int):
    occurrence = managed_occurrence(occurrence_id)
    form = _invite_form(occurrence, None, None)
    back = url_for("invitations.occurrence_invitations", occurrence_id=occurrence_id)
    if not form.validate_on_submit():
        flash(_("Choose investors from the list or paste their emails."), "error")
        return redirect(back, code=303)

    def action() -> tuple[int, int]:
        now = utcnow()
        chosen = list(
            db.session.scalars(
                sa.select(InvestorProfile).where(
                    InvestorProfile.id.in_(form.investor_ids.data or [])
                )
            )
        )
        chosen += [
            i
            for i in invitations.investors_for_emails(form.emails.data or "", now=now)
            if i not in chosen
        ]
        if not chosen:
            raise InvalidInput(_("Choose investors from the list or paste their emails."))
        targets = [occurrence]
        if form.whole_series.data:
            targets = [
                o for o in occurrence.series.occurrences if o.start_at > now and not o.is_cancelled
            ]
        created = invitations.invite(targets, investors=chosen, actor_id=current_user.id, now=now)
        return len(created), len(chosen) * len(targets) - len(created)

    return act_then_redirect(action, done=lambda counts: _invite_outcome(*counts), back=back)


def _invite_outcome(sent: int, skipped: int) -> str:
    """What inviting did, and why nothing happened when nothing did."""
    if sent == 0 and skipped == 0:
        return _("No invitation was sent: there is no upcoming date to invite to.")
    if sent == 0:
        return _(
            "No invitation was sent: every investor you chose is already invited to these "
            "dates. Their answers are in the list below; use Resend to send one again."
        )
    if skipped:
        return _(
            "%(sent)d invitations sent. %(skipped)d were already invited and were left as "
            "they are.",
            sent=sent,
            skipped=skipped,
        )
    return _("%(n)d invitations sent.", n=sent)


@bp.route("/organize/invitations/<int:invitation_id>/<any(resend, nudge):verb>", methods=["POST"])
@require_role(Role.organizer)
def remind(invitation_id: int, verb: str):
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        abort(404)
    require_organizer_of(invitation.occurrence.series.center_id)
    AnswerForm().validate_on_submit()
    action = invitations.resend if verb == "resend" else invitations.nudge
    return act_then_redirect(
        lambda: action(invitation, actor_id=current_user.id, now=utcnow()),
        done=_("The email is on its way."),
        back=url_for("invitations.occurrence_invitations", occurrence_id=invitation.occurrence_id),
    )


@bp.route("/organize/occurrences/<int:occurrence_id>/publish", methods=["POST"])
@require_role(Role.organizer)
def publish(occurrence_id: int):
    occurrence = managed_occurrence(occurrence_id)
    AnswerForm().validate_on_submit()
    return act_then_redirect(
        lambda: invitations.publish_lineup(occurrence, actor_id=current_user.id, now=utcnow()),
        done=_("The line-up is published to accepted and tentative investors."),
        back=url_for("invitations.occurrence_invitations", occurrence_id=occurrence_id),
    )


@bp.route("/organize/occurrences/<int:occurrence_id>/follow-ups.<any(csv, xlsx):kind>")
@require_role(Role.organizer)
def follow_ups_export(occurrence_id: int, kind: str):
    occurrence = managed_occurrence(occurrence_id)
    rows = invitations.matrix_rows(occurrence_id)
    name = f"follow-ups-{occurrence.series.slug}-{occurrence.starts_at_local:%Y%m%d}.{kind}"
    if kind == "csv":
        response = Response(exports.to_csv(rows), mimetype="text/csv; charset=utf-8")
    else:
        response = Response(
            exports.to_xlsx(rows, title="Follow-ups"),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/organize/occurrences/<int:occurrence_id>/outcomes", methods=["POST"])
@require_role(Role.organizer)
def outcome(occurrence_id: int):
    occurrence = managed_occurrence(occurrence_id)
    form = OutcomeForm()
    form.investor_id.choices = [
        (i.investor_id, "") for i in invitations.invitations_of(occurrence_id)
    ]
    form.startup_id.choices = [
        (b.startup_id, "") for b in invitations.lineup_entries(occurrence_id)
    ]
    back = url_for("invitations.occurrence_invitations", occurrence_id=occurrence_id)
    if not form.validate_on_submit():
        messages = [m for errors in form.errors.values() for m in errors]
        flash(" ".join(str(m) for m in messages) or _("Check the outcome."), "error")
        return redirect(back, code=303)
    return act_then_redirect(
        lambda: invitations.record_outcome(
            occurrence=occurrence,
            investor=db.session.get(InvestorProfile, form.investor_id.data),
            startup=db.session.get(StartupProfile, form.startup_id.data),
            kind=OutcomeKind(form.kind.data),
            amount_krw=form.amount_krw.data,
            happened_on=form.happened_on.data,
            note=form.note.data,
            actor_id=current_user.id,
            now=utcnow(),
        ),
        done=_("The outcome has been recorded."),
        back=back,
    )


# --- The investor's side -------------------------------------------------------------------


def _token_page_error(exc: DomainError):
    # One page for every token problem: it reveals nothing about whether an invitation exists.
    return render_template("invitations/token_error.html", message=exc.message), exc.status


@bp.route("/rsvp/<token>", methods=["GET", "POST"])
def rsvp(token: str):
    """The invitation page. A GET never changes the answer: mail scanners open every link."""
    try:
        invitation = invitations.invitation_for_token(token)
    except invitations.InvalidToken as exc:
        return _token_page_error(exc)
    now = utcnow()
    form = AnswerForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        # Answered from the investor's list of invitations: back to that list.
        target = request.form.get("next")
        back = target if is_safe_redirect(target) else url_for("invitations.rsvp", token=token)
        try:
            invitations.answer(invitation, status=RsvpStatus(form.answer.data), now=now)
        except DomainError as exc:
            flash(refusal(exc), "error")
            return redirect(back, code=303)
        flash(_("Thank you: your answer has been saved."), "success")
        return redirect(back, code=303)
    asked = request.args.get("answer")
    if asked in ("accepted", "tentative", "declined"):
        form.answer.data = asked
    occurrence = invitation.occurrence
    return render_template(
        "invitations/rsvp.html",
        invitation=invitation,
        occurrence=occurrence,
        series=occurrence.series,
        token=token,
        form=form,
        asked=asked,
        closed=occurrence.start_at <= now or occurrence.is_cancelled,
        sees_lineup=invitations.sees_lineup(invitation),
        lineup=invitations.lineup_entries(occurrence.id),
        can_follow_up=invitation.status == RsvpStatus.accepted and occurrence.start_at <= now,
        follow_ups=invitations.follow_ups_of(invitation),
        follow_form=FollowUpForm(),
    )


@bp.route("/rsvp/<token>/follow-up", methods=["POST"])
def follow_up(token: str):
    try:
        invitation = invitations.invitation_for_token(token)
    except invitations.InvalidToken as exc:
        return _token_page_error(exc)
    form = FollowUpForm()
    back = url_for("invitations.rsvp", token=token)
    if not form.validate_on_submit():
        abort(400)

    def action() -> None:
        startup = db.session.get(StartupProfile, form.startup_id.data)
        if startup is None:
            raise NotFound(_("This startup did not pitch at this investor day."))
        if request.form.get("remove"):
            invitations.unmark_follow_up(invitation, startup_id=startup.id)
            return
        invitations.mark_follow_up(
            invitation,
            startup=startup,
            note=form.note.data,
            share_with_startup=bool(form.share_with_startup.data),
            now=utcnow(),
        )

    return act_then_redirect(action, done=_("Saved."), back=back)


@bp.route("/investor/invitations")
@require_role(Role.investor)
def mine():
    investor = current_user.investor_profile
    rows = (
        list(
            db.session.scalars(
                sa.select(Invitation)
                .where(Invitation.investor_id == investor.id)
                .order_by(Invitation.invited_at.desc())
            )
        )
        if investor
        else []
    )
    # After answering from the list through htmx (which follows the redirect here), the list.
    return page_or_fragment(
        "invitations/mine.html",
        "invitations/_mine_list.html",
        rows=rows,
        token=invitations.rsvp_token,
        form=AnswerForm(),
        now=utcnow(),
    )
