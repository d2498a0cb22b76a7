"""The embedded scheduler: started only by the serving process, with the job table that
create_app hands it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from eventhub.core import scheduler as scheduler_module
from tests.conftest import make_test_app


def test_embedded_scheduler_starts_only_when_serving(database_url, db, tmp_path, monkeypatch):
    monkeypatch.setattr(scheduler_module, "_scheduler", None)
    monkeypatch.delenv("EVENTHUB_SERVING", raising=False)
    make_test_app(database_url, tmp_path, SCHEDULER_EMBEDDED=True)
    assert scheduler_module._scheduler is None

    monkeypatch.setenv("EVENTHUB_SERVING", "1")
    # The real jobs would touch the database from scheduler threads while the test cleans it:
    # the scheduler starts paused, so that only its table is looked at.
    monkeypatch.setattr(scheduler_module.BackgroundScheduler, "start", _start_paused)
    make_test_app(database_url, tmp_path, SCHEDULER_EMBEDDED=True)
    started = scheduler_module._scheduler
    try:
        soon = datetime.now(UTC) + timedelta(seconds=5)
        # (interval in seconds, whether it also runs as soon as the scheduler starts)
        jobs = {
            job.id: (job.trigger.interval.total_seconds(), job.next_run_time <= soon)
            for job in started.get_jobs()
        }
        assert jobs == {
            "plan_reminders_job": (30.0, True),
            "dispatch_job": (30.0, True),
            "expire_offers_job": (60.0, False),
            "reminders_job": (900.0, True),
            "horizon_job": (86400.0, True),
            "prune_feed_changes_job": (86400.0, False),
        }
        # A second app in the same process does not start a second scheduler.
        make_test_app(database_url, tmp_path, SCHEDULER_EMBEDDED=True)
        assert scheduler_module._scheduler is started
    finally:
        started.shutdown(wait=False)


_real_start = scheduler_module.BackgroundScheduler.start


def _start_paused(self, *args, **kwargs):
    return _real_start(self, paused=True)
