"""Booking fixtures: an occurrence open for registration, and startups with a full intake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from tests.series.conftest import center_id, create_series, series_values  # noqa: F401 - shared fixtures


@pytest.fixture
def make_occurrence(app, db, create_center, clock) -> Callable[..., int]:
    """A series (monthly, third Wednesday 14:00 Seoul) and the id of its first occurrence,
    2026-12-16, whose registration is open at `clock` (2026-11-30)."""
    from eventhub.centers.models import Center
    from eventhub.scheduling import services

    def factory(*, slug: str = "daegu", **layout: Any) -> int:
        with app.app_context():
            center = db.session.get(Center, create_center(slug))
            values = series_values(start_date=date(2026, 12, 16))
            series = services.create_series(
                center, values=values, actor_id=None, now=clock, horizon_days=60
            )
            for name, value in {"slot_count": 4, **layout}.items():
                setattr(series, name, value)
            db.session.flush()
            occurrence = min(series.occurrences, key=lambda o: o.start_at)
            # Re-lay the slots with the layout this test asked for.
            from eventhub.bookings import services as bookings
            from eventhub.bookings.models import PitchSlot

            for o in series.occurrences:
                for slot in list(db.session.query(PitchSlot).filter_by(occurrence_id=o.id)):
                    db.session.delete(slot)
                db.session.flush()
                bookings.create_slots(o)
            db.session.commit()
            return occurrence.id

    return factory


@pytest.fixture
def make_startup(app, db) -> Callable[..., int]:
    from eventhub.accounts.models import Stage, StartupProfile

    def factory(name: str = "Carbonix", *, industry: str = "materials", **fields: Any) -> int:
        with app.app_context():
            startup = StartupProfile(
                company_name=name,
                industry=industry,
                one_liner=f"{name} one-liner",
                contact_name="대표",
                contact_email=f"{name.lower().replace(' ', '')}@startup.example",
                amount_sought_krw=1_000_000_000,
                **{"stage": Stage.seed, **fields},
            )
            db.session.add(startup)
            db.session.commit()
            return startup.id

    return factory
