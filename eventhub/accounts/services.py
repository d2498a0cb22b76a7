"""Account use cases: sign-up, email verification, authentication, password reset, sessions.

Email ownership: a self-service account starts unverified. Only a signed, expiring link sent
to the address (or a password-reset link, which proves the same) verifies it, and only then is
the account linked to what was addressed to that email (an investor's directory entry, with its
invitations and line-ups). Sign-up answers the same whether or not the address is known.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeTimedSerializer
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
from eventhub.core.outbox import OutboxMessage
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


class VerifyLinkInvalid(DomainError):
    status = 410
    message = _l(
        "This confirmation link has expired or is not valid. Log in and ask for a new one."
    )


class TooManyEmails(DomainError):
    status = 429
    message = _l(
        "We have already sent several emails to this address. "
        "Please wait a little before asking for another one."
    )


VERIFY_SALT = "eventhub.verify-email"


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
    verified: bool = True,
) -> User:
    """Create a user with a hashed password, or raise EmailTaken / WeakPassword.

    An admin vouches for the users they create (`verified`); self sign-up passes False."""
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
        email_verified_at=now if verified else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
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
) -> User | None:
    """Register an unverified startup or investor and email them a confirmation link.

    When the address already has an account, its owner is emailed instead (someone tried to sign
    up; how to log in or reset) and None is returned: the caller answers the same either way.
    """
    if role not in (Role.startup, Role.investor):
        raise DomainError(_("Only startups and investors can sign up themselves."))
    email = normalize_email(email)
    check_password_strength(password, email=email)
    owner = db.session.scalar(sa.select(User).where(User.email == email))
    if owner is None:
        try:
            user = create_user(
                email=email,
                password=password,
                display_name=display_name,
                role=role,
                locale=locale,
                now=now,
                verified=False,
            )
        except EmailTaken:  # a concurrent sign-up with the same address won
            owner = db.session.scalar(sa.select(User).where(User.email == email))
        else:
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
                # The directory entry (an existing one with this address, or a new one) is
                # linked only when the address is verified.
                user.signup_organization = organization.strip()
            db.session.flush()
            audit.record("user.signed_up", obj=user, actor_id=user.id, now=now, role=str(role))
            send_verification(user, now=now, limited=False)
            return user
    # Do the same work as the other branch (a password hash, one email rendered), so that
    # neither the answer nor its time tells whether the address is known.
    hash_password(password)
    if owner is not None:
        _send_signup_attempt(owner, now=now)
    return None


def _recent_mail_count(prefix: str, *, since: datetime) -> tuple[int, datetime | None]:
    """How many outbox messages with keys starting `prefix` were written since `since`, and
    when the newest was."""
    count, newest = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(OutboxMessage.created_at)).where(
            OutboxMessage.key.startswith(prefix, autoescape=True),
            OutboxMessage.created_at > since,
        )
    ).one()
    return count, newest


def _mail_allowed(prefix: str, *, now: datetime) -> bool:
    """At most VERIFY_EMAILS_PER_DAY messages of a kind per account a day, one a minute."""
    count, newest = _recent_mail_count(prefix, since=now - timedelta(days=1))
    if count >= current_app.config["VERIFY_EMAILS_PER_DAY"]:
        return False
    interval = timedelta(seconds=current_app.config["VERIFY_RESEND_INTERVAL_SECONDS"])
    return newest is None or now - newest >= interval


def _send_signup_attempt(owner: User, *, now: datetime) -> None:
    prefix = f"signup-attempt:{owner.id}:"
    if not _mail_allowed(prefix, now=now):
        # Still render, so that the answer takes the same time; nothing is written.
        context = _attempt_context(owner)
        outbox.render_email("accounts/signup_attempt", locale=owner.locale, **context)
        return
    outbox.enqueue(
        key=f"{prefix}{now.isoformat()}",
        recipient=owner.email,
        locale=owner.locale,
        template="accounts/signup_attempt",
        now=now,
        **_attempt_context(owner),
    )
    audit.record("user.signup_attempted", obj=owner, actor_id=None, now=now)


def _attempt_context(owner: User) -> dict[str, str]:
    return {
        "user_name": owner.display_name,
        "login_url": external_url("accounts.login"),
        "reset_url": external_url("accounts.forgot_password"),
    }


def _verify_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=VERIFY_SALT)


def verification_token(user: User) -> str:
    """A signed token over the user and the address it confirms (a new address voids it)."""
    return _verify_serializer().dumps([user.id, user.email])


def send_verification(user: User, *, now: datetime, limited: bool = True) -> None:
    """Email `user` a link that confirms their address; TooManyEmails past the limit."""
    if user.is_email_verified:
        return
    prefix = f"verify-email:{user.id}:"
    if limited and not _mail_allowed(prefix, now=now):
        raise TooManyEmails()
    hours = current_app.config["EMAIL_VERIFY_TTL_HOURS"]
    outbox.enqueue(
        key=f"{prefix}{now.isoformat()}",
        recipient=user.email,
        locale=user.locale,
        template="accounts/verify_email",
        now=now,
        user_name=user.display_name,
        verify_url=external_url("accounts.verify_email", token=verification_token(user)),
        ttl_hours=hours,
    )


def user_for_verification(token: str) -> User:
    """The user a confirmation link belongs to, or VerifyLinkInvalid."""
    max_age = current_app.config["EMAIL_VERIFY_TTL_HOURS"] * 3600
    try:
        user_id, email = _verify_serializer().loads(token, max_age=max_age)
    except (BadData, ValueError, TypeError) as exc:
        raise VerifyLinkInvalid() from exc
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not isinstance(email, str) or user.email != email:
        raise VerifyLinkInvalid()
    return user


def verify_email(*, token: str, now: datetime) -> User:
    """Mark the address of the link's user as verified and link what was addressed to it."""
    user = user_for_verification(token)
    if not user.is_email_verified:
        _complete_verification(user, now=now)
    return user


def _complete_verification(user: User, *, now: datetime) -> None:
    user.email_verified_at = now
    if user.role == Role.investor and user.investor_profile is None:
        # An organizer may already have this investor in the directory: claim that entry,
        # now that the person has shown they read mail sent to its address.
        profile = db.session.scalar(
            sa.select(InvestorProfile).where(InvestorProfile.email == user.email)
        )
        if profile is None:
            profile = InvestorProfile(
                email=user.email,
                firm=user.signup_organization or user.email.split("@", 1)[1],
                person_name=user.display_name,
                created_at=now,
                updated_at=now,
            )
            db.session.add(profile)
        if profile.user_id is None:
            profile.user = user
    user.signup_organization = None
    db.session.flush()
    audit.record("user.email_verified", obj=user, actor_id=user.id, now=now)


def end_sessions(user: User, *, now: datetime) -> None:
    """End every session of `user` on the server side: old session cookies stop working."""
    user.session_version += 1
    audit.record("user.sessions_ended", obj=user, actor_id=user.id, now=now)


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
    """Email a single-use reset link if the account exists; say nothing either way.

    Both branches do the same work (a token, its hash, the email rendered), so that the answer
    takes the same time whether or not the address is known."""
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    token = secrets.token_urlsafe(32)
    token_hash = _token_hash(token)
    ttl_minutes = current_app.config["PASSWORD_RESET_TTL_MINUTES"]
    context = {
        "user_name": user.display_name if user is not None else "",
        "reset_url": external_url("accounts.reset_password", token=token),
        "ttl_minutes": ttl_minutes,
    }
    if user is None or not user.is_active_account:
        outbox.render_email("accounts/password_reset", locale="ko", **context)
        return
    reset = PasswordResetToken(
        user=user,
        token_hash=token_hash,
        created_at=now,
        expires_at=now + timedelta(minutes=ttl_minutes),
    )
    db.session.add(reset)
    db.session.flush()
    outbox.enqueue(
        key=f"password-reset:{reset.id}",
        recipient=user.email,
        locale=user.locale,
        template="accounts/password_reset",
        now=now,
        **context,
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
    if not user.is_email_verified:
        # The link arrived at the address: that proves it as well as a confirmation link.
        _complete_verification(user, now=now)
    audit.record("user.password_reset", obj=user, actor_id=user.id, now=now)
    return user


def update_settings(user: User, *, display_name: str, locale: str, timezone: str) -> User:
    """Change a user's name, language and time zone."""
    user.display_name = display_name.strip()
    user.locale = locale
    user.timezone = timezone
    return user
