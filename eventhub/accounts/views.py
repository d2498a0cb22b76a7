"""Account pages. Views are thin: forms validate, services decide, the request commits."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from eventhub.accounts import bp
from eventhub.accounts import services as accounts
from eventhub.accounts.forms import (
    ActionForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
    SettingsForm,
    SignupForm,
)
from eventhub.accounts.models import Role
from eventhub.core.clock import utcnow
from eventhub.core.errors import DomainError
from eventhub.core.i18n import select_locale
from eventhub.core.urls import is_safe_redirect
from eventhub.core.web import refusal
from eventhub.extensions import csrf


def _next_url() -> str:
    """Where to go after logging in: the page that asked, else the person's own start page."""
    target = request.args.get("next")
    # "pages.start" by name: the composed pages sit above accounts and cannot be imported here.
    return target if is_safe_redirect(target) else url_for("pages.start")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                email=form.email.data, password=form.password.data, now=utcnow()
            )
        except DomainError as exc:
            form.password.errors.append(refusal(exc))
            return render_template("accounts/login.html", form=form), exc.status
        login_user(user)
        flash(_("Welcome, %(name)s.", name=user.display_name), "success")
        return redirect(_next_url())
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        # Ends the session on the server side too: a copy of the cookie stops working.
        accounts.end_sessions(current_user._get_current_object(), now=utcnow())
    logout_user()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("pages.index"))


@bp.route("/account/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    if not ActionForm().validate_on_submit():
        abort(400)
    accounts.end_sessions(current_user._get_current_object(), now=utcnow())
    logout_user()
    flash(_("You have been logged out on every device."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        try:
            accounts.sign_up(
                email=form.email.data,
                password=form.password.data,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                organization=form.organization.data,
                locale=select_locale(),
                now=utcnow(),
            )
        except accounts.WeakPassword as exc:
            form.password.errors.append(refusal(exc))
            return render_template("accounts/signup.html", form=form), 422
        # The same answer whether the address is new or already has an account (its owner is
        # emailed instead): sign-up must not tell who has an account.
        return redirect(url_for("accounts.check_mail"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/signup.html", form=form), status


@bp.route("/signup/check-mail")
def check_mail():
    return render_template("accounts/check_mail.html")


@bp.route("/account/verify")
@login_required
def verify_pending():
    if current_user.is_email_verified:
        return redirect(url_for("pages.start"))
    return render_template("accounts/verify_pending.html", form=ActionForm())


@bp.route("/account/verify/resend", methods=["POST"])
@login_required
def resend_verification():
    if not ActionForm().validate_on_submit():
        abort(400)
    if current_user.is_email_verified:
        return redirect(url_for("pages.index"), code=303)
    try:
        accounts.send_verification(current_user, now=utcnow())
    except accounts.TooManyEmails as exc:
        flash(refusal(exc), "error")
        return render_template("accounts/verify_pending.html", form=ActionForm()), exc.status
    flash(_("We have sent the link again. Check your mail."), "success")
    return redirect(url_for("accounts.verify_pending"), code=303)


@bp.route("/verify-email/<token>", methods=["GET", "POST"])
def verify_email(token: str):
    """A GET only shows the button: mail scanners open every link, a person presses it."""
    try:
        user = accounts.user_for_verification(token)
    except accounts.VerifyLinkInvalid as exc:
        return render_template("accounts/verify_invalid.html", message=exc.message), exc.status
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        accounts.verify_email(token=token, now=utcnow())
        flash(_("Thank you: your email address is confirmed."), "success")
        if current_user.is_authenticated and current_user.id == user.id:
            return redirect(url_for("pages.start"), code=303)
        return redirect(url_for("accounts.login"), code=303)
    return render_template("accounts/verify_email.html", form=form, email=user.email)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(email=form.email.data, now=utcnow())
        # The same answer whether or not the account exists.
        flash(
            _("If an account exists for that address, we have emailed a link to reset it."),
            "info",
        )
        return redirect(url_for("accounts.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/forgot_password.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        accounts.find_reset_token(token, now=utcnow())
    except accounts.ResetLinkInvalid as exc:
        return render_template("accounts/reset_invalid.html", message=exc.message), 410
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token=token, new_password=form.password.data, now=utcnow())
        except accounts.WeakPassword as exc:
            form.password.errors.append(refusal(exc))
            return render_template("accounts/reset_password.html", form=form), 422
        except accounts.ResetLinkInvalid as exc:
            return render_template("accounts/reset_invalid.html", message=exc.message), 410
        logout_user()
        flash(_("Your password has been changed. Please log in."), "success")
        return redirect(url_for("accounts.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/reset_password.html", form=form), status


@bp.route("/account", methods=["GET", "POST"])
@login_required
def settings():
    form = SettingsForm(obj=current_user)
    if form.validate_on_submit():
        accounts.update_settings(
            current_user,
            display_name=form.display_name.data,
            locale=form.locale.data,
            timezone=form.timezone.data,
        )
        flash(_("Your settings have been saved."), "success")
        return redirect(url_for("accounts.settings"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/settings.html", form=form, logout_form=ActionForm()), status


@bp.route("/language", methods=["POST"])
@csrf.exempt
def set_language():
    """The language switcher of every page. An anonymous visitor's choice is kept in the
    session only and changes nothing else, so their form carries no CSRF token: public pages
    then need no session, and send no cookie (issue 13, docs/security.md). A logged-in user's
    choice is also their stored setting (mail follows it), so theirs is checked as any form."""
    if current_user.is_authenticated:
        csrf.protect()
    locale = request.form.get("locale", "")
    if locale in ("ko", "en"):
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
    target = request.form.get("next")
    return redirect(target if is_safe_redirect(target) else url_for("pages.index"))
