"""The intake questionnaire: what a startup tells about itself once, kept on its profile and
copied into every booking it makes."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from eventhub.accounts.models import StartupProfile
from eventhub.core.errors import InvalidInput
from eventhub.extensions import db


class RegistrationNumberTaken(InvalidInput):
    # Lazy, like every message raised after a failed flush: the session cannot read (the
    # person's language) until the view has rolled it back.
    message = _l("Another startup is already registered with this business registration number.")


BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


INTAKE_FIELDS = (
    "company_name",
    "business_registration_number",
    "founded_date",
    "industry",
    "stage",
    "amount_sought_krw",
    "one_liner",
    "description",
    "deck_url",
    "team_size",
    "contact_name",
    "contact_phone",
    "contact_email",
)


REQUIRED_INTAKE = (
    "company_name",
    "industry",
    "stage",
    "one_liner",
    "contact_name",
    "contact_email",
)


def normalize_brn(value: str) -> str:
    """A business registration number as its ten digits (dashes and spaces dropped)."""
    return re.sub(r"[\s-]", "", value or "")


def brn_is_valid(value: str) -> bool:
    """The Korean business registration number check digit (사업자등록번호 검증)."""
    digits = normalize_brn(value)
    if not re.fullmatch(r"\d{10}", digits):
        return False
    numbers = [int(d) for d in digits]
    total = sum(n * w for n, w in zip(numbers[:9], BRN_WEIGHTS, strict=True))
    total += numbers[8] * 5 // 10
    return (10 - total % 10) % 10 == numbers[9]


def intake_missing(profile: StartupProfile) -> list[str]:
    """The required intake fields that are still empty."""
    return [name for name in REQUIRED_INTAKE if not getattr(profile, name)]


def update_intake(profile: StartupProfile, *, now: datetime, **answers: Any) -> StartupProfile:
    """Save the startup's intake answers (the form has validated them)."""
    for name in INTAKE_FIELDS:
        if name in answers:
            setattr(profile, name, answers[name])
    # Optional: a startup that is not incorporated yet has none (NULL, not an empty string).
    brn = normalize_brn(profile.business_registration_number or "")
    profile.business_registration_number = brn or None
    profile.updated_at = now
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise RegistrationNumberTaken() from exc
    return profile


def intake_snapshot(profile: StartupProfile) -> dict[str, Any]:
    """The intake answers as plain JSON, kept with every booking."""
    snapshot = {}
    for name in INTAKE_FIELDS:
        value = getattr(profile, name)
        snapshot[name] = (
            value.isoformat()
            if hasattr(value, "isoformat")
            else (value.value if hasattr(value, "value") else value)
        )
    return snapshot
