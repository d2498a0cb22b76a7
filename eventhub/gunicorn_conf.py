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
"""

from __future__ import annotations

import multiprocessing
import os

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
