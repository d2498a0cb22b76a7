"""Admin forms: a user's role and centers, a center's details."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from eventhub.centers.industries import INDUSTRIES
from eventhub.core.forms import BaseForm, MultiCheckboxField, http_url, single_line

ROLE_CHOICES = [
    SelectChoice("admin", _l("Admin")),
    SelectChoice("organizer", _l("Organizer")),
    SelectChoice("startup", _l("Startup")),
    SelectChoice("investor", _l("Investor")),
]


class UserForm(BaseForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    centers = MultiCheckboxField(_l("Organizes centers"), choices=[], coerce=int)


class CenterForm(BaseForm):
    name_ko = StringField(
        _l("Name in Korean"), validators=[DataRequired(), Length(max=200), single_line]
    )
    name_en = StringField(
        _l("Name in English"), validators=[DataRequired(), Length(max=200), single_line]
    )
    industries = MultiCheckboxField(
        _l("Industries"), choices=[SelectChoice(code, label) for code, label in INDUSTRIES.items()]
    )
    contact_email = EmailField(
        _l("Contact email"),
        validators=[
            Optional(),
            Length(max=254),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=30)])
    logo_url = StringField(_l("Logo address"), validators=[Optional(), Length(max=500), http_url])
    shows_public_summary = BooleanField(_l("Show this center's figures on a public page"))


class ActionForm(BaseForm):
    """The CSRF token of a one-button form."""
