"""The line-up as CSV (UTF-8 with a byte-order mark, for Excel) and XLSX.

Cells a spreadsheet would read as a formula (starting with =, +, -, @, or a tab or carriage
return) are neutralized with a leading apostrophe, as OWASP recommends against CSV injection.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask_babel import gettext as _

from eventhub.bookings import services as bookings
from eventhub.bookings.labels import stage_label
from eventhub.centers.industries import industry_label
from eventhub.series.models import Occurrence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: Any) -> Any:
    """A cell value that no spreadsheet will execute."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def lineup_rows(occurrence: Occurrence) -> list[list[Any]]:
    """Header and one row per slot, in time order."""
    tz = occurrence.tz
    header = [
        _("Slot"), _("Start"), _("End"), _("Status"), _("Company"), _("Industry"), _("Stage"),
        _("Amount sought (KRW)"), _("One-line pitch"), _("Deck link"), _("Contact person"),
        _("Phone"), _("Contact email"),
    ]  # fmt: skip
    rows: list[list[Any]] = [header]
    for view in bookings.slot_grid(occurrence.id):
        slot, booking = view.slot, view.booking
        answers = booking.intake_snapshot if booking else {}
        rows.append(
            [
                slot.position,
                slot.start_at.astimezone(tz).strftime("%H:%M"),
                slot.end_at.astimezone(tz).strftime("%H:%M"),
                {
                    bookings.SlotState.free: _("Free"),
                    bookings.SlotState.held: _("Booked"),
                    bookings.SlotState.blocked: _("Blocked"),
                }[view.state],
                answers.get("company_name") or "",
                industry_label(answers["industry"]) if answers.get("industry") else "",
                stage_label(answers.get("stage")),
                answers.get("amount_sought_krw") or "",
                answers.get("one_liner") or "",
                answers.get("deck_url") or "",
                answers.get("contact_name") or "",
                answers.get("contact_phone") or "",
                answers.get("contact_email") or "",
            ]
        )
    return [[neutralize(cell) for cell in row] for row in rows]


def to_csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: list[list[Any]], *, title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "".join(ch for ch in title if ch not in "[]:*?/\\") or "Line-up"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
