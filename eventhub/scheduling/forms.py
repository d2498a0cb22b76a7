"""Series and occurrence forms: the input boundary for organizers."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, available_timezones

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from eventhub.centers.industries import INDUSTRIES
from eventhub.core.forms import BaseForm as FlaskForm
from eventhub.core.forms import MultiCheckboxField, http_url, single_line
from eventhub.core.i18n import is_valid_timezone
from eventhub.scheduling.services import SeriesValues, parse_extra_holidays
from eventhub.series.models import (
    POLICY_DEFAULTS,
    BookingMode,
    EditScope,
    HolidayPolicy,
    SeriesStatus,
    WaitlistMode,
)
from eventhub.series.recurrence import RuleSpec, build_rrule, spec_from_rrule

WEEKDAY_CHOICES = [
    SelectChoice("MO", _l("Monday")),
    SelectChoice("TU", _l("Tuesday")),
    SelectChoice("WE", _l("Wednesday")),
    SelectChoice("TH", _l("Thursday")),
    SelectChoice("FR", _l("Friday")),
    SelectChoice("SA", _l("Saturday")),
    SelectChoice("SU", _l("Sunday")),
]


COMMON_ZONES = (
    "Asia/Seoul", "UTC", "Asia/Tokyo", "Asia/Shanghai", "Asia/Singapore",
    "America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Berlin",
)  # fmt: skip


def _zone_label(name: str, now: datetime) -> str:
    offset = now.astimezone(ZoneInfo(name)).strftime("%z")
    return f"{name} (UTC{offset[:3]}:{offset[3:]})"


def timezone_choices() -> list[tuple[str, str]]:
    """Every IANA zone as (name, "name (UTC+hh:mm)"), the zones centers use first."""
    now = datetime.now(UTC)
    rest = sorted(zone for zone in available_timezones() if zone not in COMMON_ZONES)
    return [(zone, _zone_label(zone, now)) for zone in (*COMMON_ZONES, *rest)]


def _zone(form: FlaskForm, field: StringField) -> None:
    if not is_valid_timezone(field.data):
        raise ValidationError(_l("Unknown time zone. Use an IANA name such as Asia/Seoul."))


class SeriesForm(FlaskForm):
    # Titles go into mail subjects: one line.
    title_ko = StringField(
        _l("Title (Korean)"), validators=[DataRequired(), Length(max=200), single_line]
    )
    title_en = StringField(
        _l("Title (English)"), validators=[DataRequired(), Length(max=200), single_line]
    )
    description_ko = TextAreaField(
        _l("Description (Korean, Markdown)"),
        validators=[Optional(), Length(max=10_000)],
    )
    description_en = TextAreaField(
        _l("Description (English, Markdown)"),
        validators=[Optional(), Length(max=10_000)],
    )
    venue_name = StringField(_l("Venue (Korean)"), validators=[Optional(), Length(max=200)])
    venue_address = StringField(_l("Address (Korean)"), validators=[Optional(), Length(max=300)])
    venue_name_en = StringField(
        _l("Venue (English)"), validators=[Optional(), Length(max=200), single_line]
    )
    venue_address_en = StringField(
        _l("Address (English)"), validators=[Optional(), Length(max=300), single_line]
    )
    online_url = StringField(_l("Online link"), validators=[Optional(), Length(max=500), http_url])
    # A list, not free text: the zones centers use first, then every IANA zone by name.
    timezone = SelectField(
        _l("Time zone"),
        default="Asia/Seoul",
        choices=lambda: timezone_choices(),
        validators=[DataRequired(), _zone],
    )
    start_date = DateField(_l("First date"), validators=[DataRequired()])
    start_time = TimeField(_l("Start time"), validators=[DataRequired()])
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        default=180,
        validators=[
            InputRequired(),
            NumberRange(
                min=1, max=1440, message=_l("The duration must be between 1 and 1440 minutes.")
            ),
        ],
    )
    recurrence_mode = RadioField(
        _l("How to enter the schedule"),
        choices=[
            SelectChoice("form", _l("Choose the pattern")),
            SelectChoice("rrule", _l("Paste an RRULE")),
        ],
        default="form",
    )
    freq = SelectField(
        _l("Repeats"),
        choices=[
            SelectChoice("NONE", _l("Does not repeat")),
            SelectChoice("DAILY", _l("Daily")),
            SelectChoice("WEEKLY", _l("Weekly")),
            SelectChoice("MONTHLY", _l("Monthly")),
            SelectChoice("YEARLY", _l("Yearly")),
        ],
        default="MONTHLY",
    )
    interval = IntegerField(
        _l("Every"),
        default=1,
        validators=[
            Optional(),
            NumberRange(min=1, max=99, message=_l("The interval must be between 1 and 99.")),
        ],
    )
    weekdays = MultiCheckboxField(_l("On"), choices=WEEKDAY_CHOICES)
    monthly_mode = RadioField(
        _l("Monthly on"),
        choices=[
            SelectChoice("ordinal", _l("a weekday of the month (e.g. 3rd Wednesday)")),
            SelectChoice("day", _l("a day of the month (e.g. the 15th)")),
        ],
        default="ordinal",
    )
    month_day = IntegerField(
        _l("Day of the month"),
        validators=[
            Optional(),
            NumberRange(min=1, max=31, message=_l("Choose a day from 1 to 31.")),
        ],
    )
    ordinal = SelectField(
        _l("Which"),
        choices=[
            SelectChoice("1", _l("1st")),
            SelectChoice("2", _l("2nd")),
            SelectChoice("3", _l("3rd")),
            SelectChoice("4", _l("4th")),
            SelectChoice("-1", _l("last")),
        ],
        default="3",
    )
    ordinal_weekday = SelectField(_l("Weekday"), choices=WEEKDAY_CHOICES, default="WE")
    end = RadioField(
        _l("Ends"),
        choices=[
            SelectChoice("never", _l("Never")),
            SelectChoice("count", _l("After a number of times")),
            SelectChoice("until", _l("On a date")),
        ],
        default="never",
    )
    count = IntegerField(
        _l("Number of times"),
        validators=[
            Optional(),
            NumberRange(min=1, max=1000, message=_l("Choose between 1 and 1000 times.")),
        ],
    )
    until = DateField(_l("Last date"), validators=[Optional()])
    rrule_text = StringField(_l("RRULE"), validators=[Optional(), Length(max=500)])
    holiday_policy = RadioField(
        _l("On a public holiday"),
        choices=[
            SelectChoice("keep", _l("Keep the date")),
            SelectChoice("skip", _l("Skip that date")),
            SelectChoice("next_business_day", _l("Move to the next business day")),
        ],
        default="skip",
    )
    extra_holidays = TextAreaField(
        _l("Extra closed dates (one per line: YYYY-MM-DD Korean name | English name)"),
        validators=[Optional(), Length(max=5000)],
    )
    session_offset_minutes = IntegerField(
        _l("Pitch session starts after (minutes)"),
        default=POLICY_DEFAULTS["session_offset_minutes"],
        validators=[InputRequired(), NumberRange(min=0, max=1440)],
    )
    slot_minutes = IntegerField(
        _l("Slot length, pitch and Q&A (minutes)"),
        default=POLICY_DEFAULTS["slot_minutes"],
        validators=[InputRequired(), NumberRange(min=1, max=240)],
    )
    gap_minutes = IntegerField(
        _l("Gap between slots (minutes)"),
        default=POLICY_DEFAULTS["gap_minutes"],
        validators=[InputRequired(), NumberRange(min=0, max=120)],
    )
    slot_count = IntegerField(
        _l("Number of slots"),
        default=POLICY_DEFAULTS["slot_count"],
        validators=[InputRequired(), NumberRange(min=1, max=100)],
    )
    break_every = IntegerField(
        _l("A break after every N slots"),
        validators=[Optional(), NumberRange(min=1, max=100)],
    )
    break_minutes = IntegerField(
        _l("Break length (minutes)"),
        default=POLICY_DEFAULTS["break_minutes"],
        validators=[InputRequired(), NumberRange(min=0, max=120)],
    )
    booking_mode = RadioField(
        _l("How startups get a slot"),
        choices=[
            SelectChoice("first_come", _l("First come, first served")),
            SelectChoice("application", _l("By application and screening")),
        ],
        default="first_come",
    )
    waitlist_mode = RadioField(
        _l("When a slot frees up"),
        choices=[
            SelectChoice("offer", _l("Offer it to the first on the waitlist, with a hold")),
            SelectChoice("auto_confirm", _l("Confirm the first on the waitlist at once")),
        ],
        default="offer",
    )
    offer_hold_hours = IntegerField(
        _l("Hold of an offer (hours)"),
        default=POLICY_DEFAULTS["offer_hold_hours"],
        validators=[InputRequired(), NumberRange(min=1, max=168)],
    )
    registration_opens_days = IntegerField(
        _l("Registration opens (days before)"),
        default=POLICY_DEFAULTS["registration_opens_days"],
        validators=[InputRequired(), NumberRange(min=0, max=365)],
    )
    registration_closes_hours = IntegerField(
        _l("Registration closes (hours before)"),
        default=POLICY_DEFAULTS["registration_closes_hours"],
        validators=[InputRequired(), NumberRange(min=0, max=720)],
    )
    cancel_cutoff_hours = IntegerField(
        _l("Cancellations and changes until (hours before)"),
        default=POLICY_DEFAULTS["cancel_cutoff_hours"],
        validators=[InputRequired(), NumberRange(min=0, max=720)],
    )
    eligible_industries = MultiCheckboxField(
        _l("Open to these industries (none ticked: all)"),
        choices=[SelectChoice(code, label) for code, label in INDUSTRIES.items()],
    )
    is_public = BooleanField(_l("Listed publicly"), default=True)
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("published", _l("Published")),
            SelectChoice("draft", _l("Draft")),
        ],
        default="published",
    )

    def validate_count(self, field: IntegerField) -> None:
        if self.recurrence_mode.data == "form" and self.end.data == "count" and not field.data:
            raise ValidationError(_l("Say after how many times the series ends."))

    def validate_until(self, field: DateField) -> None:
        if self.recurrence_mode.data != "form" or self.end.data != "until":
            return
        if not field.data:
            raise ValidationError(_l("Choose the last date."))
        if self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The last date is before the first date."))

    def validate_rrule_text(self, field: StringField) -> None:
        if self.recurrence_mode.data == "rrule" and not (field.data or "").strip():
            raise ValidationError(_l("Paste an RRULE, or choose the pattern instead."))

    def validate_weekdays(self, field: MultiCheckboxField) -> None:
        if self.recurrence_mode.data == "form" and self.freq.data == "WEEKLY" and not field.data:
            raise ValidationError(_l("Choose at least one weekday."))


class SeriesEditForm(SeriesForm):
    scope = RadioField(
        _l("Apply the change to"),
        choices=[
            SelectChoice(EditScope.all.value, _l("All occurrences from now on")),
            SelectChoice(EditScope.following.value, _l("This and all following occurrences")),
        ],
        default=EditScope.all.value,
    )
    from_occurrence = SelectField(_l("From the occurrence on"), choices=[], validate_choice=False)
    keep_conflicts = BooleanField(
        _l("Keep occurrences with bookings or accepted invitations as one-off occurrences")
    )


class RegistrationWindowForm(FlaskForm):
    """Per-occurrence overrides, in the event's wall-clock time; empty: as the series says."""

    opens = DateTimeLocalField(_l("Registration opens"), validators=[Optional()])
    closes = DateTimeLocalField(_l("Registration closes"), validators=[Optional()])
    cutoff = DateTimeLocalField(_l("Cancellations and changes until"), validators=[Optional()])


class MoveForm(FlaskForm):
    start_date = DateField(_l("New date"), validators=[DataRequired()])
    start_time = TimeField(_l("New start time"), validators=[DataRequired()])
    end_time = TimeField(_l("New end time"), validators=[DataRequired()])


class VenueForm(FlaskForm):
    venue_name = StringField(_l("Venue (Korean)"), validators=[Optional(), Length(max=200)])
    venue_address = StringField(_l("Address (Korean)"), validators=[Optional(), Length(max=300)])
    venue_name_en = StringField(
        _l("Venue (English)"), validators=[Optional(), Length(max=200), single_line]
    )
    venue_address_en = StringField(
        _l("Address (English)"), validators=[Optional(), Length(max=300), single_line]
    )
    online_url = StringField(_l("Online link"), validators=[Optional(), Length(max=500), http_url])


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (shown to everyone)"), validators=[DataRequired(), Length(max=1000)]
    )


class RestoreForm(FlaskForm):
    pass


def values_from_form(form: SeriesForm) -> SeriesValues:
    """The service's input from a validated series form (the RRULE built or pasted)."""
    if form.recurrence_mode.data == "rrule":
        rule = (form.rrule_text.data or "").strip() or None
    elif form.freq.data == "NONE":
        rule = None
    else:
        spec = RuleSpec(
            freq=form.freq.data,
            interval=form.interval.data or 1,
            weekdays=tuple(form.weekdays.data or ()),
            monthly_mode=form.monthly_mode.data,
            month_day=form.month_day.data,
            ordinal=int(form.ordinal.data),
            ordinal_weekday=form.ordinal_weekday.data,
            end=form.end.data,
            count=form.count.data,
            until=form.until.data,
        )
        rule = build_rrule(spec, start_date=form.start_date.data)
    return SeriesValues(
        title_ko=form.title_ko.data.strip(),
        title_en=form.title_en.data.strip(),
        description_ko=form.description_ko.data or "",
        description_en=form.description_en.data or "",
        venue_name=form.venue_name.data or None,
        venue_address=form.venue_address.data or None,
        venue_name_en=form.venue_name_en.data or None,
        venue_address_en=form.venue_address_en.data or None,
        online_url=form.online_url.data or None,
        timezone=form.timezone.data.strip(),
        start_date=form.start_date.data,
        start_time=form.start_time.data,
        duration_minutes=form.duration_minutes.data,
        rrule=rule,
        holiday_policy=HolidayPolicy(form.holiday_policy.data),
        extra_holidays=parse_extra_holidays(form.extra_holidays.data or ""),
        is_public=bool(form.is_public.data),
        status=SeriesStatus(form.status.data),
        session_offset_minutes=form.session_offset_minutes.data,
        slot_minutes=form.slot_minutes.data,
        gap_minutes=form.gap_minutes.data,
        slot_count=form.slot_count.data,
        break_every=form.break_every.data or None,
        break_minutes=form.break_minutes.data,
        booking_mode=BookingMode(form.booking_mode.data),
        waitlist_mode=WaitlistMode(form.waitlist_mode.data),
        offer_hold_hours=form.offer_hold_hours.data,
        registration_opens_days=form.registration_opens_days.data,
        registration_closes_hours=form.registration_closes_hours.data,
        cancel_cutoff_hours=form.cancel_cutoff_hours.data,
        eligible_industries=list(form.eligible_industries.data or []),
    )


def form_data_from_values(values: SeriesValues) -> dict:
    """Initial form data for editing a series."""
    data = {
        "title_ko": values.title_ko,
        "title_en": values.title_en,
        "description_ko": values.description_ko,
        "description_en": values.description_en,
        "venue_name": values.venue_name,
        "venue_address": values.venue_address,
        "venue_name_en": values.venue_name_en,
        "venue_address_en": values.venue_address_en,
        "online_url": values.online_url,
        "timezone": values.timezone,
        "start_date": values.start_date,
        "start_time": values.start_time,
        "duration_minutes": values.duration_minutes,
        "holiday_policy": values.holiday_policy.value,
        "extra_holidays": "\n".join(
            f"{day} {name}".strip() for day, name in sorted(values.extra_holidays.items())
        ),
        "is_public": values.is_public,
        "status": values.status.value if values.status != SeriesStatus.archived else "draft",
        "recurrence_mode": "form",
        "freq": "NONE",
        "session_offset_minutes": values.session_offset_minutes,
        "slot_minutes": values.slot_minutes,
        "gap_minutes": values.gap_minutes,
        "slot_count": values.slot_count,
        "break_every": values.break_every,
        "break_minutes": values.break_minutes,
        "booking_mode": values.booking_mode.value,
        "waitlist_mode": values.waitlist_mode.value,
        "offer_hold_hours": values.offer_hold_hours,
        "registration_opens_days": values.registration_opens_days,
        "registration_closes_hours": values.registration_closes_hours,
        "cancel_cutoff_hours": values.cancel_cutoff_hours,
        "eligible_industries": list(values.eligible_industries),
    }
    if values.rrule:
        spec = spec_from_rrule(values.rrule)
        if spec is None:
            data.update(recurrence_mode="rrule", rrule_text=values.rrule)
        else:
            data.update(
                freq=spec.freq,
                interval=spec.interval,
                weekdays=list(spec.weekdays),
                monthly_mode=spec.monthly_mode,
                month_day=spec.month_day,
                ordinal=str(spec.ordinal or 3),
                ordinal_weekday=spec.ordinal_weekday or "WE",
                end=spec.end,
                count=spec.count,
                until=spec.until,
            )
    return data
