"""Forms of the notifications area: reminder rules, announcements, preferences."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectChoice, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from eventhub.core.errors import InvalidInput
from eventhub.core.forms import BaseForm, MultiCheckboxField, single_line
from eventhub.notifications.models import (
    ANNOUNCEMENT_AUDIENCE_LABELS,
    AUDIENCE_LABELS,
    Audience,
)
from eventhub.notifications.services import parse_offsets


def _offsets(form: Any, field: Any) -> None:
    try:
        field.offsets = parse_offsets(field.data or "")
    except InvalidInput as exc:
        raise ValidationError(str(exc.message)) from exc


def _rule_field(audience: Audience) -> StringField:
    return StringField(AUDIENCE_LABELS[audience], validators=[Length(max=200), _offsets])


class ReminderRulesForm(BaseForm):
    """One line per audience: the times before the event, e.g. "7d, 1d, 2h"; empty for none."""

    startups = _rule_field(Audience.startups)
    investors = _rule_field(Audience.investors)
    unanswered = _rule_field(Audience.unanswered)
    organizers = _rule_field(Audience.organizers)
    offer_expiry = _rule_field(Audience.offer_expiry)
    meetings = _rule_field(Audience.meetings)
    submit = SubmitField(_l("Save the reminders"))

    def rules(self) -> dict[Audience, list[int]]:
        return {audience: getattr(self, audience.value).offsets for audience in Audience}


class AnnouncementForm(BaseForm):
    audiences = MultiCheckboxField(
        _l("Send to"),
        choices=[SelectChoice(a.value, label) for a, label in ANNOUNCEMENT_AUDIENCE_LABELS.items()],
        validators=[DataRequired(_l("Choose who should receive the announcement."))],
    )
    subject_ko = StringField(
        _l("Subject (Korean)"), validators=[DataRequired(), Length(max=200), single_line]
    )
    body_ko = TextAreaField(_l("Message (Korean)"), validators=[DataRequired(), Length(max=10000)])
    subject_en = StringField(
        _l("Subject (English, optional)"), validators=[Optional(), Length(max=200), single_line]
    )
    body_en = TextAreaField(
        _l("Message (English, optional)"), validators=[Optional(), Length(max=10000)]
    )
    preview = SubmitField(_l("Preview"))
    send = SubmitField(_l("Send"))


class PreferencesForm(BaseForm):
    reminders_enabled = BooleanField(_l("Send me reminders before events"))
    submit = SubmitField(_l("Save"))


class ActionForm(BaseForm):
    """A button that only needs its CSRF token (retry, cancel)."""
