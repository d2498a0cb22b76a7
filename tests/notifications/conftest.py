"""Notification fixtures: an occurrence open for booking, startups."""

from __future__ import annotations

from tests.bookings.conftest import make_occurrence, make_startup  # noqa: F401 - shared fixtures
from tests.series.conftest import center_id, create_series  # noqa: F401 - shared fixtures
