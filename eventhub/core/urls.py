"""Absolute URLs for emails and feeds, built from PUBLIC_BASE_URL and never from a request."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for
from werkzeug.routing import MapAdapter


def _adapter() -> MapAdapter:
    # Bound once per app and base URL: feeds build hundreds of links per document.
    base_url = current_app.config["PUBLIC_BASE_URL"]
    cached = current_app.extensions.get("eventhub_url_adapter")
    if cached is not None and cached[0] == base_url:
        return cached[1]
    base = urlsplit(base_url)
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme
    )
    current_app.extensions["eventhub_url_adapter"] = (base_url, adapter)
    return adapter


def external_url(endpoint: str, **values: Any) -> str:
    """The public https URL of `endpoint`, safe to put in an email or a calendar feed."""
    return _adapter().build(endpoint, values, force_external=True)


def external_url_maker(endpoint: str, argument: str) -> Callable[[int], str]:
    """`external_url` for many integer values of one argument, without the router per call.

    The URL is built once through the router with a marker number and then formatted. Should
    the marker not appear exactly once (a base URL containing it), every call asks the router.
    """
    marker = "8675309123"
    url = external_url(endpoint, **{argument: int(marker)})
    if url.count(marker) != 1:
        return lambda value: external_url(endpoint, **{argument: value})
    head, _, tail = url.partition(marker)
    return lambda value: f"{head}{int(value)}{tail}"


def path_maker(endpoint: str, argument: str) -> Callable[[int | str], str]:
    """`url_for(endpoint, argument=value)` for many values, for a page's loop: built once through
    the router with a marker, then formatted (url_for costs about 15 us a call; a page of fifty
    dates built a hundred links). Integers, and strings of URL-safe characters only (slugs), are
    formatted in; anything else goes through the router, which quotes it."""
    marker = "8675309123"
    url = url_for(endpoint, **{argument: int(marker)})
    if url.count(marker) != 1:
        return lambda value: url_for(endpoint, **{argument: value})
    head, _, tail = url.partition(marker)

    def make(value: int | str) -> str:
        if type(value) is int or (type(value) is str and _URL_SAFE.fullmatch(value)):
            return f"{head}{value}{tail}"
        return url_for(endpoint, **{argument: value})

    return make


# RFC 3986's unreserved characters: a path segment of only these needs no quoting.
_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")


def is_safe_redirect(target: str | None) -> bool:
    """Only local paths are followed after login or a language switch."""
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target


def is_http_url(value: str) -> bool:
    """True for an absolute http(s) link with a host; javascript:, data: and the like fail."""
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)
