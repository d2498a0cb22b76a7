"""Web hardening in one place: bounded ids, clean request text, the Origin check, security
headers, request size and rate limits, and the reverse-proxy settings.

Registered by ``create_app`` through ``init_security`` (before the blueprints, so that the id
converter applies to every route). See docs/security.md for the threats each part answers.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from flask import Flask, Response, current_app, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.routing import IntegerConverter
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wsgi import get_host

from eventhub.core.web import _error_response

log = logging.getLogger("eventhub")

# Ids are PostgreSQL `integer` columns (32-bit; SQLite's are wider, the narrower one rules): a
# larger number in a URL cannot name a row, and PostgreSQL refuses to compare an integer column
# with it ("integer out of range", a 500 on every page that looks an id up). Such a number is
# a 404 like any id that names nothing.
MAX_ID = 2**31 - 1

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# RFC 8058: the mail provider's server posts "List-Unsubscribe=One-Click" from its own origin
# (or none). The token in the URL is what authorizes it, not the origin.
ORIGIN_CHECK_EXEMPT = frozenset({"notifications.unsubscribe"})

# The page that shows an email's HTML part frames it from the same origin.
FRAMED_BY_SAME_ORIGIN = frozenset({"notifications.outbox_message_html"})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: an id from 1 to `MAX_ID`, anything else is a 404."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def id_arg(value: str) -> int:
    """`type=` for an id in a query string: a ValueError (so the default) when it is not a
    number from 1 to `MAX_ID` (2^31-1)."""
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise ValueError(value)
    return number


def page_arg(value: str) -> int:
    """`type=` for a page number: 1 to 100,000, else the default."""
    number = int(value)
    if not 1 <= number <= 100_000:
        raise ValueError(value)
    return number


def is_id(value: Any) -> bool:
    """An id in a JSON body: a real integer (not true/false) from 1 to `MAX_ID`."""
    return type(value) is int and 1 <= value <= MAX_ID


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with a body nested past the parser's recursion limit treated as what it
    is, invalid JSON (a ValueError: `get_json(silent=True)` gives None, the API answers 400),
    instead of a RecursionError that no handler expects (a 500)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc


def init_security(app: Flask) -> None:
    """Attach every web safeguard to `app`; call before registering blueprints."""
    app.json = BoundedJSONProvider(app)
    app.url_map.converters["int"] = IdConverter
    _configure_trusted_hosts(app)
    _configure_proxy(app)  # after: the proxy's headers are applied before the host is checked
    _hide_server_version()
    app.before_request_funcs.setdefault(None, []).insert(0, _check_request)
    app.after_request(_security_headers)
    app.register_error_handler(413, _too_large)
    app.register_error_handler(429, _too_many_requests)


def init_rate_limits(app: Flask) -> None:
    """Rate limits on the endpoints an attacker would hammer; call after the blueprints.

    The Limiter is made per app (not a module-level extension in extensions.py): Flask-Limiter
    keeps its enabled flag and its registered limits on the instance, and the tests build apps
    with limits off and on side by side.
    """
    if not app.config.get("RATELIMIT_ENABLED", True):
        return
    from flask_limiter import Limiter

    if app.config.get("ENV_NAME") == "production" and str(
        app.config.get("RATELIMIT_STORAGE_URI", "memory://")
    ).startswith("memory://"):
        log.warning(
            "Rate limits count per process (RATELIMIT_STORAGE_URI is memory://); with several "
            "web processes set it to a redis:// URL so that the limits hold across them"
        )
    limiter = Limiter(key_func=client_address, app=app)
    app.extensions["eventhub_limiter"] = limiter
    post = ["POST"]
    # endpoint -> its limits. A limit with a "scope" is one budget shared by the endpoints
    # that name it (every export counts against the same allowance).
    plan: dict[str, list[dict[str, Any]]] = {
        "accounts.login": [
            {"limit_value": _setting("RATELIMIT_LOGIN_PER_ADDRESS"), "methods": post},
            {
                "limit_value": _setting("RATELIMIT_LOGIN_PER_ACCOUNT"),
                "methods": post,
                "key_func": login_email,
                "deduct_when": failed,
            },
        ],
        "accounts.signup": [{"limit_value": _setting("RATELIMIT_SIGNUP"), "methods": post}],
        "accounts.forgot_password": [_shared("RATELIMIT_PASSWORD_RESET", "password", post)],
        "accounts.reset_password": [_shared("RATELIMIT_PASSWORD_RESET", "password", post)],
        "invitations.rsvp": [_shared("RATELIMIT_RSVP", "rsvp", post, url_token)],
        "invitations.follow_up": [_shared("RATELIMIT_RSVP", "rsvp", post, url_token)],
        "feeds.personal_feed": [{"limit_value": _setting("RATELIMIT_FEED"), "key_func": url_token}],
        "bookings.export": [_shared("RATELIMIT_EXPORT", "export", None, who)],
        "bookings.runsheet": [_shared("RATELIMIT_EXPORT", "export", None, who)],
        "invitations.follow_ups_export": [_shared("RATELIMIT_EXPORT", "export", None, who)],
        "bookings.api_slots": [_shared("RATELIMIT_API", "api", None, who)],
        "bookings.api_book": [_shared("RATELIMIT_API", "api", None, who)],
    }
    for endpoint, limits in plan.items():
        view = app.view_functions[endpoint]
        for options in limits:
            options = dict(options)
            scope = options.pop("scope", None)
            if scope is None:
                view = limiter.limit(**options)(view)
            else:
                view = limiter.shared_limit(scope=scope, **options)(view)
        app.view_functions[endpoint] = view


def _shared(
    key: str, scope: str, methods: list[str] | None, key_func: Callable[[], str] | None = None
) -> dict[str, Any]:
    options: dict[str, Any] = {"limit_value": _setting(key), "scope": scope, "methods": methods}
    if key_func is not None:
        options["key_func"] = key_func
    return options


# --- Rate-limit keys and values (module-level: the same objects for every app) ---------------


def _setting(key: str) -> Callable[[], str]:
    """A limit read from the settings at request time ("5 per minute")."""
    return lambda: str(current_app.config[key])


def client_address() -> str:
    """The client's address (the real one behind a proxy when PROXY_FIX_X_FOR is set)."""
    return request.remote_addr or "unknown"


def login_email() -> str:
    """Failed log-ins counted per account, whichever address they come from."""
    email = (request.form.get("email") or "").strip().lower()
    return f"account:{email}" if email else ""


def url_token() -> str:
    """A personal link (feed, RSVP) counted per token."""
    return f"token:{(request.view_args or {}).get('token', '')}"


def who() -> str:
    """A logged-in person counted as themselves, anyone else per address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"address:{client_address()}"


def failed(response: Response) -> bool:
    return response.status_code >= 400


# --- Requests ---------------------------------------------------------------------------------


def trusted_hosts_setting(value: Any) -> list[str]:
    """TRUSTED_HOSTS as a list: the environment gives a comma list (or a JSON list)."""
    if isinstance(value, str):
        value = value.split(",")
    return [str(host).strip().lower() for host in value or () if str(host).strip()]


# Before Flask: its own TRUSTED_HOSTS check fails while building the URL adapter, so the error
# page (which builds links) could not be rendered and the answer was a 500. This answer needs
# nothing of the app, in both languages since the person's is not known yet.
_UNTRUSTED_HOST_TEXT = (
    "400 Bad Request: this site is not served at this address.\n"
    "400 잘못된 요청: 이 주소에서는 이 사이트를 제공하지 않습니다.\n"
).encode()
_UNTRUSTED_HOST_JSON = (
    b'{"error": {"status": 400, "title": "Bad request", '
    b'"message": "This site is not served at this address."}}\n'
)


class TrustedHostsMiddleware:
    """Answers a request whose Host is not one of `hosts` (any, when empty) with
    a small 400 before the app sees it: text, or JSON under /api/; no body for HEAD."""

    def __init__(self, wsgi_app: Callable[..., Any], hosts: list[str]) -> None:
        self.wsgi_app = wsgi_app
        self.hosts = hosts or None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            get_host(environ, self.hosts)
        except SecurityError:
            return self._refuse(environ, start_response)
        return self.wsgi_app(environ, start_response)

    @staticmethod
    def _refuse(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        log.warning("refused a request for an untrusted host %r", environ.get("HTTP_HOST"))
        if environ.get("PATH_INFO", "").startswith("/api/"):
            body, kind = _UNTRUSTED_HOST_JSON, "application/json"
        else:
            body, kind = _UNTRUSTED_HOST_TEXT, "text/plain; charset=utf-8"
        start_response(
            "400 BAD REQUEST",
            [
                ("Content-Type", kind),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


def _configure_trusted_hosts(app: Flask) -> None:
    hosts = trusted_hosts_setting(app.config.get("TRUSTED_HOSTS"))
    # Flask checks again while building its URL adapter; None there (any host) when empty.
    app.config["TRUSTED_HOSTS"] = hosts or None
    app.wsgi_app = TrustedHostsMiddleware(app.wsgi_app, hosts)  # type: ignore[method-assign]


def _configure_proxy(app: Flask) -> None:
    hops = {
        name: int(app.config.get(f"PROXY_FIX_{name.upper()}", 0) or 0)
        for name in ("x_for", "x_proto", "x_host", "x_port", "x_prefix")
    }
    if any(hops.values()):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, **hops)  # type: ignore[method-assign]


def _hide_server_version() -> None:
    # Werkzeug's server (`eventhub run`) names itself and Python with their versions; that
    # helps nobody but someone matching known flaws. Production servers sit behind a proxy
    # that sets its own header.
    WSGIRequestHandler.version_string = lambda self: "EventHub"  # type: ignore[method-assign]


def _check_request() -> Response | None:
    """Refuse text a person cannot have meant, and cross-site writes, before any view runs."""
    if not _is_clean_text():
        return _error(
            400,
            _("Bad request"),
            _("The request contains a NUL character or is not valid UTF-8 text."),
        )
    if request.method in UNSAFE_METHODS and request.endpoint not in ORIGIN_CHECK_EXEMPT:
        origin = _request_origin()
        if origin is not None and origin not in _trusted_origins():
            return _error(
                403,
                _("Sent from another site"),
                _(
                    "This form was sent from another site (%(origin)s), so it was refused. "
                    "Open the page on this site and send it again."
                )
                % {"origin": origin[:100]},
            )
    return None


def _is_clean_text() -> bool:
    environ = request.environ
    # The URI as sent (Werkzeug's server and gunicorn keep it): PATH_INFO has already been
    # decoded, with bad bytes replaced.
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw_uri:
        raw_path = unquote_to_bytes(raw_uri.split("?", 1)[0].encode("latin-1", "replace"))
    else:
        raw_path = environ.get("PATH_INFO", "").encode("latin-1", "replace")
    parts = [raw_path, unquote_to_bytes(request.query_string)]
    if request.mimetype == "application/x-www-form-urlencoded" and not _too_long():
        # The form parser below would turn bad bytes into U+FFFD without a word.
        body = request.get_data(cache=True)
        parts.append(unquote_to_bytes(body.replace(b"+", b" ")))
    for part in parts:
        if b"\x00" in part:
            return False
        try:
            part.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


def _too_long() -> bool:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return bool(limit and request.content_length and request.content_length > limit)


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname.lower()
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def _request_origin() -> str | None:
    """Where the browser says the request comes from: Origin, else Referer; None if neither.

    A request with neither (a script, a mail program) still needs its CSRF token; browsers
    send Origin with every cross-site POST.
    """
    origin = request.headers.get("Origin")
    if origin is not None:
        return _origin_of(origin) or "null"
    referer = request.headers.get("Referer")
    if referer:
        return _origin_of(referer) or "null"
    return None


def _trusted_origins() -> set[str]:
    trusted = {_origin_of(request.host_url), _origin_of(current_app.config["PUBLIC_BASE_URL"])}
    trusted.update(_origin_of(url) for url in current_app.config.get("TRUSTED_ORIGINS", ()))
    trusted.discard(None)
    return trusted  # type: ignore[return-value]


# --- Responses --------------------------------------------------------------------------------


def _security_headers(response: Response) -> Response:
    headers = response.headers
    framed = request.endpoint in FRAMED_BY_SAME_ORIGIN
    own_policy = headers.get("Content-Security-Policy")
    if own_policy is None:
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    elif "frame-ancestors" not in own_policy:
        ancestors = "'self'" if framed else "'none'"
        headers["Content-Security-Policy"] = f"{own_policy}; frame-ancestors {ancestors}"
    headers["X-Frame-Options"] = "SAMEORIGIN" if framed else "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    # Personal links (RSVP, feeds, password reset) carry tokens in the path: never send a URL
    # of ours to another site.
    headers["Referrer-Policy"] = "same-origin"
    seconds = int(current_app.config.get("HSTS_SECONDS") or 0)
    if seconds > 0 and request.is_secure:
        headers["Strict-Transport-Security"] = f"max-age={seconds}; includeSubDomains"
    return response


def _error(status: int, title: str, message: str) -> Any:
    return _error_response(status, title, message)


def _too_large(exc: HTTPException) -> Any:
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return _error(
        413,
        _("Too much data"),
        _("The request is larger than the %(size)s MB this site accepts.")
        % {"size": max(1, limit // (1024 * 1024))},
    )


def _too_many_requests(exc: HTTPException) -> Any:
    limiter = current_app.extensions.get("eventhub_limiter")
    current = limiter.current_limit if limiter is not None else None
    wait = 60
    if current is not None:
        window = current.limit.get_expiry()
        wait = min(window, max(1, math.ceil(current.reset_at - time.time())))
    body, status = _error(
        429,
        _("Too many requests"),
        _("Too many attempts in a short time. Please wait %(seconds)s seconds and try again.")
        % {"seconds": wait},
    )
    response = current_app.make_response((body, status))
    response.headers["Retry-After"] = str(wait)
    return response
