"""The investor directory: entries (with or without an account), their email addresses, and
addresses pasted by an organizer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from eventhub.accounts.models import InvestorProfile
from eventhub.centers.models import Center
from eventhub.core.errors import InvalidInput
from eventhub.extensions import db
from eventhub.invitations.services.errors import (
    EmailOwnedByAccount,
)


def normalize_email(value: str) -> str:
    """A valid email address, lower-cased; InvalidInput with the reason otherwise."""
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(_("“%(email)s” is not a valid email address.", email=value)) from exc


def _codes(text: str, allowed: Iterable[str], what: str) -> list[str]:
    values = [v.strip() for v in text.replace(",", ";").split(";") if v.strip()]
    allowed = set(allowed)
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise InvalidInput(_("Unknown %(what)s: %(values)s", what=what, values=", ".join(unknown)))
    return values


# pg_advisory_xact_lock key of directory writes (the bytes of "invdir").
_DIRECTORY_LOCK = int.from_bytes(b"invdir", "big")


def lock_directory() -> None:
    """Directory entries are found by email and made when missing: two requests making the same
    entry at once (an invitation and an import naming one new address) would both find none,
    and the second insert would hit the unique email (a 500). On PostgreSQL such writes take
    this transaction-long lock first, so the second sees the first's entry; on SQLite the
    write transaction (BEGIN IMMEDIATE) already lets one writer in at a time."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _DIRECTORY_LOCK})


def save_investor(
    investor: InvestorProfile | None,
    *,
    email: str,
    firm: str,
    person_name: str,
    phone: str | None = None,
    focus_industries: Iterable[str] = (),
    stages: Iterable[str] = (),
    ticket_min_krw: int | None = None,
    ticket_max_krw: int | None = None,
    notes: str | None = None,
    center_ids: Iterable[int] = (),
    now: datetime,
) -> InvestorProfile:
    """Create or update a directory entry (matched by email, case-insensitively)."""
    email = normalize_email(email)
    lock_directory()
    existing = db.session.scalar(sa.select(InvestorProfile).where(InvestorProfile.email == email))
    if investor is None:
        investor = existing or InvestorProfile(email=email, created_at=now)
        db.session.add(investor)
    elif existing is not None and existing.id != investor.id:
        raise InvalidInput(_("Another investor in the directory already uses this email address."))
    elif investor.user_id is not None and email != investor.email:
        # The address of an entry an account owns is the account's verified address: changing
        # it here would send that person's invitations and RSVP links elsewhere.
        raise EmailOwnedByAccount()
    if (
        ticket_min_krw is not None
        and ticket_max_krw is not None
        and ticket_max_krw < ticket_min_krw
    ):
        raise InvalidInput(_("The largest ticket is smaller than the smallest."))
    investor.email, investor.firm, investor.person_name = email, firm.strip(), person_name.strip()
    investor.phone = phone or None
    investor.focus_industries = list(focus_industries)
    investor.stages = list(stages)
    investor.ticket_min_krw, investor.ticket_max_krw = ticket_min_krw, ticket_max_krw
    investor.notes = notes or None
    ids = list(center_ids)
    if ids:
        investor.centers = list(db.session.scalars(sa.select(Center).where(Center.id.in_(ids))))
    investor.updated_at = now
    db.session.flush()
    return investor


def directory(
    *, industry: str | None = None, stage: str | None = None, center_id: int | None = None
) -> list[InvestorProfile]:
    """The directory, filtered by focus industry, stage and center (in Python: JSON lists)."""
    rows = db.session.scalars(
        sa.select(InvestorProfile).order_by(InvestorProfile.firm, InvestorProfile.id)
    )
    result = []
    for investor in rows:
        if industry and industry not in (investor.focus_industries or []):
            continue
        if stage and stage not in (investor.stages or []):
            continue
        if center_id and center_id not in {c.id for c in investor.centers}:
            continue
        result.append(investor)
    return result


def investors_for_emails(text: str, *, now: datetime) -> list[InvestorProfile]:
    """Pasted addresses (comma, space or newline separated) as directory entries; an address
    not in the directory yet gets a minimal entry that the organizer can complete later."""
    result = []
    lock_directory()
    for raw in text.replace(",", " ").replace(";", " ").split():
        email = normalize_email(raw)
        investor = db.session.scalar(
            sa.select(InvestorProfile).where(InvestorProfile.email == email)
        )
        if investor is None:
            local, domain = email.split("@", 1)
            investor = InvestorProfile(
                email=email, firm=domain, person_name=local, created_at=now, updated_at=now
            )
            db.session.add(investor)
            db.session.flush()
        if investor not in result:
            result.append(investor)
    return result
