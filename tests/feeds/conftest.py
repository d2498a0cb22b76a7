"""Feed fixtures and the three independent parsers."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from tests.bookings.conftest import make_occurrence, make_startup  # noqa: F401 - shared fixtures
from tests.series.conftest import center_id, create_series  # noqa: F401 - shared fixtures

JS = Path(__file__).resolve().parents[1] / "js"


@pytest.fixture(autouse=True)
def empty_feed_cache(app):
    """Every test starts with no rendered feed in the app's cache: the database is emptied
    between tests and `feed_change` ids start again, so a copy cached by an earlier test could
    carry the current version and be served for another test's data."""
    app.extensions.pop("eventhub_feed_cache", None)


def icaljs_expand(body: bytes, until: datetime) -> list[dict]:
    """Expand a document with ical.js (the parser inside Thunderbird), through Node.js."""
    if not shutil.which("node") or not (JS / "node_modules" / "ical.js").exists():
        pytest.skip("needs Node.js and ical.js (make node-deps)")
    result = subprocess.run(  # noqa: S603 - our own script
        ["node", str(JS / "expand.mjs"), until.isoformat()],  # noqa: S607
        input=body,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)
