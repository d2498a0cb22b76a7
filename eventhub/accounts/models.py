"""Users, their profiles, and password-reset tokens."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.audit import Tracked
from eventhub.core.clock import utcnow
from eventhub.core.db import LimitedText, UTCDateTime, enum_column
from eventhub.extensions import db

if TYPE_CHECKING:
    from eventhub.centers.models import Center


class Role(StrEnum):
    admin = "admin"
    organizer = "organizer"
    startup = "startup"
    investor = "investor"


class Stage(StrEnum):
    pre_seed = "pre_seed"
    seed = "seed"
    pre_a = "pre_a"
    series_a = "series_a"
    series_b = "series_b"
    series_c_plus = "series_c_plus"


investor_center = sa.Table(
    "investor_center",
    db.metadata,
    sa.Column(
        "investor_id",
        sa.ForeignKey("investor_profile.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("center_id", sa.ForeignKey("center.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "user"
    __audit__ = Tracked(secret=frozenset({"password_hash"}))
    __table_args__ = (
        # Emails are stored lower-cased; with the unique constraint this makes them unique
        # regardless of case, enforced by the database.
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
        sa.CheckConstraint("locale IN ('ko', 'en')", name="locale_supported"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    locale: Mapped[str] = mapped_column(sa.String(5), default="ko")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Seoul")
    is_active_account: Mapped[bool] = mapped_column(default=True)
    # Made by `eventhub seed-demo`: shown as demo data on the admin screens.
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the person opened a verification link sent to `email` (or a reset link, which
    # proves the same). Until then nothing addressed to that email is linked to the account.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What an investor typed as their firm at sign-up: their directory entry is created from it
    # only once the address is verified.
    signup_organization: Mapped[str | None] = mapped_column(sa.String(200))
    # Part of the session id: raising it ends every session of the user on the server side.
    session_version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))

    centers: Mapped[list[Center]] = relationship(
        secondary="organizer_membership", back_populates="organizers"
    )
    startup_profile: Mapped[StartupProfile | None] = relationship(back_populates="user")
    investor_profile: Mapped[InvestorProfile | None] = relationship(back_populates="user")

    @property
    def is_active(self) -> bool:  # Flask-Login reads this
        return self.is_active_account

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def session_fingerprint(self) -> str:
        """Changes whenever the password changes, which ends every other session."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}.{self.session_fingerprint}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class PasswordResetToken(db.Model):
    """A single-use, expiring reset link. Only the SHA-256 of the token is stored."""

    __tablename__ = "password_reset_token"
    __table_args__ = (sa.CheckConstraint("expires_at > created_at", name="expires_after_created"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class StartupProfile(db.Model):
    """A startup and its intake questionnaire (사전 문진), filled once and reused."""

    __tablename__ = "startup_profile"
    __audit__ = Tracked()
    __table_args__ = (
        sa.CheckConstraint("amount_sought_krw >= 0", name="amount_sought_not_negative"),
        sa.CheckConstraint("team_size >= 1", name="team_size_positive"),
        sa.CheckConstraint(
            "business_registration_number IS NULL OR length(business_registration_number) = 10",
            name="brn_ten_digits",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), unique=True
    )
    company_name: Mapped[str] = mapped_column(sa.String(200))
    business_registration_number: Mapped[str | None] = mapped_column(sa.String(10), unique=True)
    founded_date: Mapped[date | None]
    industry: Mapped[str | None] = mapped_column(sa.String(32))
    stage: Mapped[Stage | None] = mapped_column(enum_column(Stage, "stage"))
    amount_sought_krw: Mapped[int | None] = mapped_column(sa.BigInteger)
    one_liner: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(LimitedText(5000))
    deck_url: Mapped[str | None] = mapped_column(sa.String(500))
    team_size: Mapped[int | None]
    contact_name: Mapped[str | None] = mapped_column(sa.String(100))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(30))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User | None] = relationship(back_populates="startup_profile")

    @property
    def mail_address(self) -> str | None:
        """Where mail to the startup goes: its contact, else its account's address."""
        return self.contact_email or (self.user.email if self.user else None)

    @property
    def mail_locale(self) -> str:
        """The language of mail to the startup: its account's, Korean without one."""
        return self.user.locale if self.user else "ko"


class InvestorProfile(db.Model):
    """An investor in the directory; may exist without an account (invited by email)."""

    __tablename__ = "investor_profile"
    __audit__ = Tracked()
    __table_args__ = (
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
        sa.CheckConstraint(
            "ticket_min_krw IS NULL OR ticket_min_krw >= 0", name="ticket_min_not_negative"
        ),
        sa.CheckConstraint(
            "ticket_max_krw IS NULL OR ticket_min_krw IS NULL OR ticket_max_krw >= ticket_min_krw",
            name="ticket_range_ordered",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), unique=True
    )
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    firm: Mapped[str] = mapped_column(sa.String(200))
    person_name: Mapped[str] = mapped_column(sa.String(100))
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    focus_industries: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    stages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    ticket_min_krw: Mapped[int | None] = mapped_column(sa.BigInteger)
    ticket_max_krw: Mapped[int | None] = mapped_column(sa.BigInteger)
    notes: Mapped[str | None] = mapped_column(LimitedText(5000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User | None] = relationship(back_populates="investor_profile")

    @property
    def mail_locale(self) -> str:
        """The language of mail to the investor: their account's, Korean without one."""
        return self.user.locale if self.user else "ko"

    centers: Mapped[list[Center]] = relationship(secondary=investor_center)
