"""Series fixtures: a center with an organizer, and a series factory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Any

import pytest

from eventhub.scheduling.services import SeriesValues
from eventhub.series.models import HolidayPolicy, SeriesStatus

HORIZON_DAYS = 548


def series_values(**overrides: Any) -> SeriesValues:
    fields: dict[str, Any] = {
        "title_ko": "삼성벤처 파트너스 데이",
        "title_en": "Samsung Venture Partners Day",
        "start_date": date(2026, 12, 16),
        "start_time": time(14, 0),
        "duration_minutes": 180,
        "timezone": "Asia/Seoul",
        "rrule": "FREQ=MONTHLY;BYDAY=+3WE",
        "holiday_policy": HolidayPolicy.keep,
        "status": SeriesStatus.published,
    }
    fields.update(overrides)
    return SeriesValues(**fields)


@pytest.fixture
def center_id(create_center) -> int:
    return create_center("daegu", name_en="Daegu Center")


@pytest.fixture
def create_series(app, db, center_id, clock) -> Callable[..., int]:
    """Create a series through the service; returns its id."""
    from eventhub.centers.models import Center
    from eventhub.scheduling import services

    def factory(*, now=None, horizon_days: int = HORIZON_DAYS, **overrides: Any) -> int:
        with app.app_context():
            center = db.session.get(Center, center_id)
            series = services.create_series(
                center,
                values=series_values(**overrides),
                actor_id=None,
                now=now or clock,
                horizon_days=horizon_days,
            )
            db.session.commit()
            return series.id

    return factory
