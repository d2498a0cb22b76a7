"""Directory imports within bounds: hostile files are refused with a message, cheaply
(issue 14). The tests build the hostile files themselves."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from eventhub.accounts.models import InvestorProfile
from eventhub.core.errors import InvalidInput
from eventhub.invitations import services as invitations
from tests.conftest import post_form

EN = {"Accept-Language": "en"}
HEADER = ["email", "firm", "person_name"]


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv(count: int) -> bytes:
    lines = ["email,firm,person_name"]
    lines += [f"vc{i}@fund.example,Fund {i},사람 {i}" for i in range(count)]
    return ("\n".join(lines) + "\n").encode()


def _refusal(app, data: bytes, filename: str) -> str:
    with app.test_request_context(headers=EN), pytest.raises(InvalidInput) as refused:
        invitations.preview_import(data, filename)
    return str(refused.value.message)


def test_import_refuses_an_xlsx_zip_bomb_from_its_declared_sizes(app, db):
    workbook = _xlsx([HEADER, ["a@fund.example", "A Fund", "에이"]])
    bomb = io.BytesIO(workbook)
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        # 64 MB of zeros deflate to about 64 KB: small upload, huge when unpacked.
        archive.writestr("xl/media/padding.bin", b"\0" * (64 * 1024 * 1024))
    data = bomb.getvalue()
    assert len(data) < 200 * 1024
    assert _refusal(app, data, "investors.xlsx") == (
        "This XLSX file unpacks to more than 20 MB. Save only the investor list in it, or use CSV."
    )


def test_import_refuses_an_xlsx_with_too_many_members(app, db):
    buffer = io.BytesIO(_xlsx([HEADER]))
    with zipfile.ZipFile(buffer, "a") as archive:
        for i in range(300):
            archive.writestr(f"xl/extra/{i}.xml", b"")
    message = _refusal(app, buffer.getvalue(), "investors.xlsx")
    assert message.startswith("This XLSX file unpacks to more than 20 MB.")


def test_import_refuses_a_file_that_is_not_an_xlsx(app, db):
    assert _refusal(app, b"PK\x03\x04 not really a zip", "investors.xlsx") == (
        "This XLSX file could not be read."
    )


def test_import_refuses_more_rows_than_allowed_with_a_clear_message(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "INVESTOR_IMPORT_MAX_ROWS", 50)
    rows = [HEADER] + [[f"vc{i}@fund.example", f"Fund {i}", "김"] for i in range(51)]
    expected = (
        "The file has more than 50 rows. Import at most 50 investors at a time: "
        "split the file and import each part."
    )
    assert _refusal(app, _xlsx(rows), "investors.xlsx") == expected
    assert _refusal(app, _csv(51), "investors.csv") == expected
    with app.test_request_context(headers=EN):
        assert len(invitations.preview_import(_csv(50), "investors.csv").rows) == 50


def test_import_checks_the_header_before_reading_rows(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "INVESTOR_IMPORT_MAX_ROWS", 10)
    rows = [["mail", "company"]] + [[f"vc{i}@fund.example", "X"] for i in range(100)]
    assert _refusal(app, _xlsx(rows), "investors.xlsx").startswith(
        "Columns missing: email, firm, person_name."
    )


def test_import_refuses_a_file_larger_than_allowed(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "INVESTOR_IMPORT_MAX_BYTES", 1024 * 1024)
    data = _csv(30_000)
    assert len(data) > 1024 * 1024
    assert _refusal(app, data, "investors.csv") == (
        "The file is larger than 1 MB. Split it into smaller files."
    )


def test_import_rejects_rows_with_values_too_long_or_out_of_range(app, db):
    data = (
        "email,firm,person_name,ticket_min_krw,ticket_max_krw\n"
        f"a@fund.example,{'F' * 201},김,,\n"
        "b@fund.example,B Fund,김,99999999999999999999,\n"
        "c@fund.example,C Fund,김,²,\n"
        "d@fund.example,D Fund,김,500,100\n"
        "e@fund.example,E Fund,김,100,500\n"
    ).encode()
    with app.test_request_context(headers=EN):
        preview = invitations.preview_import(data, "investors.csv")
        assert [(r.line, r.status, r.reason) for r in preview.rows] == [
            (2, "rejected", "firm is longer than 200 characters."),
            (3, "rejected", "ticket_min_krw must be a whole number of won."),
            (4, "rejected", "ticket_min_krw must be a whole number of won."),
            (5, "rejected", "The largest ticket is smaller than the smallest."),
            (6, "new", ""),
        ]


def test_import_preview_page_lists_a_bounded_number_of_rows(app, db, client, auth):
    auth("organizer", locale="en")
    data = _csv(1_000).replace(b"vc7@fund.example", b"not-an-email")
    response = post_form(
        client, "/organize/investors/import",
        {"file": (io.BytesIO(data), "investors.csv")},
        content_type="multipart/form-data",
    )  # fmt: skip
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "999 new, 0 updated, 1 rejected." in body
    assert body.count('<tr class="import-') == 100
    assert body.count('<tr class="import-rejected">') == 1
    assert "900 more rows are not listed here; they are counted above." in body
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InvestorProfile)) == 0


def test_import_page_refuses_a_zip_bomb_with_422(app, db, client, auth):
    auth("organizer", locale="en")
    bomb = io.BytesIO(_xlsx([HEADER]))
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (64 * 1024 * 1024))
    response = post_form(
        client, "/organize/investors/import",
        {"file": (io.BytesIO(bomb.getvalue()), "investors.xlsx")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 422
    assert "This XLSX file unpacks to more than 20 MB." in response.get_data(as_text=True)


def test_import_refuses_a_csv_with_a_nul_character(app, db):
    # PostgreSQL's text cannot hold one: the confirmed import was a 500 there.
    data = b"email,firm,person_name\nnul@fund.example,Fund\x00 One,Kim\n"
    assert _refusal(app, data, "investors.csv") == "This CSV file could not be read."


def test_a_forged_confirmation_of_an_oversized_file_is_refused_with_a_message(
    app, db, client, auth, monkeypatch
):
    import base64

    from tests.conftest import csrf_token

    monkeypatch.setitem(app.config, "INVESTOR_IMPORT_MAX_BYTES", 1024)
    auth("organizer", locale="en")
    token = csrf_token(client, "/organize/investors/import")
    data = _csv(100)
    assert len(data) > 1024
    response = client.post(
        "/organize/investors/import",
        data={
            "csrf_token": token,
            "confirm": "1",
            "content": base64.b64encode(data).decode(),
            "filename": "investors.csv",
        },
        headers=EN,
    )
    assert response.status_code == 422
    assert "The file is larger than 0.000976562 MB." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InvestorProfile)) == 0
