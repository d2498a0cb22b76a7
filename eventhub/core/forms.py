"""The base of every form: CSRF from Flask-WTF, no control characters in any text, a length
limit on every text field and a sane range on every date."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeField,
    Field,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from eventhub.core.text import strip_controls
from eventhub.core.urls import is_http_url

# Dates people may enter anywhere. Outside them local-to-UTC arithmetic overflows (year 1 or
# 9999 plus a zone offset) and no investor day is meant.
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2999, 12, 31)

# A text field without a Length of its own gets one of these: nothing a person types is
# unbounded. Textareas hold paragraphs, single-line fields a name or a link.
DEFAULT_MAX_LINE = 500
DEFAULT_MAX_TEXT = 5000


def _strip(value: Any) -> Any:
    return strip_controls(value) if isinstance(value, str) else value


def date_in_range(form: Any, field: Field) -> None:
    """Validator: a date (or date and time) from FIRST_DATE to LAST_DATE."""
    value = field.data
    if not isinstance(value, date):  # empty, or a TimeField (a DateTimeField too)
        return
    day = value.date() if isinstance(value, datetime) else value
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ValidationError(
            _l(
                "Choose a date from %(first)s to %(last)s.",
                first=FIRST_DATE.isoformat(),
                last=LAST_DATE.isoformat(),
            )
        )


def single_line(form: Any, field: Field) -> None:
    """Validator for text that ends up in a mail header (subjects, names): no line breaks."""
    if field.data and ("\r" in field.data or "\n" in field.data):
        raise ValidationError(_l("Write this on one line, without line breaks."))


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict) -> Any:
            # New lists passed to bind(): the unbound field is shared by every instance of
            # the form, so changing its kwargs would add the same validator again each time.
            filters = [*unbound_field.kwargs.get("filters", ()), _strip]
            field_class = unbound_field.field_class
            validators = list(unbound_field.kwargs.get("validators") or ())
            if issubclass(field_class, StringField) and not any(
                isinstance(v, Length) for v in validators
            ):
                longest = (
                    DEFAULT_MAX_TEXT if issubclass(field_class, TextAreaField) else DEFAULT_MAX_LINE
                )
                validators.append(Length(max=longest))
            if issubclass(field_class, (DateField, DateTimeField)):
                validators.append(date_in_range)
            return unbound_field.bind(form=form, filters=filters, validators=validators, **options)


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def http_url(form: Any, field: Field) -> None:
    """Validator: an absolute http(s) link; javascript:, data: and the like are refused."""
    if field.data and not is_http_url(field.data):
        raise ValidationError(_l("Use a link that starts with http:// or https://."))
