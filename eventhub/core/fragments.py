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

The context processors do not run for a fragment (they read the request), which keeps the
first rule honest: a fragment that reached for `current_locale` or `current_path` would fail
in the tests rather than be wrong for the next reader.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from flask import current_app, request
from markupsafe import Markup

from eventhub.core.i18n import current_language

# Fragments kept per app and process: a few hundred pages of a few kilobytes each.
SIZE = 512

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
    html = Markup(current_app.jinja_env.get_template(template).render(inputs))  # noqa: S704
    with _lock:
        kept[key] = html
        while len(kept) > SIZE:
            kept.popitem(last=False)
    return html
