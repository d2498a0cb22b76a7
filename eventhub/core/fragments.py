"""HTML fragments kept by everything they show (issue 13, docs/benchmarks.md "Public pages").

A public page reads its data live at every request: the slots still free, the dates listed,
the centers. What costs is turning that data into HTML: Jinja spends about thirty calls on a
row of a list, and the home page shows a hundred rows of one kind or another. When a fragment's
inputs are exactly those of an earlier request (a crowd reading the home page while nothing
changes), the HTML made then is the HTML now, so it is kept, keyed by every input, the language
and the script root. Nothing can be stale: a changed input is another key, and a slot booked a
moment ago changes the grid's input at the next request.

Rules for a template rendered through `fragment()`:

- it reads only what it is given and the app's template globals that are pure (`_`,
  `url_for` for paths, `path_maker`, `options`, `feed_links`...): never `current_user`,
  `request`, `session`, `g`, `csrf_token()`, flashed messages or the clock;
- its inputs are hashable values (tuples, NamedTuples, strings, numbers, dates, None).

Both rules are enforced, not only reviewed: the context processors do not run for a fragment
(so `current_locale` or `current_path` are not there), and fragments are rendered by an
environment of their own (`fragment_environment`) in which the globals that read the request
(`request`, `session`, `g`, `csrf_token`, `get_flashed_messages`, `current_user`) are stand-ins
that raise when a template touches them. A fragment reaching for one fails in the tests rather
than showing one reader's page to the next.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, NoReturn

from flask import Flask, current_app, request
from jinja2 import Environment
from markupsafe import Markup

from eventhub.core.i18n import current_language

# Fragments kept per app and process: a few hundred pages of a few kilobytes each.
SIZE = 512

# Template globals that read the request or the visitor: none of them may be in a fragment.
PER_REQUEST = ("request", "session", "g", "csrf_token", "get_flashed_messages", "current_user")


class _PerRequest:
    """Stands in for a per-request global inside a fragment: any use of it raises."""

    def __init__(self, name: str) -> None:
        self._name = name

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError(
            f"a fragment template used {self._name!r}; fragments read only their inputs "
            "(eventhub/core/fragments.py)"
        )

    __getattr__ = __getitem__ = __call__ = __bool__ = __str__ = __iter__ = __html__ = _refuse


def fragment_environment(app: Flask) -> Environment:
    """The app's Jinja environment for fragments: the same loader, filters and globals, with
    the per-request globals replaced by stand-ins that refuse (a cache of its own, so no
    template compiled with the real globals is shared)."""
    env = app.extensions.get("eventhub_fragment_env")
    if env is None:
        env = app.jinja_env.overlay(cache_size=400)
        env.globals = {
            **app.jinja_env.globals,
            **{name: _PerRequest(name) for name in PER_REQUEST},
        }
        app.extensions["eventhub_fragment_env"] = env
    return env


_lock = threading.Lock()  # the development server answers in threads


def fragment(template: str, /, **inputs: Hashable) -> Markup:
    """`template` rendered with `inputs` (see the module's rules), made once per distinct
    inputs, language and script root, and kept among the last `SIZE` made by this app (its
    configuration, such as PUBLIC_BASE_URL, is part of what a fragment shows)."""
    kept = current_app.extensions.setdefault("eventhub_fragments", OrderedDict())
    key = (template, current_language(), request.script_root, tuple(sorted(inputs.items())))
    with _lock:
        found = kept.get(key)
        if found is not None:
            kept.move_to_end(key)
            return found
    # Autoescaped by the template; the inputs are data, never markup.
    env = fragment_environment(current_app)
    html = Markup(env.get_template(template).render(inputs))  # noqa: S704
    with _lock:
        kept[key] = html
        while len(kept) > SIZE:
            kept.popitem(last=False)
    return html
