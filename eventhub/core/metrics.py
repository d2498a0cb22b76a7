"""Prometheus metrics, correct across gunicorn's processes and the workers.

With ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn_conf.py sets it for the web processes; set the
same directory for `eventhub worker`), every process writes its counts into that directory and
``/metrics`` adds them up (prometheus-client's multi-process mode); without it, one process
counts in memory (the development server, tests).

What is counted:

- ``eventhub_http_requests_total{endpoint, method, status}`` and
  ``eventhub_http_request_seconds{endpoint}`` (a histogram);
- ``eventhub_feed_requests_total{status}``: calendar feeds answered, 200 or 304;
- ``eventhub_conflicts_total{reason}``: requests refused by a race (409): `SlotTaken`,
  `AlreadyBooked`...;
- ``eventhub_outbox_sent_total``, ``eventhub_outbox_failed_total``,
  ``eventhub_outbox_retried_total``;
- ``eventhub_job_runs_total{job}``, ``eventhub_job_failures_total{job}``;
- at scrape time, from the database: ``eventhub_outbox_pending`` and
  ``eventhub_outbox_oldest_pending_seconds``.

``/metrics`` answers requests from loopback, or with ``Authorization: Bearer <METRICS_TOKEN>``
when that setting is given; everyone else gets 404 (docs/deploy.md).
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from eventhub.core.clock import utcnow
from eventhub.core.outbox import OutboxMessage, OutboxStatus
from eventhub.extensions import db

bp = Blueprint("metrics", __name__)

# Registered in no registry: each scrape builds one (see `_registry`), because in multi-process
# mode the values live in files, not in these objects.
REQUESTS = Counter(
    "eventhub_http_requests",
    "HTTP requests answered",
    ["endpoint", "method", "status"],
    registry=None,
)
LATENCY = Histogram(
    "eventhub_http_request_seconds",
    "Time to answer a request",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=None,
)
FEED_REQUESTS = Counter(
    "eventhub_feed_requests", "Calendar feeds answered", ["status"], registry=None
)
CONFLICTS = Counter(
    "eventhub_conflicts", "Requests refused by a race (409), by reason", ["reason"], registry=None
)
OUTBOX_SENT = Counter("eventhub_outbox_sent", "Messages sent", registry=None)
OUTBOX_FAILED = Counter("eventhub_outbox_failed", "Messages failed for good", registry=None)
OUTBOX_RETRIED = Counter("eventhub_outbox_retried", "Messages put back to retry", registry=None)
JOB_RUNS = Counter("eventhub_job_runs", "Periodic job runs", ["job"], registry=None)
JOB_FAILURES = Counter(
    "eventhub_job_failures", "Job runs or units of their work that failed", ["job"], registry=None
)
METRICS = (
    REQUESTS, LATENCY, FEED_REQUESTS, CONFLICTS, OUTBOX_SENT, OUTBOX_FAILED, OUTBOX_RETRIED,
    JOB_RUNS, JOB_FAILURES,
)  # fmt: skip
# The job whose unit of work is running in this thread (set by the scheduler's wrapper).
CURRENT_JOB: ContextVar[str] = ContextVar("eventhub_current_job", default="none")


class OutboxCollector(Collector):
    """The outbox's backlog, read from the database when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        pending, oldest = db.session.execute(
            sa.select(sa.func.count(), sa.func.min(OutboxMessage.due_at)).where(
                OutboxMessage.status == OutboxStatus.pending, OutboxMessage.due_at <= now
            )
        ).one()
        db.session.rollback()
        age = (now - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily("eventhub_outbox_pending", "Messages due and not sent", pending)
        yield GaugeMetricFamily(
            "eventhub_outbox_oldest_pending_seconds", "Age of the oldest due message", age
        )


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in METRICS:
            registry.register(metric)
    registry.register(OutboxCollector())
    return registry


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    return request.remote_addr in ("127.0.0.1", "::1")


@bp.route("/metrics")
def metrics() -> Response:
    if not _allowed():
        abort(404)
    return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)


def register_request_metrics(app: Flask) -> None:
    """Count and time every request; in multi-process mode make sure the directory exists."""
    shared = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if shared:
        os.makedirs(shared, exist_ok=True)

    @app.before_request
    def start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def count_request(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        endpoint = request.endpoint or "none"
        if endpoint == "metrics.metrics":
            return response
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        if endpoint.startswith("feeds.") and endpoint.endswith("feed"):
            FEED_REQUESTS.labels(str(response.status_code)).inc()
        return response


def count_conflict(reason: str) -> None:
    CONFLICTS.labels(reason).inc()


def count_job_failure() -> None:
    JOB_FAILURES.labels(CURRENT_JOB.get()).inc()


def count_dispatch(result: Any) -> None:
    OUTBOX_SENT.inc(result.sent)
    OUTBOX_FAILED.inc(result.failed)
    OUTBOX_RETRIED.inc(result.retried)
