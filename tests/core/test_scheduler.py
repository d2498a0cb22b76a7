"""The embedded scheduler: started only by the serving process, with every periodic job."""

from __future__ import annotations

from eventhub.core import scheduler as scheduler_module
from tests.conftest import make_test_app


def _idle(name: str):
    def job(app, stop=None) -> None:
        return None

    job.__name__ = name
    return job


def test_embedded_scheduler_starts_only_when_serving(database_url, db, tmp_path, monkeypatch):
    monkeypatch.setattr(scheduler_module, "_scheduler", None)
    # The real jobs would touch the database from scheduler threads while the test cleans it.
    for name in ("dispatch_job", "horizon_job", "expire_offers_job", "reminders_job"):
        monkeypatch.setattr(scheduler_module, name, _idle(name))
    monkeypatch.delenv("EVENTHUB_SERVING", raising=False)
    make_test_app(database_url, tmp_path, SCHEDULER_EMBEDDED=True)
    assert scheduler_module._scheduler is None

    monkeypatch.setenv("EVENTHUB_SERVING", "1")
    make_test_app(database_url, tmp_path, SCHEDULER_EMBEDDED=True)
    started = scheduler_module._scheduler
    try:
        jobs = {job.id: job.next_run_time is not None for job in started.get_jobs()}
        assert jobs == {
            "dispatch_job": True,
            "horizon_job": True,
            "expire_offers_job": True,
            "reminders_job": True,
        }
        # A second app in the same process does not start a second scheduler.
        make_test_app(database_url, tmp_path, SCHEDULER_EMBEDDED=True)
        assert scheduler_module._scheduler is started
    finally:
        started.shutdown(wait=True)
