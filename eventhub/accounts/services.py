"""Account use cases: sign-up, authentication, password reset, user creation."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from eventhub.accounts.models import (
    InvestorProfile,
    PasswordResetToken,
    Role,
    StartupProfile,
    User,
)
from eventhub.core import audit, outbox
from eventhub.core.errors import DomainError
from eventhub.core.urls import external_url
from eventhub.extensions import db


class EmailTaken(DomainError):
    status = 409
    message = _l("An account with this email address already exists.")


class WeakPassword(DomainError):
    message = _l("This password is too weak.")


class InvalidCredentials(DomainError):
    status = 401
    message = _l("The email address or password is not correct.")


class ResetLinkInvalid(DomainError):
    message = _l("This password-reset link has expired or was already used. Ask for a new one.")


# A hash to compare against when the email is unknown, so that a wrong email and a wrong
# password take the same time.
_DUMMY_HASH: str | None = None


def normalize_email(email: str) -> str:
    """Emails are compared and stored lower-cased, without surrounding space."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def check_password_strength(password: str, *, email: str = "") -> None:
    """Raise WeakPassword with the reason when `password` is not acceptable."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise WeakPassword(_("Use at least %(n)d characters.", n=minimum))
    if password.isdigit() or password.isalpha():
        raise WeakPassword(_("Use both letters and digits or symbols."))
    if len(set(password)) < 5:
        raise WeakPassword(_("Use more different characters."))
    local_part = email.split("@", 1)[0].lower()
    if local_part and len(local_part) >= 4 and local_part in password.lower():
        raise WeakPassword(_("Do not use your email address in your password."))


def create_user(
    *,
    email: str,
    password: str,
    display_name: str,
    role: Role,
    now: datetime,
    locale: str = "ko",
    timezone: str = "Asia/Seoul",
) -> User:
    """Create a user with a hashed password, or raise EmailTaken / WeakPassword."""
    email = normalize_email(email)
    check_password_strength(password, email=email)
    exists = db.session.scalar(sa.select(User.id).where(User.email == email))
    if exists is not None:
        raise EmailTaken()
    user = User(
        email=email,
        password_hash=hash_password(password),
        display_name=display_name.strip(),
        role=role,
        locale=locale,
        timezone=timezone,
        created_at=now,
        password_changed_at=now,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as exc:  # a concurrent sign-up with the same email won
        raise EmailTaken() from exc
    return user


def sign_up(
    *,
    email: str,
    password: str,
    display_name: str,
    role: Role,
    organization: str,
    locale: str,
    now: datetime,
) -> User:
    """Register a startup or an investor, with the profile their role needs."""
    if role not in (Role.startup, Role.investor):
        raise DomainError(_("Only startups and investors can sign up themselves."))
    user = create_user(
        email=email,
        password=password,
        display_name=display_name,
        role=role,
        locale=locale,
        now=now,
    )
    if role == Role.startup:
        db.session.add(
            StartupProfile(
                user=user,
                company_name=organization.strip(),
                contact_name=user.display_name,
                contact_email=user.email,
                created_at=now,
                updated_at=now,
            )
        )
    else:
        # An organizer may already have this investor in the directory: claim that entry.
        profile = db.session.scalar(
            sa.select(InvestorProfile).where(InvestorProfile.email == user.email)
        )
        if profile is None:
            profile = InvestorProfile(
                email=user.email,
                firm=organization.strip(),
                person_name=user.display_name,
                created_at=now,
                updated_at=now,
            )
            db.session.add(profile)
        if profile.user_id is None:
            profile.user = user
    db.session.flush()
    audit.record("user.signed_up", obj=user, actor_id=user.id, now=now, role=str(role))
    return user


def authenticate(*, email: str, password: str, now: datetime) -> User:
    """The user with these credentials, or InvalidCredentials (same error for both mistakes)."""
    global _DUMMY_HASH
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_hex(8))
        check_password_hash(_DUMMY_HASH, password)
        raise InvalidCredentials()
    if not check_password_hash(user.password_hash, password) or not user.is_active_account:
        raise InvalidCredentials()
    user.last_login_at = now
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(*, email: str, now: datetime) -> None:
    """Email a single-use reset link if the account exists; say nothing either way."""
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user is None or not user.is_active_account:
        return
    token = secrets.token_urlsafe(32)
    ttl = timedelta(minutes=current_app.config["PASSWORD_RESET_TTL_MINUTES"])
    reset = PasswordResetToken(
        user=user, token_hash=_token_hash(token), created_at=now, expires_at=now + ttl
    )
    db.session.add(reset)
    db.session.flush()
    outbox.enqueue(
        key=f"password-reset:{reset.id}",
        recipient=user.email,
        locale=user.locale,
        template="accounts/password_reset",
        now=now,
        user_name=user.display_name,
        reset_url=external_url("accounts.reset_password", token=token),
        ttl_minutes=current_app.config["PASSWORD_RESET_TTL_MINUTES"],
    )
    audit.record("user.password_reset_requested", obj=user, actor_id=None, now=now)


def find_reset_token(token: str, *, now: datetime) -> PasswordResetToken:
    """The usable reset token for this link, or ResetLinkInvalid."""
    reset = db.session.scalar(
        sa.select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_hash(token))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        raise ResetLinkInvalid()
    return reset


def reset_password(*, token: str, new_password: str, now: datetime) -> User:
    """Set a new password through a reset link; the link works exactly once."""
    reset = find_reset_token(token, now=now)
    user = reset.user
    check_password_strength(new_password, email=user.email)
    table = PasswordResetToken.__table__
    # One conditional statement decides which of two simultaneous uses wins.
    claimed = db.session.execute(
        sa.update(table)
        .where(table.c.id == reset.id, table.c.used_at.is_(None), table.c.expires_at > now)
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        raise ResetLinkInvalid()
    # Every other outstanding link of this user dies with it.
    db.session.execute(
        sa.update(table)
        .where(table.c.user_id == user.id, table.c.used_at.is_(None))
        .values(used_at=now)
    )
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now
    audit.record("user.password_reset", obj=user, actor_id=user.id, now=now)
    return user


def update_settings(user: User, *, display_name: str, locale: str, timezone: str) -> User:
    """Change a user's name, language and time zone."""
    user.display_name = display_name.strip()
    user.locale = locale
    user.timezone = timezone
    return user
