"""Importing the investor directory from CSV or XLSX: a preview row by row, then the import.
The file is read within the bounds of `invitations.importing`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from eventhub.accounts.models import InvestorProfile, Stage
from eventhub.centers.industries import INDUSTRIES
from eventhub.core import audit
from eventhub.core.errors import DomainError, InvalidInput
from eventhub.extensions import db
from eventhub.invitations import importing
from eventhub.invitations.services.directory import (
    _codes,
    normalize_email,
    save_investor,
)

IMPORT_COLUMNS = ("email", "firm", "person_name")


OPTIONAL_COLUMNS = (
    "phone",
    "focus_industries",
    "stages",
    "ticket_min_krw",
    "ticket_max_krw",
    "notes",
)


# The Korean header of each column; a file may name its columns in either language.
KOREAN_HEADERS = {
    "email": "이메일",
    "firm": "회사",
    "person_name": "담당자",
    "phone": "전화",
    "focus_industries": "관심 산업",
    "stages": "투자 단계",
    "ticket_min_krw": "최소 투자액(원)",
    "ticket_max_krw": "최대 투자액(원)",
    "notes": "메모",
}
HEADER_ALIASES = {korean: code for code, korean in KOREAN_HEADERS.items()}


def template_header(locale: str) -> list[str]:
    """The header row of the import template, in Korean or English column names."""
    columns = IMPORT_COLUMNS + OPTIONAL_COLUMNS
    return [KOREAN_HEADERS[c] for c in columns] if locale == "ko" else list(columns)


def _column(name: str) -> str:
    name = name.strip()
    return HEADER_ALIASES.get(name, name.lower())


# The longest value each text column takes (the columns' sizes in the database).
IMPORT_LENGTHS = {"email": 254, "firm": 200, "person_name": 100, "phone": 30, "notes": 5000}


@dataclass
class ImportRow:
    line: int
    values: dict[str, Any]
    status: str  # "new", "updated" or "rejected"
    reason: str = ""


@dataclass
class ImportPreview:
    rows: list[ImportRow] = field(default_factory=list)
    encoding: str = ""

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    def shown(self, limit: int) -> list[ImportRow]:
        """The rows a preview page lists: rejected ones first (they need attention)."""
        rejected = [r for r in self.rows if r.status == "rejected"]
        return (rejected + [r for r in self.rows if r.status != "rejected"])[:limit]


def preview_import(data: bytes, filename: str) -> ImportPreview:
    """What importing the file would do, row by row, without writing anything.

    The file is read within the bounds of `invitations.importing` (size, unpacked size, rows),
    and its header is checked before any other row is read."""
    rows, encoding = importing.open_table(data, filename)
    first = next(rows, None)
    if first is None:
        raise InvalidInput(_("The file is empty."))
    header = [_column(h) for h in first]
    missing = [c for c in IMPORT_COLUMNS if c not in header]
    if missing:
        raise InvalidInput(
            _(
                "Columns missing: %(missing)s. The first row must name the columns: %(expected)s.",
                missing=", ".join(missing),
                expected=", ".join(IMPORT_COLUMNS + OPTIONAL_COLUMNS),
            )
        )
    unknown = [h for h in header if h and h not in IMPORT_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise InvalidInput(_("Unknown columns: %(columns)s.", columns=", ".join(unknown)))
    preview = ImportPreview(encoding=encoding)
    seen: set[str] = set()
    existing = set(db.session.scalars(sa.select(InvestorProfile.email)))
    for line, raw in importing.numbered_rows(rows):
        if not any(cell.strip() for cell in raw):
            continue
        values = {
            name: (raw[i].strip() if i < len(raw) else "") for i, name in enumerate(header) if name
        }
        row = ImportRow(line=line, values=values, status="new")
        try:
            email = normalize_email(values.get("email", ""))
            values["email"] = email
            if not values.get("firm") or not values.get("person_name"):
                raise InvalidInput(_("firm and person_name are required."))
            for name, longest in IMPORT_LENGTHS.items():
                if len(values.get(name, "")) > longest:
                    raise InvalidInput(
                        _("%(name)s is longer than %(n)d characters.", name=name, n=longest)
                    )
            values["focus_industries"] = _codes(
                values.get("focus_industries", ""), INDUSTRIES, _("industry")
            )
            values["stages"] = _codes(
                values.get("stages", ""), (s.value for s in Stage), _("stage")
            )
            for name in ("ticket_min_krw", "ticket_max_krw"):
                text = values.get(name, "").replace(",", "")
                if text and not (text.isascii() and text.isdigit() and len(text) <= 16):
                    raise InvalidInput(_("%(name)s must be a whole number of won.", name=name))
                values[name] = int(text) if text else None
            low, high = values["ticket_min_krw"], values["ticket_max_krw"]
            if low is not None and high is not None and high < low:
                raise InvalidInput(_("The largest ticket is smaller than the smallest."))
            if email in seen:
                raise InvalidInput(_("This email appears earlier in the file."))
            seen.add(email)
            row.status = "updated" if email in existing else "new"
        except DomainError as exc:
            row.status, row.reason = "rejected", str(exc.message)
        preview.rows.append(row)
    return preview


def apply_import(preview: ImportPreview, *, actor_id: int | None, now: datetime) -> int:
    """Write every accepted row, in the caller's one transaction. Returns how many."""
    written = 0
    for row in preview.rows:
        if row.status == "rejected":
            continue
        v = row.values
        save_investor(
            None,
            email=v["email"],
            firm=v["firm"],
            person_name=v["person_name"],
            phone=v.get("phone") or None,
            focus_industries=v["focus_industries"],
            stages=v["stages"],
            ticket_min_krw=v["ticket_min_krw"],
            ticket_max_krw=v["ticket_max_krw"],
            notes=v.get("notes") or None,
            now=now,
        )
        written += 1
    audit.record("investors.imported", obj=None, actor_id=actor_id, now=now, rows=written)
    return written
