"""Language and time-zone selection, and the formatting of money and local times."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.numbers import format_decimal
from flask import current_app, g, has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import format_date, get_locale
from flask_login import current_user


def select_locale() -> str:
    """The user's setting, else the switcher's choice, else Accept-Language, else Korean.

    A logged-in user's setting is also kept in their session (at log-in, and whenever the user
    is loaded), so that a request that has no other reason to load the user (a refused booking
    attempt in a crowd, docs/booking.md) answers in their language without a query for it."""
    supported = current_app.config["SUPPORTED_LOCALES"]
    if not has_request_context():
        # The CLI and the scheduler: the shell's LANG, else the default. Messages to people
        # are rendered with force_locale in the recipient's language anyway.
        lang = os.environ.get("LANG", "")[:2]
        return lang if lang in supported else current_app.config["DEFAULT_LOCALE"]
    # Flask-Login keeps the request's user in g._login_user once it has loaded it.
    ask_user = g.get("_login_user") is not None or "locale" not in session
    if (
        ask_user
        and getattr(current_user, "is_authenticated", False)
        and current_user.locale in supported
    ):
        remember_locale(current_user.locale)
        return current_user.locale
    chosen = session.get("locale")
    if chosen in supported:
        return chosen
    best = request.accept_languages.best_match(supported)
    return best or current_app.config["DEFAULT_LOCALE"]


def current_language() -> str:
    """The language being rendered ("ko" or "en": SUPPORTED_LOCALES has no regional variants),
    as `str(get_locale())` but cheap: pages call
    it for every localized name and title they show, and Flask-Babel's `get_locale` goes through
    three context lookups each time (about 10 us; a page of fifty dates asked for it hundreds of
    times). The locale Flask-Babel chose for this context is read where it keeps it, so
    `force_locale` (an email rendered in its recipient's language) is followed; before it has
    chosen, or outside an app context, `get_locale` decides as before ("" when there is none)."""
    context = _cv_app.get(None)  # `g` itself is a proxy: ten times slower than this
    space = context.g.__dict__.get("_flask_babel") if context is not None else None
    locale = getattr(space, "babel_locale", None) or get_locale()
    return locale.language if locale is not None else ""


_WEEKDAYS: dict[tuple[str, int, str], str] = {}
_MONDAY = date(2024, 1, 1)


def weekday_name(weekday: int, width: str = "EEE") -> str:
    """Weekday `weekday` (0 is Monday) in the language being rendered: "수" / "Wed" (`EEE`),
    "수요일" / "Wednesday" (`EEEE`). Babel's formatting costs about 40 us a name and lists show
    one per date, so each name is kept once made: seven per language and width."""
    language = current_language()
    key = (language, weekday, width)
    name = _WEEKDAYS.get(key)
    if name is None:
        name = format_date(_MONDAY + timedelta(days=weekday), width)
        if language:  # outside a context Babel chose no language: nothing worth keeping
            _WEEKDAYS[key] = name
    return name


def remember_locale(locale: str) -> None:
    if session.get("locale") != locale:
        session["locale"] = locale


def remember_locale_at_login(_sender: Any, user: Any, **_extra: Any) -> None:
    """Flask-Login's `user_logged_in` signal: the session starts in the user's language."""
    if user.locale in current_app.config["SUPPORTED_LOCALES"]:
        remember_locale(user.locale)


def select_timezone() -> str:
    if (
        has_request_context()
        and getattr(current_user, "is_authenticated", False)
        and is_valid_timezone(current_user.timezone)
    ):
        return current_user.timezone
    return current_app.config["DEFAULT_TIMEZONE"]


def is_valid_timezone(name: str | None) -> bool:
    if not name or name not in _zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


_ZONES: set[str] | None = None


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    return _ZONES


def format_krw(amount: int | None) -> str:
    """299억 원 in Korean (with 만/억/조 units), 29,900,000,000 KRW in English."""
    if amount is None:
        return ""
    if current_language() != "ko":
        return f"{format_decimal(amount, locale='en')} KRW"
    if amount == 0:
        return "0원"
    parts = []
    rest = amount
    for unit, size in (("조", 10**12), ("억", 10**8), ("만", 10**4)):
        if rest >= size:
            parts.append(f"{format_decimal(rest // size, locale='ko')}{unit}")
            rest %= size
    if rest:
        parts.append(format_decimal(rest, locale="ko"))
    return " ".join(parts) + " 원"


def format_local(instant: datetime, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant shown as wall-clock time in `tz`, with the zone's abbreviation."""
    local = instant.astimezone(tz)
    return f"{local.strftime(fmt)} {local.tzname()}"
