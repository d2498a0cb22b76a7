"""Reading an uploaded directory file (CSV or XLSX) within fixed bounds.

What an upload may cost is bounded before the work starts, not discovered after it:

- the upload itself: `INVESTOR_IMPORT_MAX_BYTES`;
- an XLSX is a zip: the sizes its members declare are summed before anything is decompressed,
  and a file that declares more than `INVESTOR_IMPORT_MAX_UNZIPPED_BYTES` (a zip bomb) is
  refused at once. A member that lies about its size cannot get past this either: Python's
  zipfile stops reading a member at its declared size (and then fails its CRC check);
- the workbook is read with openpyxl in read-only mode, which streams the sheet instead of
  building it in memory, with the sheet's declared dimensions ignored and at most
  `MAX_COLUMNS` columns read per row;
- the header row is checked before any other row is read;
- at most `INVESTOR_IMPORT_MAX_ROWS` rows after the header (blank ones included, since they
  cost time too); one more and the file is refused with a message saying how many are allowed.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator

from flask import current_app
from flask_babel import gettext as _

from eventhub.core.errors import InvalidInput

# More than the nine known columns, so that a misspelt one is reported by name; a sheet
# with thousands of columns is not read past this.
MAX_COLUMNS = 30
MAX_ZIP_MEMBERS = 200


def max_rows() -> int:
    return current_app.config["INVESTOR_IMPORT_MAX_ROWS"]


def check_size(data: bytes) -> None:
    """InvalidInput when the upload is larger than allowed."""
    limit = current_app.config["INVESTOR_IMPORT_MAX_BYTES"]
    if len(data) > limit:
        raise InvalidInput(
            _("The file is larger than %(size)s. Split it into smaller files.", size=_mb(limit))
        )


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding: UTF-8 (with or without BOM) or CP949, as Korean Excel saves CSV."""
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        _("The file is neither UTF-8 nor CP949 (EUC-KR) text. Save it as CSV UTF-8 and try again.")
    )


def check_archive(data: bytes) -> None:
    """Refuse an XLSX whose zip declares more members or more content than allowed, before
    anything in it is decompressed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise InvalidInput(_("This XLSX file could not be read.")) from exc
    limit = current_app.config["INVESTOR_IMPORT_MAX_UNZIPPED_BYTES"]
    if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > limit:
        raise InvalidInput(
            _(
                "This XLSX file unpacks to more than %(size)s. Save only the investor list "
                "in it, or use CSV.",
                size=_mb(limit),
            )
        )


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    check_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.active
        # Ignore the dimensions the file declares: they would pad every row to them.
        sheet.reset_dimensions()
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            yield ["" if cell is None else str(cell) for cell in row]
    except InvalidInput:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InvalidInput(_("This XLSX file could not be read.")) from exc


def _csv_rows(text: str) -> Iterator[list[str]]:
    if "\x00" in text:  # no spreadsheet writes one; PostgreSQL's text cannot hold it
        raise InvalidInput(_("This CSV file could not be read."))
    try:
        for row in csv.reader(io.StringIO(text)):
            yield row[:MAX_COLUMNS]
    except csv.Error as exc:
        raise InvalidInput(_("This CSV file could not be read.")) from exc


def open_table(data: bytes, filename: str) -> tuple[Iterator[list[str]], str]:
    """The file's rows, read lazily, and its encoding ("xlsx" for a workbook)."""
    check_size(data)
    if filename.lower().endswith(".xlsx"):
        return _xlsx_rows(data), "xlsx"
    text, encoding = decode(data)
    return _csv_rows(text), encoding


def numbered_rows(rows: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for the rows after the header, refusing a file with too many."""
    limit = max_rows()
    for count, (line, raw) in enumerate(enumerate(rows, start=2), start=1):
        if count > limit:
            raise InvalidInput(
                _(
                    "The file has more than %(n)d rows. Import at most %(n)d investors at a "
                    "time: split the file and import each part.",
                    n=limit,
                )
            )
        yield line, raw
