"""Meeting forms: the organizer's session, placing a meeting, and the participants' request,
unavailable times and outcome."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    ValidationError,
)

from eventhub.core.forms import BaseForm as FlaskForm
from eventhub.core.forms import MultiCheckboxField
from eventhub.core.security import MAX_ID
from eventhub.core.urls import is_http_url
from eventhub.meetings.models import OUTCOME_LABELS, MeetingOutcome


def _links(form: FlaskForm, field: TextAreaField) -> None:
    for line in (field.data or "").splitlines():
        if line.strip() and not is_http_url(line.strip()):
            raise ValidationError(_l("Use links that start with http:// or https://."))


class SessionForm(FlaskForm):
    start_time = TimeField(_l("Meetings start"), validators=[DataRequired()])
    end_time = TimeField(_l("Meetings end"), validators=[DataRequired()])
    meeting_minutes = IntegerField(
        _l("Meeting length (minutes)"),
        default=20,
        validators=[InputRequired(), NumberRange(5, 240)],
    )
    break_minutes = IntegerField(
        _l("Break between meetings (minutes)"), default=5,
        validators=[InputRequired(), NumberRange(0, 120)],
    )  # fmt: skip
    table_count = IntegerField(
        _l("Tables"), default=12, validators=[InputRequired(), NumberRange(1, 200)]
    )
    table_links = TextAreaField(
        _l("Online: one video link per table, one per line (leave empty at a venue)"),
        validators=[_links],
    )
    requests_close = DateTimeLocalField(_l("Requests close"), validators=[DataRequired()])
    max_meetings = IntegerField(
        _l("Most meetings per person"), default=8, validators=[InputRequired(), NumberRange(1, 50)]
    )

    @property
    def links(self) -> list[str]:
        return [line.strip() for line in (self.table_links.data or "").splitlines() if line.strip()]


class PlaceForm(FlaskForm):
    """Where to put a meeting by hand: a time (by its index) and a table."""

    slot_index = SelectField(_l("Time"), coerce=int, validators=[InputRequired()])
    table = IntegerField(_l("Table"), validators=[InputRequired(), NumberRange(1, 200)])


class RequestForm(FlaskForm):
    """Ask to meet someone: the other side's profile id."""

    other_id = IntegerField(validators=[InputRequired(), NumberRange(1, MAX_ID)])


class UnavailableForm(FlaskForm):
    """What a person can do: the times they cannot meet, and how many meetings they want at
    most (up to the session's limit; the service checks that bound)."""

    slots = MultiCheckboxField(_l("Times I cannot meet"), coerce=int)
    max_meetings = IntegerField(
        _l("Most meetings I want"), validators=[Optional(), NumberRange(1, 50)]
    )


class MeetingOutcomeForm(FlaskForm):
    outcome = RadioField(
        _l("Outcome"),
        choices=[SelectChoice(o.value, OUTCOME_LABELS[o]) for o in MeetingOutcome],
        validators=[InputRequired()],
    )


class ActionForm(FlaskForm):
    """A button: nothing but the CSRF token."""
