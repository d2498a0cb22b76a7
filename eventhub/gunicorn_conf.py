"""gunicorn settings for `make serve` and the Procfile (`gunicorn -c python:eventhub.gunicorn_conf
'eventhub:create_app()'`). Every value can be changed through the environment named beside it.

- workers (`WEB_CONCURRENCY`, default 2 x cores + 1): synchronous workers. A request holds one
  worker from start to end; EventHub's requests are short (pages in tens of milliseconds, feeds
  from a cache), so a few processes per core keep the cores busy while others wait on the
  database.
- timeout (`WEB_TIMEOUT`, default 30 s): a worker silent that long is killed and replaced.
- graceful_timeout (`WEB_GRACEFUL_TIMEOUT`, default 30 s): on SIGTERM workers stop accepting,
  finish the requests in flight within this time, then exit.
- max_requests (`WEB_MAX_REQUESTS`, default 2000, with jitter): a worker is replaced after this
  many requests, so a slow leak cannot grow for ever.
- bind (`WEB_BIND`, default 127.0.0.1:8000): behind a reverse proxy on the same machine; the
  proxy terminates TLS (docs/deploy.md).
- forwarded_allow_ips (`FORWARDED_ALLOW_IPS`, default 127.0.0.1): whose X-Forwarded-* headers
  gunicorn believes.
- The access log goes to stderr, through the app's secret-redacting filter (`core/logs.py`).
- Metrics (`PROMETHEUS_MULTIPROC_DIR`): the processes count into files in this directory and
  `/metrics` adds them up. Give the workers (`eventhub worker`) the same directory to see their
  counts too; without one, a fresh directory per gunicorn master is made (web counts only).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
worker_class = "sync"
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
# Server: gunicorn, without its version.
proc_name = "eventhub-web"

# Chosen before any worker imports prometheus-client (it reads this when it is imported).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="eventhub-metrics-")
    _OWN_METRICS_DIR = True
else:
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    _OWN_METRICS_DIR = False


def child_exit(server, worker):  # gunicorn hook
    """A finished worker's gauges no longer count (its counters stay in the totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):  # gunicorn hook
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def post_worker_init(worker):  # gunicorn hook
    """Once a worker has loaded the app, move everything loaded so far out of the garbage
    collector's view (`gc.freeze`): the app's modules, templates and catalogs live as long as
    the worker, and a full collection otherwise walks all of them (about 180,000 objects; tens of
    milliseconds that one unlucky request would wait)."""
    gc.collect()
    gc.freeze()
