"""Booking forms: the intake questionnaire and the small action forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from eventhub.accounts.intake import brn_is_valid
from eventhub.bookings.labels import STAGE_LABELS
from eventhub.centers.industries import INDUSTRIES
from eventhub.core.forms import BaseForm as FlaskForm
from eventhub.core.forms import http_url, single_line
from eventhub.core.security import MAX_ID

STAGES = [SelectChoice(code, label) for code, label in STAGE_LABELS.items()]


class IntakeForm(FlaskForm):
    """The pre-consultation intake (사전 문진), filled once and reused for every booking."""

    company_name = StringField(
        _l("Company name"), validators=[DataRequired(), Length(max=200), single_line]
    )
    business_registration_number = StringField(
        _l("Business registration number"), validators=[Optional(), Length(max=14)]
    )
    founded_date = DateField(_l("Founded on"), validators=[Optional()])
    industry = SelectField(
        _l("Industry"),
        choices=[SelectChoice(code, label) for code, label in INDUSTRIES.items()],
        validators=[DataRequired()],
    )
    stage = SelectField(_l("Stage"), choices=STAGES, validators=[DataRequired()])
    amount_sought_krw = IntegerField(
        _l("Amount sought (KRW)"),
        validators=[
            Optional(),
            NumberRange(min=0, max=10**13, message=_l("Enter an amount of 0 won or more.")),
        ],
    )
    one_liner = StringField(_l("One-line pitch"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    deck_url = StringField(_l("Deck link"), validators=[Optional(), Length(max=500), http_url])
    team_size = IntegerField(
        _l("Team size"),
        validators=[Optional(), NumberRange(min=1, max=100000, message=_l("At least one person."))],
    )
    contact_name = StringField(
        _l("Contact person"), validators=[DataRequired(), Length(max=100), single_line]
    )
    contact_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    contact_email = EmailField(
        _l("Contact email"),
        validators=[
            DataRequired(),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )

    def validate_business_registration_number(self, field: StringField) -> None:
        if field.data and not brn_is_valid(field.data):
            raise ValidationError(
                _l("This is not a valid business registration number (check digit).")
            )

    def validate_amount_sought_krw(self, field: IntegerField) -> None:
        if field.raw_data and field.raw_data[0] and field.data is None:
            raise ValidationError(_l("Enter the amount as a whole number of won."))


class SlotForm(FlaskForm):
    # An id beyond the id columns' range names no slot (and PostgreSQL refuses to compare it).
    slot_id = IntegerField(validators=[InputRequired(), NumberRange(1, MAX_ID)])


class ApplyForm(FlaskForm):
    preferred = SelectMultipleField(_l("Preferred slots"), choices=[], coerce=int)


class EmptyForm(FlaskForm):
    pass


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])


class ShiftForm(FlaskForm):
    minutes = IntegerField(
        _l("Minutes (negative moves earlier)"),
        validators=[InputRequired(), NumberRange(min=-720, max=720)],
    )


class ScoreForm(FlaskForm):
    """The screening desk's score and note on one application."""

    score = IntegerField(
        _l("Score (1-5)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=5, message=_l("A score is a whole number from 1 to 5.")),
        ],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class BulkForm(FlaskForm):
    """What to do with the applications ticked on the screening desk."""

    verb = SelectField(
        _l("With the selected applications"),
        choices=[
            SelectChoice("approve", _l("Approve (into the preferred slot if free)")),
            SelectChoice("waitlist", _l("Put on the waitlist")),
            SelectChoice("reject", _l("Reject")),
        ],
    )
    reason = TextAreaField(_l("Reason (for rejections)"), validators=[Optional(), Length(max=1000)])
