"""The `clock` fixture moves the app's clock, and that of the processes a test starts, to the
fixture's instant (docs/testing.md, "Time")."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta

from eventhub.core.clock import utcnow

NOW_IN_A_CHILD = "from datetime import UTC, datetime; print(datetime.now(UTC).isoformat())"


def test_clock_moves_the_apps_clock_to_its_instant(clock):
    assert clock <= utcnow() < clock + timedelta(minutes=1)


def test_a_python_process_started_by_a_test_shares_its_moved_clock(clock):
    before = utcnow()
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", NOW_IN_A_CHILD], capture_output=True, text=True, check=True
    )
    after = utcnow()
    # Within the test's own readings: a child behind the test would see a token the test just
    # signed as issued in the future, and refuse it.
    assert clock <= before <= datetime.fromisoformat(result.stdout.strip()) <= after
