"""Text hygiene for what people type."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_controls(text: str | None) -> str | None:
    """Text without control characters (NUL, ESC, DEL, C1), keeping tabs and line breaks.

    PostgreSQL refuses NUL in text, calendars forbid the rest; nobody means to type them.
    """
    if text is None:
        return None
    return _CONTROL.sub("", text)
