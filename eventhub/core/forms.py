"""The base of every form: CSRF from Flask-WTF, and no control characters in any text."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm

from eventhub.core.text import strip_controls


def _strip(value: Any) -> Any:
    return strip_controls(value) if isinstance(value, str) else value


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict) -> Any:
            filters = list(unbound_field.kwargs.get("filters", ()))
            filters.append(_strip)
            unbound_field.kwargs["filters"] = filters
            return unbound_field.bind(form=form, **options)
