"""The one source of "now". Services take ``now`` as an argument; views and jobs call this."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current instant, aware UTC."""
    return datetime.now(UTC)
