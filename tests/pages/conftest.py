"""Fixtures for the composed pages."""

from tests.series.conftest import center_id, create_series  # noqa: F401 - shared fixtures
