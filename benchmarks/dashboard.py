"""The organizer dashboard of a big center: 5 years of weekly dates and 10,000 bookings.

Measures GET /dashboard?center=bench through the WSGI app in-process (logged in as the center's
organizer: the figures, the charts and the page), the median of 15 requests after one warm-up,
and the figures alone (the service calls). Target (issue 17): under 150 ms on this machine.

Rows are written with bulk INSERTs (not through the services: setting up must not take
minutes); runs on a throwaway SQLite database, then on a throwaway PostgreSQL database.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WEEKS = 5 * 52
SLOTS = 12
BOOKINGS = 10_000
STARTUPS = 80
INVESTORS = 12
REQUESTS = 15
NOW = datetime(2029, 6, 1, tzinfo=UTC)  # about 3.5 years into the 5


def _setup(app) -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from eventhub.accounts import services as accounts
    from eventhub.accounts.models import InvestorProfile, Role, StartupProfile
    from eventhub.bookings.models import Booking, PitchSlot
    from eventhub.centers.models import Center, OrganizerMembership
    from eventhub.extensions import db
    from eventhub.invitations.models import FollowUp, Invitation, Outcome
    from eventhub.series.models import EventSeries, Occurrence

    rng = random.Random(17)
    with app.app_context():
        upgrade()
        center = Center(
            slug="bench", name_ko="벤치 센터", name_en="Bench Center", region_ko="대구",
            region_en="Daegu", partner_company_ko="삼성", partner_company_en="Samsung",
        )  # fmt: skip
        db.session.add(center)
        db.session.flush()
        user = accounts.create_user(
            email="organizer@bench.example", password="bench-pass-2026x", display_name="o",
            role=Role.organizer, now=NOW,
        )  # fmt: skip
        db.session.add(OrganizerMembership(user_id=user.id, center_id=center.id))
        series = EventSeries(
            center_id=center.id, slug="bench-weekly", title_ko="주간 투자 설명회",
            title_en="Weekly investor day", start_date=date(2026, 1, 1),
            start_time=datetime.min.time(), duration_minutes=180,
        )  # fmt: skip
        db.session.add(series)
        db.session.flush()
        conn = db.session.connection()
        conn.execute(
            sa.insert(StartupProfile),
            [{"company_name": f"Startup {i}"} for i in range(STARTUPS)],
        )
        conn.execute(
            sa.insert(InvestorProfile),
            [
                {"email": f"vc{i}@bench.example", "firm": f"Firm {i}", "person_name": "p"}
                for i in range(INVESTORS)
            ],
        )
        startups = list(db.session.scalars(sa.select(StartupProfile.id)))
        investors = list(db.session.scalars(sa.select(InvestorProfile.id)))
        first = datetime(2026, 1, 1, 5, tzinfo=UTC)
        conn.execute(
            sa.insert(Occurrence),
            [
                {"series_id": series.id, "original_start_at": first + timedelta(weeks=w),
                 "start_at": first + timedelta(weeks=w),
                 "end_at": first + timedelta(weeks=w, hours=3), "status": "scheduled",
                 "sequence": 0, "is_overridden": False, "is_detached": False,
                 "created_at": NOW, "updated_at": NOW, "changed_at": NOW}
                for w in range(WEEKS)
            ],
        )  # fmt: skip
        dates = list(db.session.execute(sa.select(Occurrence.id, Occurrence.start_at)))
        conn.execute(
            sa.insert(PitchSlot),
            [
                {"occurrence_id": oid, "position": p + 1,
                 "start_at": start + timedelta(minutes=15 * p),
                 "end_at": start + timedelta(minutes=15 * p + 15), "is_blocked": False}
                for oid, start in dates for p in range(SLOTS)
            ],
        )  # fmt: skip
        slots: dict[int, list[int]] = {}
        for sid, oid in db.session.execute(sa.select(PitchSlot.id, PitchSlot.occurrence_id)):
            slots.setdefault(oid, []).append(sid)
        bookings, follow_ups, outcomes, invitations = [], [], [], []
        per_date = BOOKINGS // len(dates) + 1
        for oid, start in dates:
            past = start < NOW
            chosen = rng.sample(startups, per_date)
            for i, startup in enumerate(chosen):
                if i < SLOTS - 2:
                    status = (
                        rng.choice(["attended", "attended", "no_show"]) if past else "confirmed"
                    )
                    slot = slots[oid][i]
                else:
                    status = "cancelled" if past else rng.choice(["applied", "waitlisted"])
                    slot = None
                bookings.append(
                    {"occurrence_id": oid, "slot_id": slot, "startup_id": startup,
                     "status": status, "intake_snapshot": {}, "queue_priority": 100,
                     "created_at": start, "updated_at": start}
                )  # fmt: skip
            for investor in rng.sample(investors, 6):
                invitations.append(
                    {"occurrence_id": oid, "investor_id": investor,
                     "status": rng.choice(["pending", "accepted", "tentative", "declined"]),
                     "invited_at": start, "token_nonce": "", "nudge_count": 0}
                )  # fmt: skip
                if past and rng.random() < 0.3:
                    startup = chosen[0]
                    follow_ups.append(
                        {"occurrence_id": oid, "investor_id": investor, "startup_id": startup,
                         "share_with_startup": False, "created_at": start + timedelta(days=1)}
                    )  # fmt: skip
                    invested = rng.random() < 0.4
                    outcomes.append(
                        {"occurrence_id": oid, "investor_id": investor, "startup_id": startup,
                         "kind": "investment" if invested else "meeting",
                         "amount_krw": rng.randint(1, 30) * 10**8 if invested else None,
                         "happened_on": (start + timedelta(days=30)).date(),
                         "created_at": start}
                    )  # fmt: skip
        conn.execute(sa.insert(Booking), bookings[:BOOKINGS])
        conn.execute(sa.insert(Invitation), invitations)
        conn.execute(sa.insert(FollowUp), follow_ups)
        conn.execute(sa.insert(Outcome), outcomes)
        db.session.commit()
        print(
            f"  {len(dates)} dates, {min(len(bookings), BOOKINGS)} bookings, "
            f"{len(invitations)} invitations, {len(outcomes)} outcomes"
        )


def _measure(label: str, database_url: str) -> float:
    from eventhub import create_app
    from eventhub.centers.models import Center
    from eventhub.extensions import db
    from eventhub.reports import services

    app = create_app(
        {"ENV_NAME": "testing", "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING",
         "WTF_CSRF_ENABLED": False}
    )  # fmt: skip
    print(f"{label}:")
    _setup(app)
    client = app.test_client()
    login = client.post(
        "/login", data={"email": "organizer@bench.example", "password": "bench-pass-2026x"}
    )
    assert login.status_code == 302, login.status_code
    import eventhub.reports.views as views

    views.utcnow = lambda: NOW  # the dashboard of a day 3.5 years in
    assert client.get("/dashboard?center=bench").status_code == 200
    pages = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get("/dashboard?center=bench")
        pages.append(time.perf_counter() - started)
        assert response.status_code == 200
    figures = []
    with app.app_context():
        center = db.session.query(Center).filter_by(slug="bench").one()
        for _ in range(REQUESTS):
            started = time.perf_counter()
            services.upcoming_dates(center.id, now=NOW)
            services.series_over_time(center.id, tz=center.timezone)
            services.outcomes_by_quarter(center.id, tz=center.timezone)
            services.raised_totals(center.id)
            figures.append(time.perf_counter() - started)
        db.session.remove()
        db.engine.dispose()
    page = statistics.median(pages) * 1000
    print(
        f"  dashboard page: median {page:.0f} ms (min {min(pages) * 1000:.0f}, "
        f"max {max(pages) * 1000:.0f}); the figures alone: median "
        f"{statistics.median(figures) * 1000:.0f} ms; target under 150 ms: "
        f"{'met' if page < 150 else 'NOT met'}"
    )
    return page


def main() -> int:
    os.environ["EVENTHUB_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="eventhub-bench-dash-")
    from _postgres import database_targets

    targets, drops = database_targets(Path(os.environ["EVENTHUB_INSTANCE_PATH"]) / "bench.sqlite3")
    met = True
    try:
        for label, url in targets:
            met = _measure(label, url) < 150 and met
    finally:
        for drop in drops:
            drop()
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
