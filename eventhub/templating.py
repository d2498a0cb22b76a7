"""Template filters and globals: local times, money, industry labels.

Part of the application's wiring (like `create_app` and the CLI), so it may use any area."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, request, url_for
from flask_babel import get_translations
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from eventhub.bookings.forms import STAGES
from eventhub.bookings.labels import stage_label
from eventhub.centers.industries import INDUSTRIES, industry_label
from eventhub.core.fragments import fragment
from eventhub.core.i18n import current_language, format_krw, format_local
from eventhub.core.i18n import weekday_name as weekday_in_language
from eventhub.core.urls import path_maker

# Stands for the path in an anonymous visitor's kept header until it is written in (a NUL:
# no URL the app answers contains one, and escaping leaves it as it is).
NEXT_PATH_MARK = "\x00next-path\x00"


def register_template_helpers(app: Flask) -> None:
    @app.template_filter("krw")
    def krw(amount: int | None) -> str:
        return format_krw(amount)

    @app.template_filter("local")
    def local(instant: datetime, tz: ZoneInfo | str, fmt: str = "%Y-%m-%d %H:%M") -> str:
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        return format_local(instant, zone, fmt)

    markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")

    @lru_cache(maxsize=512)
    def markdown_html(text: str) -> str:
        return markdown.render(text)

    @app.template_filter("markdown")
    def render_markdown(text: str | None) -> Markup:
        """Markdown as HTML; raw HTML is escaped and javascript: links are refused. Kept per
        text once rendered (a series description is shown at every view of its page)."""
        return Markup(markdown_html(text or ""))  # noqa: S704 - markdown-it escapes HTML

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
        return [(code, industry_label(code)) for code in INDUSTRIES]

    @app.template_global()
    def stage_choices() -> list[tuple[str, str]]:
        return [(choice.value, str(choice.label)) for choice in STAGES]

    @app.template_global()
    def in_korean() -> bool:
        return current_language() == "ko"

    @app.template_global()
    def weekday_name(moment: datetime) -> str:
        """The short weekday in the reader's language: 수 / Wed."""
        return weekday_in_language(moment.weekday())

    @app.template_global()
    def options(choices: Any, selected: str | None) -> Markup:
        """The <option> elements of a select, `selected` marked, from (value, label) pairs or
        from longer rows whose first two fields are those (the home page's `CenterRow`s). One
        call instead of a loop in the template: a home page's filters list thirty-odd choices,
        and each costs Jinja about thirty calls, here three."""
        return Markup(  # noqa: S704 - every value and label is escaped here
            "".join(
                f'<option value="{escape(value)}"{" selected" if value == selected else ""}>'
                f"{escape(label)}</option>"
                for value, label, *_rest in choices
            )
        )

    static_urls: dict[tuple[str, str], str] = {}

    @app.template_global()
    def static_url(filename: str) -> str:
        """`url_for('static', filename=...)`, kept per file and script root: every page links
        the same stylesheets and scripts (six calls to the router, about 90 us a page)."""
        key = (request.script_root, filename)
        url = static_urls.get(key)
        if url is None:
            url = static_urls[key] = url_for("static", filename=filename)
        return url

    # A fragment made once per distinct inputs (eventhub/core/fragments.py).
    app.add_template_global(fragment)

    @app.template_global()
    def anonymous_header(current_path: str, current_locale: str) -> Markup:
        """An anonymous visitor's header, made once per language (`_header.html`). The path
        the language switcher returns to is the one per-request part: it is written in after,
        escaped, so that a crawler's thousand query strings do not each keep a header of their
        own and push the public pages' fragments out of the cache (issue 13)."""
        html = fragment("_header.html", next_path=NEXT_PATH_MARK, current_locale=current_locale)
        return Markup(str(html).replace(NEXT_PATH_MARK, str(escape(current_path)), 1))  # noqa: S704

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

    @pass_eval_context
    def underscore(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
        """`_()` as the i18n extension's new-style gettext does it (escaped when the template
        autoescapes, always a format string), called directly: the extension's alias goes
        through the context twice more (about 15 calls for each of a page's fifty `_()`)."""
        found = catalog().ugettext(string)
        # The catalog is ours: translations are trusted text, as with the extension.
        return (Markup(found) if eval_ctx.autoescape else found) % variables  # noqa: S704

    app.jinja_env.globals["_"] = underscore
