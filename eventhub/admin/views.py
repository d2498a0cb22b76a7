"""Admin screens: users and centers (admins only; everyone else gets 403)."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventhub.accounts.auth import require_role
from eventhub.accounts.models import Role, User
from eventhub.admin import bp
from eventhub.admin import services as admin
from eventhub.admin.forms import ActionForm, CenterForm, UserForm
from eventhub.centers import services as centers
from eventhub.centers.access import center_or_404
from eventhub.core.clock import utcnow
from eventhub.core.errors import DomainError
from eventhub.core.security import page_arg
from eventhub.core.web import act_then_redirect, refusal
from eventhub.extensions import db


@bp.route("/")
@require_role(Role.admin)
def index():
    return redirect(url_for("admin.users"))


@bp.route("/users")
@require_role(Role.admin)
def users():
    text = request.args.get("q", "").strip()[:254]
    role_arg = request.args.get("role", "")
    role = Role(role_arg) if role_arg in Role.__members__ else None
    page = request.args.get("page", 1, type=page_arg)
    found, has_next = admin.search_users(text=text, role=role, page=page)
    return render_template(
        "admin/users.html", users=found, has_next=has_next, page=page, q=text, role=role_arg
    )


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require_role(Role.admin)
def user(user_id: int):
    person = _user_or_404(user_id)
    form = UserForm()
    all_centers = centers.list_centers()
    form.centers.choices = [(c.id, c.name) for c in all_centers]
    if request.method == "GET":
        form.role.data = person.role.value
        form.centers.data = [c.id for c in person.centers]
    status = 200
    if form.validate_on_submit():
        try:
            admin.update_user(
                person,
                role=Role(form.role.data),
                center_ids=list(form.centers.data or []),
                acting=current_user,
            )
        except DomainError as exc:
            form.role.errors = [refusal(exc)]
            person = _user_or_404(user_id)
            status = exc.status
        else:
            return redirect(url_for("admin.user", user_id=person.id), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("admin/user.html", person=person, form=form, action=ActionForm()), status


@bp.route("/users/<int:user_id>/<any(deactivate, activate, resend):verb>", methods=["POST"])
@require_role(Role.admin)
def user_action(user_id: int, verb: str):
    person = _user_or_404(user_id)
    back = url_for("admin.user", user_id=person.id)
    if not ActionForm().validate_on_submit():
        abort(400)
    now = utcnow()
    if verb == "resend":
        return act_then_redirect(
            lambda: admin.resend_verification(person, now=now),
            done=_("The confirmation email is on its way."),
            back=back,
        )
    active = verb == "activate"
    return act_then_redirect(
        lambda: admin.set_active(person, active=active, acting=current_user, now=now),
        done=_("The account is active.") if active else _("The account is deactivated."),
        back=back,
    )


@bp.route("/centers")
@require_role(Role.admin)
def centers_list():
    return render_template("admin/centers.html", centers=centers.list_centers())


@bp.route("/centers/<slug>", methods=["GET", "POST"])
@require_role(Role.admin)
def center(slug: str):
    found = center_or_404(slug)
    form = CenterForm(obj=found)
    if form.validate_on_submit():
        admin.update_center(
            found,
            admin.CenterValues(
                name_ko=form.name_ko.data,
                name_en=form.name_en.data,
                industries=list(form.industries.data or []),
                contact_email=(form.contact_email.data or "").lower() or None,
                contact_phone=form.contact_phone.data or None,
                logo_url=form.logo_url.data or None,
                shows_public_summary=bool(form.shows_public_summary.data),
            ),
        )
        return redirect(url_for("admin.center", slug=found.slug), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/center.html", center=found, form=form), status
