"""Template filters and globals: local times, money, industry labels.

Part of the application's wiring (like `create_app` and the CLI), so it may use any area."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, request
from flask_babel import format_date, get_translations
from markdown_it import MarkdownIt
from markupsafe import Markup

from eventhub.bookings.forms import STAGES
from eventhub.bookings.labels import stage_label
from eventhub.centers.industries import INDUSTRIES, industry_label
from eventhub.core.i18n import current_language, format_krw, format_local
from eventhub.core.urls import path_maker


def register_template_helpers(app: Flask) -> None:
    @app.template_filter("krw")
    def krw(amount: int | None) -> str:
        return format_krw(amount)

    @app.template_filter("local")
    def local(instant: datetime, tz: ZoneInfo | str, fmt: str = "%Y-%m-%d %H:%M") -> str:
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        return format_local(instant, zone, fmt)

    markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")

    @app.template_filter("markdown")
    def render_markdown(text: str | None) -> Markup:
        """Markdown as HTML; raw HTML is escaped and javascript: links are refused."""
        return Markup(markdown.render(text or ""))  # noqa: S704 - markdown-it escapes HTML

    @app.template_filter("hm")
    def hour_minute(instant: datetime, tz: ZoneInfo | str) -> str:
        """Wall-clock hours and minutes in `tz`, for times inside one event's day."""
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        return instant.astimezone(zone).strftime("%H:%M")

    @app.template_filter("industry")
    def industry(code: str) -> str:
        return industry_label(code)

    @app.template_filter("iso_local")
    def iso_local(value: str, tz: str, fmt: str = "%Y-%m-%d %H:%M", zone: bool = True) -> str:
        """An ISO instant stored in a message's data, shown as local time in `tz` (with the
        zone's abbreviation unless `zone` is false, for times in a table under a dated
        heading)."""
        if not value:
            return ""
        instant = datetime.fromisoformat(value)
        if not zone:
            return instant.astimezone(ZoneInfo(tz)).strftime(fmt)
        return format_local(instant, ZoneInfo(tz), fmt)

    @app.template_filter("stage")
    def stage(code: str | None) -> str:
        return stage_label(code)

    @app.template_global()
    def industry_choices() -> list[tuple[str, str]]:
        return [(code, str(label)) for code, label in INDUSTRIES.items()]

    @app.template_global()
    def stage_choices() -> list[tuple[str, str]]:
        return [(choice.value, str(choice.label)) for choice in STAGES]

    @app.template_global()
    def in_korean() -> bool:
        return current_language() == "ko"

    weekdays: dict[tuple[str, int], str] = {}

    @app.template_global()
    def weekday_name(moment: datetime) -> str:
        """The short weekday in the reader's language: 수 / Wed. Seven names per language,
        kept once formatted (Babel's formatting costs about 40 us, once per date listed)."""
        key = (current_language(), moment.weekday())
        name = weekdays.get(key)
        if name is None:
            name = weekdays[key] = format_date(moment.date(), "EEE")
        return name

    # Links to many rows of one kind in a loop: `{% set link = path_maker(endpoint, arg) %}`.
    app.add_template_global(path_maker)

    _install_fast_gettext(app)

    @app.context_processor
    def inject_locale() -> dict:
        return {
            "current_locale": current_language(),
            "current_path": request.full_path.rstrip("?") if request else "/",
        }


def _install_fast_gettext(app: Flask) -> None:
    """`_()` in templates through the catalog of the language being rendered, found in a dict.

    Flask-Babel's own callables look the catalog up through its context at every call (about
    25 us; a page says forty to sixty things). The catalogs are fixed for the process's life, one
    per language; `current_language` follows `force_locale`, so an email rendered during a
    request in its recipient's language still gets the recipient's catalog."""
    catalogs: dict[str, Any] = {}

    def catalog() -> Any:
        language = current_language()
        found = catalogs.get(language)
        if found is None:
            found = get_translations()
            if language:  # outside any context: nothing to keep
                catalogs[language] = found
        return found

    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: catalog().ugettext(s),
        ngettext=lambda s, p, n: catalog().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalog().unpgettext(c, s, p, n),
    )
