"""Pages: a series' reminder rules, announcements, the outbox, and notification preferences."""

from __future__ import annotations

from pathlib import Path

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from eventhub.accounts.auth import require_organizer_of, require_role
from eventhub.accounts.models import Role
from eventhub.centers.access import managed_center
from eventhub.centers.models import Center
from eventhub.core import outbox, outbox_page
from eventhub.core.clock import utcnow
from eventhub.core.confirm import ask_to_confirm, is_confirmed
from eventhub.core.errors import DomainError
from eventhub.core.outbox import KIND_LABELS, STATUS_LABELS, MessageKind, OutboxStatus
from eventhub.core.security import id_arg, page_arg
from eventhub.core.web import act_then_redirect, refusal
from eventhub.extensions import csrf, db
from eventhub.notifications import bp
from eventhub.notifications import services as notifications
from eventhub.notifications.forms import (
    ActionForm,
    AnnouncementForm,
    PreferencesForm,
    ReminderRulesForm,
)
from eventhub.notifications.models import Announcement, AnnouncementAudience
from eventhub.series import rules as series_rules
from eventhub.series.access import managed_occurrence, managed_series
from eventhub.series.models import Audience

# --- Reminder rules --------------------------------------------------------------------------


@bp.route("/organize/series/<slug>/reminders", methods=["GET", "POST"])
@require_role(Role.organizer)
def reminder_rules(slug: str):
    series = managed_series(slug)
    form = ReminderRulesForm()
    if request.method == "GET":
        current = series_rules.rules_of(series.id)
        for audience in Audience:
            getattr(form, audience.value).data = notifications.format_offsets(current[audience])
    status = 200
    if form.validate_on_submit():
        notifications.set_rules(series, rules=form.rules(), actor_id=current_user.id, now=utcnow())
        flash(_("The reminders have been saved."), "success")
        return redirect(url_for("notifications.reminder_rules", slug=series.slug), code=303)
    if form.is_submitted():
        status = 422
    return render_template("notifications/rules.html", series=series, form=form), status


# --- Announcements ---------------------------------------------------------------------------


@bp.route("/organize/occurrences/<int:occurrence_id>/announce", methods=["GET", "POST"])
@require_role(Role.organizer)
def announce(occurrence_id: int):
    occurrence = managed_occurrence(occurrence_id)
    form = AnnouncementForm()
    status, preview = 200, None
    if form.validate_on_submit():
        audiences = [AnnouncementAudience(a) for a in form.audiences.data]
        fields = {
            "subject_ko": form.subject_ko.data.strip(),
            "body_ko": form.body_ko.data.strip(),
            "subject_en": (form.subject_en.data or "").strip(),
            "body_en": (form.body_en.data or "").strip(),
        }
        if form.send.data and not is_confirmed():
            count = len(notifications.announcement_recipients(occurrence, audiences))
            return ask_to_confirm(
                question=_("Send this announcement to %(count)d people?", count=count),
                consequence=_(
                    "“%(subject)s” goes out by email with the next dispatch; it cannot be "
                    "called back once sent.",
                    subject=fields["subject_ko"],
                ),
                button=_("Yes, send it"),
                back=url_for("notifications.announce", occurrence_id=occurrence.id),
            )
        if form.send.data:
            try:
                announcement = notifications.send_announcement(
                    occurrence,
                    audiences=audiences,
                    actor_id=current_user.id,
                    now=utcnow(),
                    **fields,
                )
            except DomainError as exc:
                form.form_errors.append(refusal(exc))
                status = exc.status
            else:
                flash(
                    _(
                        "The announcement is on its way to %(count)d people.",
                        count=announcement.recipient_count,
                    ),
                    "success",
                )
                return redirect(url_for("notifications.announce", occurrence_id=occurrence.id))
        else:
            draft = Announcement(**fields)
            preview = {
                "recipients": notifications.announcement_recipients(occurrence, audiences),
                "ko": notifications.preview_announcement(
                    occurrence, announcement=draft, locale="ko"
                ),
                "en": notifications.preview_announcement(
                    occurrence, announcement=draft, locale="en"
                ),
            }
    elif form.is_submitted():
        status = 422
    return render_template(
        "notifications/announce.html",
        occurrence=occurrence,
        form=form,
        preview=preview,
        sent=notifications.announcements_of(occurrence.id),
    ), status


# --- The outbox ------------------------------------------------------------------------------


def _enum_arg(name: str, enum_cls: type) -> object | None:
    value = request.args.get(name) or None
    try:
        return enum_cls(value) if value else None
    except ValueError:
        abort(400)


@bp.route("/organize/centers/<slug>/outbox")
@require_role(Role.organizer)
def outbox_list(slug: str):
    center = managed_center(slug)
    status = _enum_arg("status", OutboxStatus)
    kind = _enum_arg("kind", MessageKind)
    occurrence_id = request.args.get("occurrence", type=id_arg)
    page = outbox_page.outbox_page(
        center_id=center.id,
        status=status,
        kind=kind,
        recipient=request.args.get("q", ""),
        occurrence_id=occurrence_id,
        page=request.args.get("page", 1, type=page_arg),
        now=utcnow(),
    )
    return render_template(
        "notifications/outbox.html",
        center=center,
        page=page,
        filters={
            "status": status.value if status else "",
            "kind": kind.value if kind else "",
            "q": request.args.get("q", ""),
            "occurrence": occurrence_id or "",
        },
        status_labels=STATUS_LABELS,
        kind_labels=KIND_LABELS,
    )


def _managed_message(message_id: int) -> outbox.OutboxMessage:
    # A missing message and another center's answer the same 404: ids reveal nothing.
    message = db.session.get(outbox.OutboxMessage, message_id)
    if message is None or message.center_id is None:
        abort(404)
    require_organizer_of(message.center_id)
    return message


@bp.route("/organize/outbox/<int:message_id>")
@require_role(Role.organizer)
def outbox_message(message_id: int):
    message = _managed_message(message_id)
    return render_template(
        "notifications/message.html",
        message=message,
        center=db.session.get(Center, message.center_id),
        eml=outbox_page.eml_copy(message),
        form=ActionForm(),
    )


@bp.route("/organize/outbox/<int:message_id>/html")
@require_role(Role.organizer)
def outbox_message_html(message_id: int):
    """The HTML part alone, for the sandboxed frame on the message page."""
    message = _managed_message(message_id)
    response = make_response(message.body_html or "")
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    # No scripts, no loads from elsewhere: the HTML is shown, never run.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
    )
    return response


@bp.route("/organize/outbox/<int:message_id>.eml")
@require_role(Role.organizer)
def outbox_message_eml(message_id: int):
    message = _managed_message(message_id)
    path = outbox_page.eml_copy(message)
    if path is None:
        abort(404)
    return send_file(
        Path(path),
        mimetype="message/rfc822",
        as_attachment=True,
        download_name=f"eventhub-{message.id}.eml",
    )


def _act_on_message(message_id: int, action, *, done: str):
    """Run `action(message)` from a button on the message's page, and go back to it."""
    message = _managed_message(message_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return act_then_redirect(
        lambda: action(message),
        done=done,
        back=url_for("notifications.outbox_message", message_id=message.id),
    )


@bp.route("/organize/outbox/<int:message_id>/retry", methods=["POST"])
@require_role(Role.organizer)
def outbox_retry(message_id: int):
    return _act_on_message(
        message_id,
        lambda message: outbox.retry_message(message, now=utcnow()),
        done=_("The message will be sent again with the next dispatch."),
    )


@bp.route("/organize/outbox/<int:message_id>/cancel", methods=["POST"])
@require_role(Role.organizer)
def outbox_cancel(message_id: int):
    reason = f"{outbox.CANCELLED_BY_PERSON}{current_user.email}"
    if not is_confirmed():
        message = _managed_message(message_id)
        return ask_to_confirm(
            question=_("Cancel this message?"),
            consequence=_(
                "%(recipient)s will not receive “%(subject)s”. You can undo this on the "
                "message's page until it is sent.",
                recipient=message.recipient,
                subject=message.subject,
            ),
            button=_("Yes, cancel the message"),
            back=url_for("notifications.outbox_message", message_id=message.id),
        )
    return _act_on_message(
        message_id,
        lambda message: outbox.cancel_message(message, reason=reason),
        done=_("The message has been cancelled."),
    )


@bp.route("/organize/outbox/<int:message_id>/restore", methods=["POST"])
@require_role(Role.organizer)
def outbox_restore(message_id: int):
    return _act_on_message(
        message_id,
        lambda message: outbox.restore_message(message),
        done=_("The cancellation has been undone; the message will be sent."),
    )


# --- Preferences and one-click unsubscribe -----------------------------------------------------


@bp.route("/notifications/preferences/<token>", methods=["GET", "POST"])
def preferences(token: str):
    email = notifications.email_for_token(token)
    form = PreferencesForm()
    if request.method == "GET":
        form.reminders_enabled.data = notifications.reminders_enabled(email)
    if form.validate_on_submit():
        notifications.set_reminders(email, enabled=form.reminders_enabled.data, now=utcnow())
        flash(_("Your notification settings have been saved."), "success")
        return redirect(url_for("notifications.preferences", token=token), code=303)
    return render_template("notifications/preferences.html", form=form, email=email)


@bp.route("/notifications/preferences")
@login_required
def my_preferences():
    if not current_user.is_email_verified:
        # The token below controls the mail of that address for good: only its proven owner
        # gets it.
        return redirect(url_for("accounts.verify_pending"), code=303)
    return redirect(
        url_for(
            "notifications.preferences", token=notifications.preference_token(current_user.email)
        )
    )


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail program posts "List-Unsubscribe=One-Click" without a form
def unsubscribe(token: str):
    email = notifications.email_for_token(token)
    if request.method != "POST":
        # GET and HEAD (mail scanners, link previews) only show the way; the POST acts.
        return redirect(url_for("notifications.preferences", token=token))
    notifications.set_reminders(email, enabled=False, now=utcnow())
    return render_template("notifications/unsubscribed.html", email=email)
