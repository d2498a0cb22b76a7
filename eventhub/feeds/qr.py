"""QR codes of feed addresses, as inline SVG (segno: maintained, pure Python, no images).

A phone's camera then subscribes to a feed shown on a desktop screen. The SVG has no script
and no style attribute, so it passes the Content-Security-Policy inline in the page."""

from __future__ import annotations

import io
from functools import lru_cache

import segno
from markupsafe import Markup


@lru_cache(maxsize=256)
def _svg(url: str, title: str) -> str:
    code = segno.make(url, error="m")
    buffer = io.BytesIO()
    code.save(buffer, kind="svg", xmldecl=False, svgns=True, scale=4, title=title, svgclass="qr")
    return buffer.getvalue().decode("utf-8")


def qr_svg(url: str, *, title: str) -> Markup:
    """The QR code of `url` as an <svg> element (cached: public feed addresses repeat)."""
    return Markup(_svg(url, title))  # noqa: S704 - segno escapes the title; no user HTML
