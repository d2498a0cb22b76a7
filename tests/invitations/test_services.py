"""Directory import, invitations, RSVP tokens, the line-up, follow-ups and outcomes."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar
from openpyxl import Workbook

from eventhub.accounts.models import InvestorProfile, StartupProfile
from eventhub.bookings import services as bookings
from eventhub.core.errors import InvalidInput
from eventhub.core.outbox import OutboxMessage
from eventhub.invitations import services as invitations
from eventhub.invitations.models import Invitation, OutcomeKind, RsvpStatus
from eventhub.invitations.services.rsvp import _serializer as rsvp_serializer
from eventhub.series.models import Occurrence

EN = {"Accept-Language": "en"}
CSV_HEADER = (
    "email,firm,person_name,phone,focus_industries,stages,ticket_min_krw,ticket_max_krw,notes\n"
)


def _investor(
    db, email="vc@hanbit.example", firm="Hanbit Ventures", name="김한빛"
) -> InvestorProfile:
    investor = InvestorProfile(email=email, firm=firm, person_name=name)
    db.session.add(investor)
    db.session.flush()
    return investor


# --- Import --------------------------------------------------------------------------------


def test_import_preview_marks_new_updated_and_rejected_rows(app, db):
    data = (
        CSV_HEADER
        + "New@Fund.example,New Fund,박새봄,,fintech;games,seed,100000000,500000000,\n"
        + "vc@hanbit.example,Hanbit Ventures,김한빛,,materials,,,,\n"
        + "not-an-email,Bad,X,,,,,,\n"
        + "x@y.example,Alchemy VC,Y,,alchemy,,,,\n"
        + "new@fund.example,Dup,Z,,,,,,\n"
    ).encode()
    with app.test_request_context(headers=EN):
        _investor(db)
        db.session.commit()
        preview = invitations.preview_import(data, "investors.csv")
        assert [(r.line, r.status, r.reason) for r in preview.rows] == [
            (2, "new", ""),
            (3, "updated", ""),
            (4, "rejected", "“not-an-email” is not a valid email address."),
            (5, "rejected", "Unknown industry: alchemy"),
            (6, "rejected", "This email appears earlier in the file."),
        ]
        assert preview.rows[0].values["focus_industries"] == ["fintech", "games"]
        # A preview writes nothing.
        assert db.session.scalars(sa.select(InvestorProfile.email)).all() == ["vc@hanbit.example"]
        assert invitations.apply_import(preview, actor_id=None, now=datetime.now(UTC)) == 2
        db.session.commit()
        assert sorted(db.session.scalars(sa.select(InvestorProfile.email))) == [
            "new@fund.example", "vc@hanbit.example",
        ]  # fmt: skip


def test_import_reads_cp949_from_korean_excel(app, db):
    data = (CSV_HEADER + "kim@vc.example,한빛벤처스,김한빛,,,,,,메모\n").encode("cp949")
    with app.test_request_context(headers=EN):
        preview = invitations.preview_import(data, "investors.csv")
        assert preview.encoding == "cp949"
        assert (preview.rows[0].values["firm"], preview.rows[0].values["notes"]) == (
            "한빛벤처스",
            "메모",
        )


def test_import_refuses_an_unreadable_encoding_and_names_the_expected_ones(app, db):
    data = CSV_HEADER.encode() + b"\xff\xfe\x00bad,\x81\x00\n"
    with app.test_request_context(headers=EN):
        with pytest.raises(InvalidInput) as caught:
            invitations.preview_import(data, "investors.csv")
        assert str(caught.value.message) == (
            "The file is neither UTF-8 nor CP949 (EUC-KR) text. Save it as CSV UTF-8 and try again."
        )


def test_import_refuses_wrong_columns(app, db):
    with app.test_request_context(headers=EN):
        with pytest.raises(InvalidInput) as caught:
            invitations.preview_import(b"mail,company\na@b.example,X\n", "investors.csv")
        assert str(caught.value.message).startswith("Columns missing: email, firm, person_name.")


def test_import_reads_xlsx(app, db):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["email", "firm", "person_name", "stages"])
    sheet.append(["xlsx@fund.example", "XLSX Fund", "엑셀", "series_a;series_b"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with app.test_request_context(headers=EN):
        preview = invitations.preview_import(buffer.getvalue(), "investors.xlsx")
        assert [(r.status, r.values["stages"]) for r in preview.rows] == [
            ("new", ["series_a", "series_b"])
        ]


# --- Invitations and tokens ----------------------------------------------------------------


def test_invite_sends_three_links_and_a_calendar_request_and_ignores_repeats(
    app, db, make_occurrence, clock
):
    occurrence_id = make_occurrence()
    with app.app_context():
        occurrence = db.session.get(Occurrence, occurrence_id)
        investor = _investor(db)
        created = invitations.invite([occurrence], investors=[investor], actor_id=None, now=clock)
        again = invitations.invite([occurrence], investors=[investor], actor_id=None, now=clock)
        db.session.commit()
        assert (len(created), len(again)) == (1, 0)
        message = db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "transactional")
        )
        # Tokens carry a timestamp, so compare what they open rather than their text.
        links = re.findall(
            r"https://eventhub\.test/rsvp/([^?\s]+)\?answer=(\w+)", message.body_text
        )
        assert [answer for _, answer in links] == ["accepted", "tentative", "declined"]
        assert {invitations.invitation_for_token(token).id for token, _ in links} == {created[0].id}
        [attachment] = message.attachments
        event = Calendar.from_ical(attachment["content"]).walk("VEVENT")[0]
        assert str(event["UID"]) == f"occurrence-{occurrence_id}@eventhub.test"
        assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"


def test_invite_to_a_cancelled_or_past_occurrence_is_refused(app, db, make_occurrence, clock):
    occurrence_id = make_occurrence()
    with app.test_request_context(headers=EN):
        occurrence = db.session.get(Occurrence, occurrence_id)
        investor = _investor(db)
        with pytest.raises(invitations.CannotInvite):
            invitations.invite(
                [occurrence],
                investors=[investor],
                actor_id=None,
                now=occurrence.start_at + timedelta(hours=1),
            )
        occurrence.status = "cancelled"
        with pytest.raises(invitations.CannotInvite):
            invitations.invite([occurrence], investors=[investor], actor_id=None, now=clock)


def test_token_works_only_for_its_investor_and_occurrence(app, db, make_occurrence, clock):
    occurrence_id = make_occurrence()
    with app.test_request_context(headers=EN):
        occurrence = db.session.get(Occurrence, occurrence_id)
        other_occurrence = next(o for o in occurrence.series.occurrences if o.id != occurrence_id)
        a, b = _investor(db), _investor(db, "b@fund.example", "B Fund", "B")
        inv_a, inv_b = invitations.invite([occurrence], investors=[a, b], actor_id=None, now=clock)
        [inv_a_other] = invitations.invite(
            [other_occurrence], investors=[a], actor_id=None, now=clock
        )
        db.session.commit()
        assert invitations.invitation_for_token(invitations.rsvp_token(inv_a)).id == inv_a.id
        # A token signed for A's invitation with B's ids, a tampered one, and one for a
        # revoked nonce all fail the same way.
        serializer = rsvp_serializer()
        forged = serializer.dumps([inv_b.id, occurrence_id, a.id, inv_a.token_nonce])
        tampered = invitations.rsvp_token(inv_a)[:-2] + "xx"
        cross = serializer.dumps([inv_a_other.id, occurrence_id, a.id, inv_a_other.token_nonce])
        for token in (forged, tampered, cross, "garbage"):
            with pytest.raises(invitations.InvalidToken):
                invitations.invitation_for_token(token)


def test_expired_token_is_refused(app, db, make_occurrence, clock, monkeypatch):
    occurrence_id = make_occurrence()
    with app.test_request_context(headers=EN):
        [invitation] = invitations.invite(
            [db.session.get(Occurrence, occurrence_id)],
            investors=[_investor(db)],
            actor_id=None,
            now=clock,
        )
        token = invitations.rsvp_token(invitation)
        app.config["RSVP_TOKEN_MAX_AGE_DAYS"] = -1
        try:
            with pytest.raises(invitations.InvalidToken):
                invitations.invitation_for_token(token)
        finally:
            app.config["RSVP_TOKEN_MAX_AGE_DAYS"] = 400


def test_answer_after_the_start_is_refused(app, db, make_occurrence, clock):
    occurrence_id = make_occurrence()
    with app.test_request_context(headers=EN):
        occurrence = db.session.get(Occurrence, occurrence_id)
        [invitation] = invitations.invite(
            [occurrence], investors=[_investor(db)], actor_id=None, now=clock
        )
        invitations.answer(invitation, status=RsvpStatus.tentative, now=clock)
        invitations.answer(invitation, status=RsvpStatus.accepted, now=clock + timedelta(days=1))
        with pytest.raises(invitations.InvitationClosed):
            invitations.answer(invitation, status=RsvpStatus.declined, now=occurrence.start_at)
        assert (invitation.status, invitation.answered_at) == (
            RsvpStatus.accepted,
            clock + timedelta(days=1),
        )


def test_resend_within_ten_minutes_of_the_last_sending_is_refused(app, db, make_occurrence, clock):
    # Ten clicks on "Resend" queued ten identical letters to the investor.
    occurrence_id = make_occurrence()
    with app.test_request_context(headers=EN):
        [invitation] = invitations.invite(
            [db.session.get(Occurrence, occurrence_id)],
            investors=[_investor(db)],
            actor_id=None,
            now=clock,
        )
        with pytest.raises(invitations.ResendTooSoon) as refused:
            invitations.resend(invitation, actor_id=None, now=clock + timedelta(minutes=9))
        assert str(refused.value.message) == (
            "This invitation was sent a moment ago. If it has not arrived, send it again in a "
            "few minutes."
        )
        invitations.resend(invitation, actor_id=None, now=clock + timedelta(minutes=11))
        with pytest.raises(invitations.ResendTooSoon):
            invitations.resend(invitation, actor_id=None, now=clock + timedelta(minutes=12))
        db.session.commit()
        sent = db.session.scalars(
            sa.select(OutboxMessage.template).where(OutboxMessage.kind == "transactional")
        ).all()
        assert sent == ["invitations/invite", "invitations/invite"]


def test_nudge_at_most_once_a_day(app, db, make_occurrence, clock):
    occurrence_id = make_occurrence()
    with app.test_request_context(headers=EN):
        [invitation] = invitations.invite(
            [db.session.get(Occurrence, occurrence_id)],
            investors=[_investor(db)],
            actor_id=None,
            now=clock,
        )
        invitations.nudge(invitation, actor_id=None, now=clock)
        with pytest.raises(invitations.NudgeTooSoon):
            invitations.nudge(invitation, actor_id=None, now=clock + timedelta(hours=23))
        invitations.nudge(invitation, actor_id=None, now=clock + timedelta(hours=25))
        db.session.commit()
        assert invitation.nudge_count == 2
        templates = db.session.scalars(
            sa.select(OutboxMessage.template)
            .where(OutboxMessage.kind == "transactional")
            .order_by(OutboxMessage.id)
        ).all()
        assert templates == ["invitations/invite", "invitations/nudge", "invitations/nudge"]


# --- Line-up, follow-ups, outcomes ---------------------------------------------------------


def _day_with_lineup(app, db, make_occurrence, make_startup, clock):
    occurrence_id = make_occurrence()
    startup_id = make_startup("Carbonix")
    with app.app_context():
        occurrence = db.session.get(Occurrence, occurrence_id)
        bookings.book_slot(
            bookings.slots_of(occurrence_id)[0],
            startup=db.session.get(StartupProfile, startup_id),
            actor_id=None,
            now=clock,
        )
        accepted, declined = _investor(db), _investor(db, "no@fund.example", "No Fund", "N")
        inv_yes, inv_no = invitations.invite(
            [occurrence], investors=[accepted, declined], actor_id=None, now=clock
        )
        invitations.answer(inv_yes, status=RsvpStatus.accepted, now=clock)
        invitations.answer(inv_no, status=RsvpStatus.declined, now=clock)
        db.session.commit()
        return occurrence_id, startup_id, inv_yes.id, inv_no.id


def test_lineup_shows_only_after_publication_and_only_to_accepted(
    app, db, make_occurrence, make_startup, clock
):
    occurrence_id, _, yes_id, no_id = _day_with_lineup(
        app, db, make_occurrence, make_startup, clock
    )
    with app.app_context():
        yes, no = db.session.get(Invitation, yes_id), db.session.get(Invitation, no_id)
        assert (invitations.sees_lineup(yes), invitations.sees_lineup(no)) == (False, False)
        invitations.publish_lineup(yes.occurrence, actor_id=None, now=clock)
        assert (invitations.sees_lineup(yes), invitations.sees_lineup(no)) == (True, False)
        assert [b.startup.company_name for b in invitations.lineup_entries(occurrence_id)] == [
            "Carbonix"
        ]
        booking = yes.occurrence and bookings.occurrence_bookings(occurrence_id)[0]
        bookings.cancel_booking(booking, actor_id=None, now=clock + timedelta(hours=1))
        db.session.commit()
        assert yes.occurrence.lineup_changed_at == clock + timedelta(hours=1)


def test_follow_ups_need_acceptance_and_a_started_event_and_share_only_when_allowed(
    app, db, make_occurrence, make_startup, clock
):
    occurrence_id, startup_id, yes_id, no_id = _day_with_lineup(
        app, db, make_occurrence, make_startup, clock
    )
    with app.test_request_context(headers=EN):
        yes, no = db.session.get(Invitation, yes_id), db.session.get(Invitation, no_id)
        startup = db.session.get(StartupProfile, startup_id)
        during = yes.occurrence.start_at + timedelta(minutes=40)
        with pytest.raises(InvalidInput):
            invitations.mark_follow_up(
                yes, startup=startup, note=None, share_with_startup=True, now=clock
            )
        with pytest.raises(InvalidInput):
            invitations.mark_follow_up(
                no, startup=startup, note=None, share_with_startup=True, now=during
            )
        invitations.mark_follow_up(
            yes, startup=startup, note="Series A 관심", share_with_startup=False, now=during
        )
        db.session.commit()
        assert invitations.follow_ups_for_startup(startup) == []
        invitations.mark_follow_up(
            yes, startup=startup, note="Series A 관심", share_with_startup=True, now=during
        )
        db.session.commit()
        assert [f.investor.firm for f in invitations.follow_ups_for_startup(startup)] == [
            "Hanbit Ventures"
        ]
        assert invitations.matrix_rows(occurrence_id) == [
            ["Investor", "Firm", "Carbonix"],
            ["김한빛", "Hanbit Ventures", "Series A 관심"],
        ]


def test_outcome_investment_needs_an_amount(app, db, make_occurrence, make_startup, clock):
    occurrence_id, startup_id, yes_id, _ = _day_with_lineup(
        app, db, make_occurrence, make_startup, clock
    )
    with app.test_request_context(headers=EN):
        yes = db.session.get(Invitation, yes_id)
        kwargs = {
            "occurrence": yes.occurrence, "investor": yes.investor,
            "startup": db.session.get(StartupProfile, startup_id), "happened_on": date(2027, 1, 5),
            "note": None, "actor_id": None, "now": clock,
        }  # fmt: skip
        with pytest.raises(InvalidInput) as caught:
            invitations.record_outcome(kind=OutcomeKind.investment, amount_krw=None, **kwargs)
        assert str(caught.value.message) == "An investment needs its amount in KRW."
        outcome = invitations.record_outcome(
            kind=OutcomeKind.investment, amount_krw=300_000_000, **kwargs
        )
        db.session.commit()
        assert [(o.kind, o.amount_krw) for o in invitations.outcomes_of(occurrence_id)] == [
            (OutcomeKind.investment, 300_000_000)
        ]
        assert outcome.id is not None


def test_simultaneous_requests_naming_one_new_address_make_one_directory_entry(app, db, clock):
    # Two organizers inviting (or importing) the same new address at once: on PostgreSQL both
    # found no entry and the second insert hit the unique email, a 500.
    import threading

    from eventhub.core.transactions import begin_write
    from eventhub.invitations.services.directory import investors_for_emails

    start = threading.Barrier(4)
    errors: list[BaseException] = []
    found: list[int] = []

    def name_the_address() -> None:
        with app.app_context():
            start.wait()
            begin_write()
            try:
                (investor,) = investors_for_emails("New.VC@fund.example", now=clock)
                db.session.commit()
                found.append(investor.id)
            except Exception as exc:
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=name_the_address) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(found) == 4
    assert len(set(found)) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InvestorProfile)) == 1


def test_the_same_outcome_sent_twice_is_recorded_once(
    app, db, make_occurrence, make_startup, clock
):
    # A double click stored two identical investments, and the dashboard added both up.
    from eventhub.invitations.models import Outcome

    _, startup_id, yes_id, _ = _day_with_lineup(app, db, make_occurrence, make_startup, clock)
    with app.test_request_context(headers=EN):
        yes = db.session.get(Invitation, yes_id)
        kwargs = {
            "occurrence": yes.occurrence, "investor": yes.investor,
            "startup": db.session.get(StartupProfile, startup_id), "happened_on": date(2027, 1, 5),
            "actor_id": None, "now": clock, "kind": OutcomeKind.investment,
        }  # fmt: skip
        first = invitations.record_outcome(amount_krw=500_000_000, note="Seed", **kwargs)
        again = invitations.record_outcome(amount_krw=500_000_000, note="Seed", **kwargs)
        other = invitations.record_outcome(amount_krw=700_000_000, note="Seed", **kwargs)
        db.session.commit()
        assert again.id == first.id
        assert other.id != first.id
        amounts = db.session.scalars(sa.select(Outcome.amount_krw).order_by(Outcome.id)).all()
        assert amounts == [500_000_000, 700_000_000]
