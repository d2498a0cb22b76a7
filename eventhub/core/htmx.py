"""Partial page updates with htmx (static/vendor/htmx-*.min.js), and pages that still work
without it.

A form marked `hx-post` is sent by htmx with the header `HX-Request: true`. Its view does what
it always does (one use case, then a 303 to the page it came from); the browser's request
follows the redirect with the same headers, and that page's view answers with the part of the
page the form replaces (`page_or_fragment`) instead of the whole page. The messages the action
flashed travel with the fragment into the page's one live region (`#flashes`), out of band.
Without JavaScript the same forms post normally and get the whole page.
"""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request

HX_REQUEST = "HX-Request"


def wants_fragment() -> bool:
    """Whether htmx asked (a partial update), rather than the browser (a whole page)."""
    return request.headers.get(HX_REQUEST) == "true"


def page_or_fragment(page: str, fragment: str, **context: Any) -> Response:
    """The whole `page`, or for htmx the `fragment` template with the flashed messages.

    Both come from the same context, and the page includes the fragment, so the two cannot
    drift apart. `Vary: HX-Request` keeps a cache from serving one for the other."""
    if wants_fragment():
        body = render_template(fragment, **context) + render_template("_flashes_oob.html")
    else:
        body = render_template(page, **context)
    response = make_response(body)
    response.vary.add(HX_REQUEST)
    return response


def swap_whole_main(response: Response) -> Response:
    """For an htmx request answered with a page of its own (the confirmation step): replace
    the page's <main> with the answer's, not the small part the form meant to update."""
    if wants_fragment():
        response.headers["HX-Retarget"] = "#content"
        response.headers["HX-Reselect"] = "#content"
        response.headers["HX-Reswap"] = "outerHTML"
    response.vary.add(HX_REQUEST)
    return response
