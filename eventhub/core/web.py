"""Request plumbing: the one commit point, error pages, logging, template helpers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import (
    Flask,
    Response,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from eventhub.core.errors import DomainError
from eventhub.core.metrics import count_conflict
from eventhub.core.transactions import begin_write
from eventhub.extensions import db

log = logging.getLogger("eventhub")


def _wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _error_response(status: int, title: str, message: str) -> tuple[Any, int]:
    if _wants_json():
        return jsonify(error={"status": status, "title": title, "message": message}), status
    template = f"errors/{status}.html" if status in (403, 404, 405, 500) else "errors/generic.html"
    return render_template(template, status=status, title=title, message=message), status


# Requests with these methods may write; every one of them gets its write transaction first.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def register_request_hooks(app: Flask) -> None:
    @app.before_request
    def begin_write_transaction() -> None:
        """The one place a request that may write gets its write transaction, before anything
        is read: BEGIN IMMEDIATE on SQLite (the write lock, waited for), a plain BEGIN on
        PostgreSQL, where services lock the rows they decide on. Views never ask for it."""
        if request.method not in SAFE_METHODS:
            begin_write()

    @app.after_request
    def commit_or_roll_back(response: Response) -> Response:
        """The one place where a request commits: on success only; anything else rolls back."""
        if not db.session.registry.has():
            return response  # the request never touched the ORM session (a cached feed)
        if response.status_code < 400:
            try:
                db.session.commit()
            except DomainError as exc:
                # A last guard at the flush (text longer than its column) that the view did
                # not meet: the request is refused, nothing is kept, and the answer says why.
                db.session.rollback()
                return make_response(
                    _error_response(exc.status, _("That could not be done"), str(exc.message))
                )
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def roll_back_on_error(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()


def roll_back() -> None:
    """Roll back what the request wrote, after choosing the person's language while the
    session can still read it (afterwards every loaded row is expired: reading the user's
    language again would cost a query). A session a failed flush left unusable is rolled back
    first."""
    try:
        get_locale()
    except SQLAlchemyError:
        db.session.rollback()
        get_locale()
    db.session.rollback()


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        roll_back()
        return _error_response(
            400,
            _("The form has expired"),
            _(
                "The form was missing its security token or it expired. "
                "Reload the page and try again."
            ),
        )

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Any:
        roll_back()
        if exc.status == 409:
            count_conflict(type(exc).__name__)
        return _error_response(exc.status, _("That could not be done"), str(exc.message))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        roll_back()
        status = exc.code or 500
        titles = {
            400: _("Bad request"),
            401: _("Please log in"),
            403: _("Not allowed"),
            404: _("Page not found"),
            405: _("Method not allowed"),
            410: _("Gone"),
        }
        messages = {
            400: _("The request could not be understood."),
            401: _("Please log in to continue."),
            403: _("You do not have permission to see this page."),
            404: _("This page does not exist. It may have moved or been removed."),
            405: _("This page cannot be used that way."),
            410: _("This link is no longer valid."),
        }
        response = _error_response(
            status, titles.get(status, _("Error")), messages.get(status, str(exc.description))
        )
        if status == 405 and exc.get_response().headers.get("Allow"):
            body, code = response
            resp = app.make_response((body, code))
            resp.headers["Allow"] = exc.get_response().headers["Allow"]
            return resp
        return response

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception) -> Any:
        # Never a stack trace to a person: log it, show a friendly page.
        roll_back()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _error_response(
            500,
            _("Something went wrong"),
            _("An unexpected error occurred. It has been logged; please try again later."),
        )


def refusal(exc: DomainError) -> str:
    """The message of a rule's "no", for a view that shows it on the page it re-renders.

    Rolls back first: what the use case half wrote must not stay, and a failed flush (a
    unique index that said no) leaves a session that cannot even read until it is rolled
    back, so neither the message's translation nor the page could be rendered."""
    roll_back()
    return str(exc.message)


def act_then_redirect(
    action: Callable[[], Any], *, done: str | Callable[[Any], str], back: str
) -> Response:
    """Run one write use case from a small action form; on a rule's "no", roll back and show
    why on the page it came from. Either way the browser is sent back (303). `done` is the
    message, or a function that words it from what the action returned."""
    try:
        result = action()
        # The models' last guards (text longer than its column) speak at the flush: here,
        # where a refusal becomes a message, rather than at the commit after the view.
        db.session.flush()
    except DomainError as exc:
        roll_back()
        if exc.status == 409:
            count_conflict(type(exc).__name__)
        flash(str(exc.message), "error")
        return redirect(back, code=303)
    flash(done(result) if callable(done) else done, "success")
    return redirect(back, code=303)
