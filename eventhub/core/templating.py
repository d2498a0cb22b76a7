"""Template filters and globals: local times, money, industry labels."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, request
from flask_babel import get_locale

from eventhub.centers.industries import industry_label
from eventhub.core.i18n import format_krw, format_local


def register_template_helpers(app: Flask) -> None:
    @app.template_filter("krw")
    def krw(amount: int | None) -> str:
        return format_krw(amount)

    @app.template_filter("local")
    def local(instant: datetime, tz: ZoneInfo | str, fmt: str = "%Y-%m-%d %H:%M") -> str:
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        return format_local(instant, zone, fmt)

    @app.template_filter("industry")
    def industry(code: str) -> str:
        return industry_label(code)

    @app.context_processor
    def inject_locale() -> dict:
        return {
            "current_locale": str(get_locale()),
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
