"""Investors answer from their list; organizers are told why no invitation went out; the
directory import templates round trip in Korean and English."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from eventhub.accounts.models import InvestorProfile
from eventhub.invitations.models import Invitation, RsvpStatus
from tests.conftest import PASSWORD, csrf_token, post_form
from tests.invitations import test_views as shared

invitation_token = shared.invitation_token  # the fixture, shared with the RSVP tests


def test_investor_answers_from_the_list_and_sees_the_answer_pressed(
    app, db, client, create_user, invitation_token
):
    _, invitation_id = invitation_token
    user_id = create_user("vc@hanbit.example", role="investor", locale="en")
    with app.app_context():
        invitation = db.session.get(Invitation, invitation_id)
        invitation.investor.user_id = user_id
        occurrence_id = invitation.occurrence_id
        db.session.commit()
    token = csrf_token(client, "/login")
    client.post(
        "/login", data={"csrf_token": token, "email": "vc@hanbit.example", "password": PASSWORD}
    )
    page = client.get("/investor/invitations").get_data(as_text=True)
    action = re.search(r'<form method="post" action="(/rsvp/[^"]+)" class="answers"', page)
    assert action is not None
    assert f"/calendar/occurrences/{occurrence_id}.ics" in page
    answered = post_form(
        client, action.group(1),
        {"answer": "tentative", "next": "/investor/invitations"},
        form_url="/investor/invitations",
    )  # fmt: skip
    assert (answered.status_code, answered.headers["Location"]) == (303, "/investor/invitations")
    with app.app_context():
        assert db.session.get(Invitation, invitation_id).status == RsvpStatus.tentative
    page = client.get("/investor/invitations").get_data(as_text=True)
    assert re.search(
        r'value="tentative" id="[^"]+" aria-pressed="true" class="answer-current"', page
    )
    assert re.search(r'value="accepted" id="[^"]+" aria-pressed="false"', page)


def test_an_answer_sent_by_htmx_comes_back_as_the_list_with_its_message(
    app, db, client, create_user, invitation_token
):
    _, invitation_id = invitation_token
    user_id = create_user("vc@hanbit.example", role="investor", locale="en")
    with app.app_context():
        db.session.get(Invitation, invitation_id).investor.user_id = user_id
        db.session.commit()
    token = csrf_token(client, "/login")
    client.post(
        "/login", data={"csrf_token": token, "email": "vc@hanbit.example", "password": PASSWORD}
    )
    page = client.get("/investor/invitations").get_data(as_text=True)
    action = re.search(r'class="answers" hx-post="(/rsvp/[^"]+)"', page).group(1)
    answered = client.post(
        action,
        data={"csrf_token": csrf_token(client, "/investor/invitations"), "answer": "accepted",
              "next": "/investor/invitations"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    body = client.get(answered.headers["Location"], headers={"HX-Request": "true"})
    text = body.get_data(as_text=True).strip()
    assert text.startswith('<ul class="occurrences invitation-list" id="invitation-list"')
    assert "<html" not in text
    pressed = re.findall(r'value="(\w+)" id="answer-\d+-\w+" aria-pressed="true"', text)
    assert pressed == ["accepted"]
    assert re.findall(r'<li class="flash flash-success">([^<]*)</li>', text) == [
        "Thank you: your answer has been saved."
    ]
    assert body.headers["Vary"] == "HX-Request, Cookie"


def test_rsvp_refuses_to_send_the_investor_to_another_site(app, db, client, invitation_token):
    token, _ = invitation_token
    answered = post_form(
        client, f"/rsvp/{token}", {"answer": "declined", "next": "https://evil.example/"}
    )
    assert answered.headers["Location"] == f"/rsvp/{token}"


def test_inviting_only_already_invited_investors_says_why_nothing_was_sent(
    app, db, client, auth, invitation_token
):
    _, invitation_id = invitation_token
    with app.app_context():
        occ = db.session.get(Invitation, invitation_id).occurrence
        occurrence_id, center = occ.id, occ.series.center_id
    auth("organizer", locale="en", center_ids=(center,))
    page_url = f"/organize/occurrences/{occurrence_id}/invitations"
    response = post_form(
        client, f"/organize/occurrences/{occurrence_id}/invite",
        {"emails": "vc@hanbit.example"}, form_url=page_url, follow_redirects=True,
    )  # fmt: skip
    text = response.get_data(as_text=True)
    assert "No invitation was sent: every investor you chose is already invited" in text
    assert "0 invitations sent" not in text
    mixed = post_form(
        client, f"/organize/occurrences/{occurrence_id}/invite",
        {"emails": "vc@hanbit.example, new@fund.example"}, form_url=page_url,
        follow_redirects=True,
    )  # fmt: skip
    assert (
        "1 invitations sent. 1 were already invited and were left as they are."
        in mixed.get_data(as_text=True)
    )


def _upload(client, body: bytes, filename: str):
    return post_form(
        client, "/organize/investors/import",
        {"file": (io.BytesIO(body), filename)}, content_type="multipart/form-data",
    )  # fmt: skip


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_import_templates_download_and_import_back(app, db, client, auth, locale):
    auth("organizer", locale="en")
    assert f"import-template.xlsx?lang={locale}" in client.get(
        "/organize/investors/import"
    ).get_data(as_text=True)
    row = ["kim@fund.example", "Kim Fund", "김투자", "", "fintech;bio", "seed", "", "", ""]
    csv_file = client.get(f"/organize/investors/import-template.csv?lang={locale}")
    assert csv_file.status_code == 200
    header = next(csv.reader(io.StringIO(csv_file.data.decode("utf-8-sig"))))
    assert header[:3] == (
        ["이메일", "회사", "담당자"] if locale == "ko" else ["email", "firm", "person_name"]
    )
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, row])
    preview = _upload(client, buffer.getvalue().encode("utf-8"), "investors.csv")
    assert "1 new, 0 updated, 0 rejected." in preview.get_data(as_text=True)

    xlsx_file = client.get(f"/organize/investors/import-template.xlsx?lang={locale}")
    workbook = load_workbook(io.BytesIO(xlsx_file.data))
    assert [c.value for c in workbook.active[1]] == header
    workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    preview = _upload(client, out.getvalue(), "investors.xlsx")
    body = preview.get_data(as_text=True)
    assert "1 new, 0 updated, 0 rejected." in body
    content = re.search(r'name="content" value="([^"]+)"', body).group(1)
    post_form(
        client, "/organize/investors/import",
        {"confirm": "1", "content": content, "filename": "investors.xlsx"},
    )  # fmt: skip
    with app.app_context():
        investor = db.session.scalar(sa.select(InvestorProfile))
        assert (investor.email, investor.firm, investor.focus_industries, investor.stages) == (
            "kim@fund.example", "Kim Fund", ["fintech", "bio"], ["seed"],
        )  # fmt: skip
