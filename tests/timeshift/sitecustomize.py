"""Python runs this at start-up in the processes the tests start (gunicorn, `eventhub worker`,
spawned feed servers) while tests/conftest.py has moved the test's clock: it puts this folder on
PYTHONPATH and the shift in TESTS_TIME_SHIFT_SECONDS. The process moves its own clock by the
same shift, so the test and every process it starts agree on "now". Without the variable it
does nothing.
"""

import os

_shift = os.environ.get("TESTS_TIME_SHIFT_SECONDS")
if _shift:
    from datetime import UTC, datetime, timedelta

    import time_machine

    time_machine.travel(datetime.now(UTC) + timedelta(seconds=float(_shift)), tick=True).start()
    # time-machine ticks from the first reading: start it now, or this process lags behind the
    # test by however long its imports take (and a token the test signs looks issued later).
    datetime.now(UTC)
