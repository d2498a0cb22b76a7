"""What an admin changes: a user's role and memberships, whether the account is active, a
center's details. Audit entries come from the models' field tracking (`core.audit`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from eventhub.accounts import services as accounts
from eventhub.accounts.models import Role, User
from eventhub.centers.models import Center, OrganizerMembership
from eventhub.core.errors import DomainError
from eventhub.extensions import db

PAGE_SIZE = 50


class OwnAccount(DomainError):
    status = 409
    message = _l("You cannot take away your own admin role or deactivate yourself.")


class AlreadyVerified(DomainError):
    status = 409
    message = _l("This email address is already confirmed.")


def search_users(*, text: str, role: Role | None, page: int) -> tuple[list[User], bool]:
    """Users whose email or name contains `text`, optionally of one role; a page of them."""
    query = sa.select(User)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            sa.or_(
                User.email.ilike(pattern, escape="\\"),
                User.display_name.ilike(pattern, escape="\\"),
            )
        )
    if role is not None:
        query = query.where(User.role == role)
    rows = list(
        db.session.scalars(
            query.order_by(User.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
        )
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def update_user(user: User, *, role: Role, center_ids: list[int], acting: User) -> None:
    """Set the role and, for an organizer, exactly the centers they organize."""
    if user.id == acting.id and role != Role.admin:
        raise OwnAccount()
    user.role = role
    wanted = set(center_ids) if role == Role.organizer else set()
    current = {
        m.center_id: m
        for m in db.session.scalars(
            sa.select(OrganizerMembership).where(OrganizerMembership.user_id == user.id)
        )
    }
    for center_id, membership in current.items():
        if center_id not in wanted:
            db.session.delete(membership)
    known = set(db.session.scalars(sa.select(Center.id).where(Center.id.in_(wanted))))
    for center_id in sorted(known - set(current)):
        db.session.add(OrganizerMembership(user_id=user.id, center_id=center_id))
    db.session.flush()
    db.session.expire(user, ["centers"])


def set_active(user: User, *, active: bool, acting: User, now: datetime) -> None:
    """Deactivate (and log out everywhere) or reactivate an account. Accounts are never
    deleted: the audit log keeps naming them."""
    if user.id == acting.id and not active:
        raise OwnAccount()
    user.is_active_account = active
    if not active:
        accounts.end_sessions(user, now=now)


def resend_verification(user: User, *, now: datetime) -> None:
    if user.is_email_verified:
        raise AlreadyVerified()
    accounts.send_verification(user, now=now, limited=False)


@dataclass(frozen=True)
class CenterValues:
    name_ko: str
    name_en: str
    industries: list[str]
    contact_email: str | None
    contact_phone: str | None
    logo_url: str | None
    shows_public_summary: bool


def update_center(center: Center, values: CenterValues) -> None:
    for key, value in values.__dict__.items():
        setattr(center, key, value)
    db.session.flush()
