"""Who may do what: roles, and who organizes which center (the one definition of both)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, redirect, url_for
from flask_login import AnonymousUserMixin, current_user

from eventhub.accounts.models import Role, User
from eventhub.extensions import login

F = TypeVar("F", bound=Callable[..., Any])


def require_role(*roles: Role) -> Callable[[F], F]:
    """Anonymous users are sent to log in; signed-in users without one of `roles` get 403.

    Admins pass every check. A startup or investor whose email address is not confirmed yet is
    sent to the "check your mail" page: nothing addressed to that email is theirs until then.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login.unauthorized()
            if current_user.role != Role.admin and current_user.role not in roles:
                abort(403)
            if not current_user.is_email_verified:
                return redirect(url_for("accounts.verify_pending"), code=303)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def organizes_every_center(user: User | AnonymousUserMixin) -> bool:
    """Admins organize every center."""
    return getattr(user, "is_authenticated", False) and user.role == Role.admin


def can_organize(user: User | AnonymousUserMixin, center_id: int) -> bool:
    """Admins organize every center; organizers only the centers they belong to."""
    if not getattr(user, "is_authenticated", False):
        return False
    if organizes_every_center(user):
        return True
    return user.role == Role.organizer and any(c.id == center_id for c in user.centers)


def require_organizer_of(center_id: int) -> None:
    """Abort with 404 unless the current user organizes `center_id`: to an organizer of another
    center an object of this one looks exactly like one that does not exist."""
    if not can_organize(current_user, center_id):
        abort(404)
