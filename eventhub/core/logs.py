"""Logging: readable lines on stderr, and no secret in any of them.

Links in emails and feed addresses carry secrets in their path (a personal feed token, an RSVP
or reset link, a verification or unsubscribe link). Whoever reads the access log must not be
able to use them, so every such path segment is replaced by ``[redacted]`` before a line is
written, by the development server (werkzeug), gunicorn, and our own loggers alike. The
patterns come from the URL map: every route with a ``<token>`` argument, so a new one is
covered without anyone remembering to add it.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask

REDACTED = "[redacted]"
SECRET_ARGUMENT = "token"  # noqa: S105 - the name of a URL argument, not a secret
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "eventhub")


def secret_path_pattern(rules: Iterable[str]) -> re.Pattern[str]:
    """A pattern whose first group is the path up to a secret and whose match ends with it."""
    prefixes = sorted(
        {rule.split(f"<{SECRET_ARGUMENT}>")[0] for rule in rules if f"<{SECRET_ARGUMENT}>" in rule},
        key=len,
        reverse=True,
    )
    parts = [re.escape(prefix) for prefix in prefixes] or [r"(?!)"]
    # A token ends at the next slash, query, space or quote; a feed keeps its ".ics".
    return re.compile(
        r"(" + "|".join(parts) + r")[^/?\s\"']+?(?=\.ics\b|[/?\s\"']|$)"
        r"|([?&](?:token|key)=)[^&\s\"']+"
    )


class RedactSecrets(logging.Filter):
    """Replaces the secrets in a record's message and arguments (a tuple, or the mapping that
    gunicorn's access log passes) before any handler formats it."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        super().__init__()
        self.pattern = pattern

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.pattern.sub(lambda m: (m.group(1) or m.group(2)) + REDACTED, value)
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._clean(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {key: self._clean(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(self._clean(value) for value in record.args)
        return True


def configure_logging(app: Flask) -> None:
    """Readable lines on stderr (time, level, logger, message) and secrets redacted in every
    logger that sees request paths."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    root = logging.getLogger("eventhub")
    root.handlers[:] = [handler]
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    root.propagate = False


def install_redaction(app: Flask) -> None:
    """Once the routes are registered: redact every secret-bearing path in every log line."""
    redact = RedactSecrets(secret_path_pattern(rule.rule for rule in app.url_map.iter_rules()))
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, RedactSecrets)]:
            logger.removeFilter(old)
        logger.addFilter(redact)
