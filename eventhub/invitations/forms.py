"""Invitation forms: the directory, the import, invitations, answers, follow-ups, outcomes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from eventhub.bookings.forms import STAGES
from eventhub.centers.industries import INDUSTRIES
from eventhub.core.forms import BaseForm as FlaskForm
from eventhub.core.forms import MultiCheckboxField, single_line
from eventhub.core.security import MAX_ID

INDUSTRY_CHOICES = [SelectChoice(code, label) for code, label in INDUSTRIES.items()]
# Won amounts up to 10 trillion (the intake's bound too): beyond it PostgreSQL's bigint
# overflows, and no ticket or investment is that large.
MAX_KRW = 10**13
AMOUNT_RANGE = _l("Enter an amount from 0 to 10,000,000,000,000 won.")


class InvestorForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )
    firm = StringField(_l("Firm"), validators=[DataRequired(), Length(max=200), single_line])
    person_name = StringField(
        _l("Person"), validators=[DataRequired(), Length(max=100), single_line]
    )
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    focus_industries = MultiCheckboxField(_l("Focus industries"), choices=INDUSTRY_CHOICES)
    stages = MultiCheckboxField(_l("Stages"), choices=STAGES)
    ticket_min_krw = IntegerField(
        _l("Smallest ticket (KRW)"),
        validators=[Optional(), NumberRange(min=0, max=MAX_KRW, message=AMOUNT_RANGE)],
    )
    ticket_max_krw = IntegerField(
        _l("Largest ticket (KRW)"),
        validators=[Optional(), NumberRange(min=0, max=MAX_KRW, message=AMOUNT_RANGE)],
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    centers = MultiCheckboxField(_l("Works with centers"), choices=[], coerce=int)


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV or XLSX file"),
        validators=[
            FileRequired(message=_l("Choose a file.")),
            FileAllowed(["csv", "xlsx"], message=_l("Upload a .csv or .xlsx file.")),
        ],
    )


class ImportConfirmForm(FlaskForm):
    # The uploaded file again, as the preview page carried it; the request size caps it too.
    content = StringField(validators=[DataRequired(), Length(max=10 * 1024 * 1024)])
    filename = StringField(validators=[DataRequired(), Length(max=255)])


class InviteForm(FlaskForm):
    investor_ids = MultiCheckboxField(_l("From the directory"), choices=[], coerce=int)
    emails = TextAreaField(
        _l("Or paste email addresses"), validators=[Optional(), Length(max=50_000)]
    )
    whole_series = BooleanField(_l("Invite to every future date of this series"))


class AnswerForm(FlaskForm):
    answer = SelectField(
        choices=[
            SelectChoice("accepted", _l("Accept")),
            SelectChoice("tentative", _l("Tentative")),
            SelectChoice("declined", _l("Decline")),
        ]
    )


class FollowUpForm(FlaskForm):
    startup_id = IntegerField(validators=[DataRequired(), NumberRange(1, MAX_ID)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=1000)])
    share_with_startup = BooleanField(_l("Let the startup see that my firm wants to follow up"))


class OutcomeForm(FlaskForm):
    investor_id = SelectField(_l("Investor"), choices=[], coerce=int)
    startup_id = SelectField(_l("Startup"), choices=[], coerce=int)
    kind = SelectField(
        _l("Outcome"),
        choices=[
            SelectChoice("meeting", _l("Meeting held")),
            SelectChoice("term_sheet", _l("Term sheet")),
            SelectChoice("investment", _l("Investment")),
        ],
    )
    amount_krw = IntegerField(
        _l("Amount (KRW)"),
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_KRW, message=AMOUNT_RANGE),
        ],
    )
    happened_on = DateField(_l("Date"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=1000)])
