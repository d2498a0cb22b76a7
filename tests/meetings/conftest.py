"""Meeting fixtures: a date with its line-up published, investors who accepted, and a meeting
session of three 20-minute times (16:30, 16:55, 17:20 Seoul) at two tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from tests.bookings.conftest import make_occurrence, make_startup  # noqa: F401 - shared fixtures
from tests.series.conftest import center_id, create_series  # noqa: F401 - shared fixtures

# 2026-12-16 16:30 and 17:45 in Seoul; requests close the evening before.
SESSION_START = datetime(2026, 12, 16, 7, 30, tzinfo=UTC)
SESSION_END = datetime(2026, 12, 16, 8, 45, tzinfo=UTC)
REQUESTS_CLOSE = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)


@dataclass
class Day:
    occurrence_id: int
    session_id: int
    investors: list[int]  # investor profile ids, accepted
    startups: list[int]  # startup profile ids, holding slots
    outsider_investor: int  # invited, declined
    outsider_startup: int  # not registered for the date


@pytest.fixture
def meeting_day(app, db, make_occurrence, make_startup, clock) -> Callable[..., Day]:  # noqa: F811
    from eventhub.accounts.models import InvestorProfile, StartupProfile
    from eventhub.bookings import services as bookings
    from eventhub.invitations import services as invitations
    from eventhub.invitations.models import RsvpStatus
    from eventhub.meetings import services as meetings
    from eventhub.series.models import Occurrence

    def factory(*, investors: int = 2, startups: int = 3, tables: int = 2, limit: int = 2) -> Day:
        occurrence_id = make_occurrence(slot_count=max(4, startups))
        startup_ids = [make_startup(f"Startup{n}") for n in range(startups)]
        outsider_startup = make_startup("Outsider")
        with app.app_context():
            occurrence = db.session.get(Occurrence, occurrence_id)
            slots = bookings.slots_of(occurrence_id)
            for slot, startup_id in zip(slots, startup_ids, strict=False):
                bookings.book_slot(
                    slot, startup=db.session.get(StartupProfile, startup_id), actor_id=None,
                    now=clock,
                )  # fmt: skip
            profiles = []
            for n in range(investors + 1):
                profile = InvestorProfile(
                    email=f"vc{n}@investor.example", firm=f"Firm{n}", person_name=f"VC{n}"
                )
                db.session.add(profile)
                profiles.append(profile)
            db.session.flush()
            invited = invitations.invite([occurrence], investors=profiles, actor_id=None, now=clock)
            for invitation in invited[:-1]:
                invitations.answer(invitation, status=RsvpStatus.accepted, now=clock)
            invitations.answer(invited[-1], status=RsvpStatus.declined, now=clock)
            invitations.publish_lineup(occurrence, actor_id=None, now=clock)
            session = meetings.save_session(
                occurrence,
                values=meetings.SessionValues(
                    starts_at=SESSION_START, ends_at=SESSION_END, meeting_minutes=20,
                    break_minutes=5, table_count=tables, table_links=[],
                    requests_close_at=REQUESTS_CLOSE, max_meetings=limit,
                ),
                actor_id=None, now=clock,
            )  # fmt: skip
            db.session.commit()
            return Day(
                occurrence_id=occurrence_id,
                session_id=session.id,
                investors=[p.id for p in profiles[:-1]],
                startups=startup_ids,
                outsider_investor=profiles[-1].id,
                outsider_startup=outsider_startup,
            )

    return factory
