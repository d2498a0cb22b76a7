"""Account fixtures: an occurrence to invite an investor to."""

from __future__ import annotations

from tests.bookings.conftest import make_occurrence  # noqa: F401 - shared fixtures
from tests.series.conftest import center_id, create_series  # noqa: F401 - shared fixtures
