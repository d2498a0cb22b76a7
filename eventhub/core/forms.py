"""The base of every form: CSRF from Flask-WTF, and no control characters in any text."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectMultipleField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from eventhub.core.text import strip_controls
from eventhub.core.urls import is_http_url


def _strip(value: Any) -> Any:
    return strip_controls(value) if isinstance(value, str) else value


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict) -> Any:
            filters = list(unbound_field.kwargs.get("filters", ()))
            filters.append(_strip)
            unbound_field.kwargs["filters"] = filters
            return unbound_field.bind(form=form, **options)


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def http_url(form: Any, field: Field) -> None:
    """Validator: an absolute http(s) link; javascript:, data: and the like are refused."""
    if field.data and not is_http_url(field.data):
        raise ValidationError(_l("Use a link that starts with http:// or https://."))
