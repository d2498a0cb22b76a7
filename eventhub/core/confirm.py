"""Asking again before a destructive action.

A destructive form (cancel a booking, remove a slot, cancel a message, send an announcement)
takes effect only when it carries `confirmed=yes`. Without it the view answers with a page that
says what will happen and posts the same fields again with `confirmed=yes`: the question is
asked even without JavaScript. With JavaScript, `static/desk.js` asks in a dialog first (forms
marked `data-confirm`) and adds the field itself, so one click and one answer are enough.
"""

from __future__ import annotations

from flask import Response, make_response, render_template, request

from eventhub.core.htmx import swap_whole_main

CONFIRM_FIELD = "confirmed"


def is_confirmed() -> bool:
    """Whether the posted form says the person has confirmed."""
    return request.form.get(CONFIRM_FIELD) == "yes"


def ask_to_confirm(*, question: str, consequence: str, button: str, back: str) -> Response:
    """The page that asks again, re-posting the request's fields (not its CSRF token, which
    the page renders afresh) to the same address. Asked by htmx (a form whose dialog did not
    run), it replaces the page's main part rather than the part the form updates."""
    fields = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in ("csrf_token", CONFIRM_FIELD)
    ]
    page = render_template(
        "confirm.html",
        question=question,
        consequence=consequence,
        button=button,
        back=back,
        action=request.path,
        fields=fields,
    )
    return swap_whole_main(make_response(page))
