"""Account forms: the input boundary for sign-up, login, reset and settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from eventhub.core.forms import BaseForm as FlaskForm
from eventhub.core.forms import single_line
from eventhub.core.i18n import is_valid_timezone

LOCALE_CHOICES = [SelectChoice("ko", "한국어"), SelectChoice("en", "English")]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class SignupForm(FlaskForm):
    role = RadioField(
        _l("I am"),
        choices=[
            SelectChoice("startup", _l("a startup")),
            SelectChoice("investor", _l("an investor (VC)")),
        ],
        default="startup",
        validators=[DataRequired()],
    )
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
            Length(max=254),
        ],
    )
    display_name = StringField(
        _l("Your name"), validators=[DataRequired(), Length(max=100), single_line]
    )
    organization = StringField(_l("Company or firm"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class SettingsForm(FlaskForm):
    display_name = StringField(
        _l("Your name"), validators=[DataRequired(), Length(max=100), single_line]
    )
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=64)])

    def validate_timezone(self, field: StringField) -> None:
        if not is_valid_timezone(field.data):
            raise ValidationError(_l("Unknown time zone. Use an IANA name such as Asia/Seoul."))


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token (resend, confirm, log out everywhere)."""
