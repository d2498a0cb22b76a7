"""Dashboard and national figures against counts made here, row by row, for the demo data and
for a generated data set; the pages in both languages; who may see what (issue 17)."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from eventhub.demo import DEMO_PASSWORD, seed_demo
from tests.conftest import post_form

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
SEOUL = ZoneInfo("Asia/Seoul")


def _quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def counted(center_id: int, now: datetime) -> dict:
    """The dashboard's figures, counted in Python from every row (the slow, plain way)."""
    from eventhub.bookings.models import Booking, PitchSlot
    from eventhub.extensions import db
    from eventhub.invitations.models import FollowUp, Invitation, Outcome
    from eventhub.series.models import EventSeries, Occurrence

    series = {s.id: s for s in db.session.scalars(sa.select(EventSeries))}
    occurrences = {o.id: o for o in db.session.scalars(sa.select(Occurrence))}
    mine = {i for i, o in occurrences.items() if series[o.series_id].center_id == center_id}
    upcoming = sorted(
        (o for i, o in occurrences.items() if i in mine and o.start_at > now and
         o.status.value == "scheduled"),
        key=lambda o: (o.start_at, o.id),
    )[:6]  # fmt: skip
    dates = {}
    for o in upcoming:
        dates[o.id] = {"slots": 0, "held": 0, "applications": 0, "waitlist": 0, "rsvp": Counter()}
    for slot in db.session.scalars(sa.select(PitchSlot)):
        if slot.occurrence_id in dates and not slot.is_blocked:
            dates[slot.occurrence_id]["slots"] += 1
    months: Counter = Counter()
    for b in db.session.scalars(sa.select(Booking)):
        status = b.status.value
        if b.occurrence_id in dates:
            entry = dates[b.occurrence_id]
            if status in ("confirmed", "offered", "attended", "no_show"):
                entry["held"] += 1
            elif status in ("applied", "approved"):
                entry["applications"] += 1
            elif status == "waitlisted":
                entry["waitlist"] += 1
        if b.occurrence_id in mine and status in ("confirmed", "offered", "attended", "no_show"):
            o = occurrences[b.occurrence_id]
            month = o.start_at.astimezone(SEOUL).strftime("%Y-%m")
            months[(o.series_id, month, "booked")] += 1
            if status in ("attended", "no_show"):
                months[(o.series_id, month, status)] += 1
    for inv in db.session.scalars(sa.select(Invitation)):
        if inv.occurrence_id in dates:
            dates[inv.occurrence_id]["rsvp"][inv.status.value] += 1
    quarters: dict[str, dict] = defaultdict(lambda: {"follow_ups": 0, "companies": set(), "krw": 0})
    for f in db.session.scalars(sa.select(FollowUp)):
        if f.occurrence_id in mine:
            quarters[_quarter(f.created_at.astimezone(SEOUL).date())]["follow_ups"] += 1
    companies, krw = set(), 0
    for out in db.session.scalars(sa.select(Outcome)):
        if out.occurrence_id in mine and out.kind.value == "investment":
            quarters[_quarter(out.happened_on)]["companies"].add(out.startup_id)
            quarters[_quarter(out.happened_on)]["krw"] += out.amount_krw
            companies.add(out.startup_id)
            krw += out.amount_krw
    return {
        "upcoming": [
            (o.id, dates[o.id]["slots"], dates[o.id]["held"], dates[o.id]["applications"],
             dates[o.id]["waitlist"], dict(dates[o.id]["rsvp"]))
            for o in upcoming
        ],
        "months": sorted(
            (sid, month, months[(sid, month, "booked")], months[(sid, month, "attended")],
             months[(sid, month, "no_show")])
            for (sid, month, kind) in months if kind == "booked"
        ),
        "quarters": sorted(
            (q, v["follow_ups"], len(v["companies"]), v["krw"]) for q, v in quarters.items()
        ),
        "totals": (len(companies), krw),
    }  # fmt: skip


def reported(center_id: int, now: datetime) -> dict:
    from eventhub.reports import services

    return {
        "upcoming": [
            (d.occurrence_id, d.slots, d.held, d.applications, d.waitlist, d.rsvp)
            for d in services.upcoming_dates(center_id, now=now)
        ],
        "months": sorted(
            (m.series_id, m.month, m.booked, m.attended, m.no_show)
            for m in services.series_over_time(center_id, tz="Asia/Seoul")
        ),
        "quarters": [
            (q.quarter, q.follow_ups, q.companies_raised, q.krw_raised)
            for q in services.outcomes_by_quarter(center_id, tz="Asia/Seoul")
        ],
        "totals": services.raised_totals(center_id),
    }


def _seed_demo(app, db) -> None:
    with app.app_context():
        seed_demo(now=NOW, horizon_days=120)
        db.session.commit()


def _center_id(db, slug: str) -> int:
    from eventhub.centers.models import Center

    return db.session.scalar(sa.select(Center.id).where(Center.slug == slug))


@pytest.mark.parametrize("slug", ["daegu", "daejeon", "gyeongbuk", "seoul"])
def test_dashboard_figures_of_the_demo_match_counts_made_row_by_row(app, db, slug):
    _seed_demo(app, db)
    with app.app_context():
        center_id = _center_id(db, slug)
        expected = counted(center_id, NOW)
        assert reported(center_id, NOW) == expected
    if slug != "seoul":  # the demo gives every series' center real figures
        assert expected["totals"][0] > 0
        assert expected["upcoming"] != []
        assert expected["months"] != []


def test_national_totals_of_the_demo_match_the_sum_of_the_centers(app, db):
    from eventhub.reports import services

    _seed_demo(app, db)
    with app.app_context():
        rows, totals = services.national_figures(now=NOW)
        per_center = {r.slug: counted(r.center_id, NOW)["totals"] for r in rows}
        from eventhub.invitations.models import Outcome
        from eventhub.series.models import Occurrence

        investments = [
            o for o in db.session.scalars(sa.select(Outcome)) if o.kind.value == "investment"
        ]
        held = [
            o for o in db.session.scalars(sa.select(Occurrence))
            if o.end_at <= NOW and o.status.value == "scheduled"
        ]  # fmt: skip
    assert {r.slug: (r.companies_raised, r.krw_raised) for r in rows} == per_center
    assert (totals.companies, totals.krw, totals.days, totals.centers) == (
        len({o.startup_id for o in investments}),
        sum(o.amount_krw for o in investments),
        len(held),
        3,
    )


def test_dashboard_figures_of_a_generated_data_set_match_counts_made_row_by_row(
    app, db, create_center
):
    """Two centers, weekly dates over two years, random bookings, answers and outcomes."""
    from eventhub.accounts.models import InvestorProfile, StartupProfile
    from eventhub.bookings.models import Booking, BookingStatus, PitchSlot
    from eventhub.invitations.models import FollowUp, Invitation, Outcome, OutcomeKind, RsvpStatus
    from eventhub.series.models import EventSeries, Occurrence, OccurrenceStatus

    rng = random.Random(17)
    centers = [create_center("daegu"), create_center("busan")]
    with app.app_context():
        startups = [StartupProfile(company_name=f"S{i}") for i in range(12)]
        investors = [
            InvestorProfile(email=f"vc{i}@example.com", firm=f"F{i}", person_name="p")
            for i in range(5)
        ]
        db.session.add_all([*startups, *investors])
        db.session.flush()
        for number, center_id in enumerate(centers):
            series = EventSeries(
                center_id=center_id, slug=f"gen-{number}", title_ko="생성", title_en="Generated",
                start_date=date(2025, 1, 1), start_time=datetime.min.time(),
                duration_minutes=120,
            )  # fmt: skip
            db.session.add(series)
            db.session.flush()
            for week in range(104):
                start = datetime(2025, 1, 2, 5, tzinfo=UTC) + timedelta(weeks=week)
                status = (
                    OccurrenceStatus.cancelled if rng.random() < 0.05
                    else OccurrenceStatus.scheduled
                )  # fmt: skip
                occ = Occurrence(
                    series_id=series.id, original_start_at=start, start_at=start,
                    end_at=start + timedelta(hours=2), status=status,
                )  # fmt: skip
                db.session.add(occ)
                db.session.flush()
                slots = [
                    PitchSlot(
                        occurrence_id=occ.id, position=i + 1,
                        start_at=start + timedelta(minutes=10 * i),
                        end_at=start + timedelta(minutes=10 * i + 10),
                        is_blocked=rng.random() < 0.1,
                    )
                    for i in range(6)
                ]  # fmt: skip
                db.session.add_all(slots)
                db.session.flush()
                pitching = rng.sample(startups, rng.randint(0, 6))
                for slot, startup in zip(slots, pitching, strict=False):
                    past = start < NOW
                    choices = (
                        [BookingStatus.attended, BookingStatus.no_show, BookingStatus.cancelled]
                        if past
                        else [BookingStatus.confirmed, BookingStatus.applied,
                              BookingStatus.waitlisted, BookingStatus.cancelled]
                    )  # fmt: skip
                    status = rng.choice(choices)
                    holds = status in (
                        BookingStatus.confirmed, BookingStatus.attended, BookingStatus.no_show
                    )  # fmt: skip
                    db.session.add(
                        Booking(
                            occurrence_id=occ.id,
                            slot_id=slot.id if holds else None,
                            startup_id=startup.id,
                            status=status,
                        )
                    )
                for investor in rng.sample(investors, rng.randint(0, 5)):
                    db.session.add(
                        Invitation(
                            occurrence_id=occ.id,
                            investor_id=investor.id,
                            status=rng.choice(list(RsvpStatus)),
                        )
                    )
                    if pitching and start < NOW and rng.random() < 0.5:
                        startup = rng.choice(pitching)
                        db.session.add(
                            FollowUp(
                                occurrence_id=occ.id,
                                investor_id=investor.id,
                                startup_id=startup.id,
                                created_at=start + timedelta(hours=rng.randint(3, 24 * 40)),
                            )
                        )
                        invested = rng.random() < 0.5
                        db.session.add(
                            Outcome(
                                occurrence_id=occ.id,
                                investor_id=investor.id,
                                startup_id=startup.id,
                                kind=OutcomeKind.investment if invested else OutcomeKind.meeting,
                                amount_krw=rng.randint(1, 50) * 10**8 if invested else None,
                                happened_on=(start + timedelta(days=rng.randint(0, 120))).date(),
                            )
                        )
                db.session.flush()
        db.session.commit()
        for center_id in centers:
            for now in (NOW, datetime(2025, 6, 1, tzinfo=UTC)):
                expected = counted(center_id, now)
                assert reported(center_id, now) == expected
                assert expected["quarters"] != []
                assert expected["months"] != []


def _log_in(client, email: str) -> None:
    response = post_form(client, "/login", {"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("language", "heading", "money"),
    [("ko", "대시보드", "억"), ("en", "Dashboard", "KRW")],
)
def test_dashboard_pages_render_in_both_languages(app, db, client, language, heading, money):
    _seed_demo(app, db)
    _log_in(client, "organizer.daegu@eventhub.example")
    headers = {"Accept-Language": language}
    post_form(client, "/language", {"locale": language, "next": "/"}, form_url="/dashboard")
    page = client.get("/dashboard", headers=headers)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"<h1>{heading}" in text
    assert money in text
    assert '<svg class="chart-svg"' in text
    assert "<title id=" in text
    for url in ("/dashboard?center=gyeongbuk", "/audit", "/audit?center=daegu&object=booking"):
        assert client.get(url, headers=headers).status_code == 200
    with app.app_context():
        from eventhub.reports import services

        last = services.outcomes_by_quarter(_center_id(db, "daegu"), tz="Asia/Seoul")[-1]
    report = client.get(f"/dashboard/daegu/report/{last.quarter}", headers=headers)
    assert report.status_code == 200
    text = report.get_data(as_text=True)
    assert last.quarter in text
    if language == "en":
        sentence = (
            f"{last.follow_ups} follow-up requests; {last.companies_raised} companies raised "
            f"{last.krw_raised:,} KRW."
        )
        assert sentence in text


def test_dashboard_of_a_center_the_organizer_does_not_run_is_404(app, db, client):
    _seed_demo(app, db)
    _log_in(client, "organizer.daejeon@eventhub.example")
    assert client.get("/dashboard?center=daegu").status_code == 404
    assert client.get("/dashboard/daegu/outcomes.csv").status_code == 404
    assert client.get("/dashboard?center=daejeon").status_code == 200


def test_dashboard_csv_holds_the_quarters(app, db, client):
    _seed_demo(app, db)
    _log_in(client, "organizer.daegu@eventhub.example")
    body = client.get("/dashboard/daegu/outcomes.csv").get_data(as_text=True)
    with app.app_context():
        expected = counted(_center_id(db, "daegu"), datetime.now(UTC))["quarters"]
    lines = body.lstrip("\ufeff").splitlines()
    assert lines[0] == "quarter,follow_ups,companies_raised,krw_raised"
    assert lines[1:] == [",".join(str(v) for v in row) for row in expected]


def test_national_view_renders_in_both_languages_for_admins_only(app, db, client):
    _seed_demo(app, db)
    _log_in(client, "admin@eventhub.example")
    for language, words in (("ko", "개 센터의 투자 설명회"), ("en", "investor days at 3 centers")):
        post_form(client, "/language", {"locale": language, "next": "/"}, form_url="/national")
        page = client.get("/national")
        assert page.status_code == 200
        assert words in page.get_data(as_text=True)


def test_public_summary_only_when_the_center_opts_in(app, db, client):
    from eventhub.centers.models import Center

    _seed_demo(app, db)
    assert client.get("/centers/daegu/summary").status_code == 404
    with app.app_context():
        db.session.get(Center, _center_id(db, "daegu")).shows_public_summary = True
        db.session.commit()
    for language in ("ko", "en"):
        page = client.get("/centers/daegu/summary", headers={"Accept-Language": language})
        assert page.status_code == 200
    assert client.get("/centers/daejeon/summary").status_code == 404


def test_every_demo_change_can_be_found_in_the_audit_log(app, db):
    from eventhub.bookings.models import Booking
    from eventhub.core.audit import AuditLog
    from eventhub.invitations.models import Invitation, Outcome

    _seed_demo(app, db)
    with app.app_context():
        for model in (Booking, Invitation, Outcome):
            ids = set(db.session.scalars(sa.select(model.id)))
            logged = set(
                db.session.scalars(
                    sa.select(AuditLog.object_id).where(
                        AuditLog.action == f"{model.__tablename__}.created",
                        AuditLog.actor_label == "system",
                    )
                )
            )
            assert ids
            assert logged == ids


def test_organizer_sees_only_their_centers_in_the_audit_log(app, db, client):
    _seed_demo(app, db)
    with app.app_context():
        daejeon = _center_id(db, "daejeon")
    _log_in(client, "organizer.daejeon@eventhub.example")
    body = client.get("/audit.csv").get_data(as_text=True).lstrip("\ufeff").splitlines()
    centers = {line.split(",")[5] for line in body[1:]}
    assert len(body) > 100
    assert centers == {str(daejeon)}
    assert client.get("/audit?from=2026-13-01").status_code == 400
    assert client.get("/audit.csv?object_id=x").status_code == 400
