"""Account pages. Views are thin: forms validate, services decide, the request commits."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from eventhub.accounts import bp
from eventhub.accounts import services as accounts
from eventhub.accounts.forms import (
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


def _next_url() -> str:
    target = request.args.get("next")
    return target if is_safe_redirect(target) else url_for("centers.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                email=form.email.data, password=form.password.data, now=utcnow()
            )
        except DomainError as exc:
            form.password.errors.append(str(exc.message))
            return render_template("accounts/login.html", form=form), exc.status
        login_user(user)
        flash(_("Welcome, %(name)s.", name=user.display_name), "success")
        return redirect(_next_url())
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("centers.index"))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = accounts.sign_up(
                email=form.email.data,
                password=form.password.data,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                organization=form.organization.data,
                locale=select_locale(),
                now=utcnow(),
            )
        except accounts.EmailTaken as exc:
            form.email.errors.append(str(exc.message))
            return render_template("accounts/signup.html", form=form), exc.status
        except accounts.WeakPassword as exc:
            form.password.errors.append(str(exc.message))
            return render_template("accounts/signup.html", form=form), 422
        login_user(user)
        flash(_("Your account is ready."), "success")
        return redirect(url_for("centers.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/signup.html", form=form), status


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
            form.password.errors.append(str(exc.message))
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
    return render_template("accounts/settings.html", form=form), status


@bp.route("/language", methods=["POST"])
def set_language():
    locale = request.form.get("locale", "")
    if locale in ("ko", "en"):
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
    target = request.form.get("next")
    return redirect(target if is_safe_redirect(target) else url_for("centers.index"))
