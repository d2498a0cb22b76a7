"""Series use cases: create, expand to the horizon, change one occurrence, edit with a scope.

Occurrences are stored rows up to a rolling horizon. Their identity is the rule's original
start (the RECURRENCE-ID in calendars); what an organizer changed on one occurrence is kept on
that row (`is_overridden`) and survives every regeneration. No edit drops an occurrence that has
bookings or accepted invitations without the organizer choosing what happens to it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from eventhub.bookings import services as bookings
from eventhub.centers.models import Center
from eventhub.core import audit
from eventhub.core.errors import DomainError, InvalidInput
from eventhub.core.i18n import is_valid_timezone
from eventhub.core.text import strip_controls
from eventhub.extensions import db
from eventhub.invitations import services as invitations
from eventhub.series import rules
from eventhub.series.models import (
    POLICY_DEFAULTS,
    BookingMode,
    ChangeKind,
    EditAction,
    EditScope,
    EventSeries,
    HolidayPolicy,
    Occurrence,
    OccurrenceChange,
    OccurrenceStatus,
    SeriesStatus,
    SkippedOccurrence,
    WaitlistMode,
)
from eventhub.series.planning import request_planning
from eventhub.series.recurrence import (
    MAX_DATES_IN_HORIZON,
    Holidays,
    PlannedDate,
    RuleError,
    apply_holiday_policy,
    expand,
    first_start,
    has_month_day_gaps,
    normalize_rrule,
    to_utc,
)
from eventhub.series.rows import run
from eventhub.series.signals import occurrence_changed

# Series fields that calendars show for every occurrence: changing one is a new version of
# each future occurrence.
CALENDAR_DETAILS = (
    "title_ko", "title_en", "description_ko", "description_en",
    "venue_name", "venue_address", "venue_name_en", "venue_address_en", "online_url",
)  # fmt: skip

# What people with a booking or an invitation are sent when an occurrence changes.
NOTIFY_METHODS = {
    ChangeKind.moved: "REQUEST",
    ChangeKind.rescheduled: "REQUEST",
    ChangeKind.venue_changed: "REQUEST",
    ChangeKind.details_changed: "REQUEST",
    ChangeKind.restored: "REQUEST",
    ChangeKind.cancelled: "CANCEL",
    ChangeKind.removed: "CANCEL",
}

# Slot layout and registration policy, copied between values and series as they are.
POLICY_FIELDS = (
    "session_offset_minutes", "slot_minutes", "gap_minutes", "slot_count", "break_every",
    "break_minutes", "booking_mode", "waitlist_mode", "offer_hold_hours",
    "registration_opens_days", "registration_closes_hours", "cancel_cutoff_hours",
)  # fmt: skip

# Holiday shifts look this far past a batch, so that a date moved forward never lands on a
# rule date of the next batch.
LOOKAHEAD = timedelta(days=14)


class OccurrenceInPast(DomainError):
    message = _l("This occurrence has already started; the past cannot be changed.")


class OccurrenceClash(DomainError):
    status = 409
    message = _l("Another occurrence of this series already takes place at that time.")


class EditConflict(DomainError):
    """An edit would remove occurrences that people are counting on."""

    status = 409
    message = _l(
        "This edit would remove occurrences that have bookings or accepted invitations. "
        "Keep them as one-off occurrences, or change the edit."
    )

    def __init__(self, conflicts: list[EditItem]) -> None:
        super().__init__()
        self.conflicts = conflicts


@dataclass
class SeriesValues:
    """Everything an organizer sets on a series; the form's clean output."""

    title_ko: str
    title_en: str
    start_date: date
    start_time: time
    duration_minutes: int
    timezone: str = "Asia/Seoul"
    rrule: str | None = None
    holiday_policy: HolidayPolicy = HolidayPolicy.keep
    extra_holidays: dict[str, str] = field(default_factory=dict)
    description_ko: str = ""
    description_en: str = ""
    venue_name: str | None = None
    venue_address: str | None = None
    venue_name_en: str | None = None
    venue_address_en: str | None = None
    online_url: str | None = None
    is_public: bool = True
    status: SeriesStatus = SeriesStatus.published
    # Slot layout and registration policy (defaults as in the model).
    session_offset_minutes: int = POLICY_DEFAULTS["session_offset_minutes"]
    slot_minutes: int = POLICY_DEFAULTS["slot_minutes"]
    gap_minutes: int = POLICY_DEFAULTS["gap_minutes"]
    slot_count: int = POLICY_DEFAULTS["slot_count"]
    break_every: int | None = None
    break_minutes: int = POLICY_DEFAULTS["break_minutes"]
    booking_mode: BookingMode = BookingMode.first_come
    waitlist_mode: WaitlistMode = WaitlistMode.offer
    offer_hold_hours: int = POLICY_DEFAULTS["offer_hold_hours"]
    registration_opens_days: int = POLICY_DEFAULTS["registration_opens_days"]
    registration_closes_hours: int = POLICY_DEFAULTS["registration_closes_hours"]
    cancel_cutoff_hours: int = POLICY_DEFAULTS["cancel_cutoff_hours"]
    eligible_industries: list[str] = field(default_factory=list)

    def session_minutes(self) -> int:
        """How long the pitch session lasts, from the event's start to the last slot's end."""
        breaks = (self.slot_count - 1) // self.break_every if self.break_every else 0
        return (
            self.session_offset_minutes
            + self.slot_count * self.slot_minutes
            + (self.slot_count - 1) * self.gap_minutes
            + breaks * self.break_minutes
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def wall_start(self) -> datetime:
        return datetime.combine(self.start_date, self.start_time)


@dataclass
class Preview:
    """What a rule will do, shown before saving."""

    values: SeriesValues
    dates: list[PlannedDate]
    notes: list[str]
    start_adjusted_from: date | None = None
    total_in_horizon: int = 0


# --- Validation and preview ---------------------------------------------------------------


def holidays_for(*, country: str, extra: dict[str, str] | None, locale: str = "ko") -> Holidays:
    """The holiday calendar of a country plus an organizer's own dates (each named in
    `locale`: see `closed_date_name`)."""
    parsed = {
        date.fromisoformat(day): closed_date_name(name, locale)
        for day, name in (extra or {}).items()
    }
    return Holidays(country=country, extra=parsed, language=locale)


NAME_SEPARATOR = "|"
# A closed date without a name is called this, in both languages.
UNNAMED_CLOSED_DATE = "휴무 | Closed"


def closed_date_name(name: str, locale: str) -> str:
    """An organizer's closed-date name in `locale`: "종무식 | Year-end closing" names it in
    Korean, then English; a name without "|" is the same in both."""
    korean, _sep, english = name.partition(NAME_SEPARATOR)
    korean, english = korean.strip(), english.strip()
    return (english or korean) if locale == "en" else (korean or english)


def parse_extra_holidays(text: str) -> dict[str, str]:
    """Lines of "2026-12-31 종무식 | Year-end closing" (the names are optional; the English
    one after "|") as {"2026-12-31": "종무식 | Year-end closing"}."""
    result: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = re.match(r"^(\d{4}-\d{2}-\d{2})\s*(.*)$", line)
        try:
            day = date.fromisoformat(match.group(1)) if match else None
        except ValueError:
            day = None
        if day is None:
            raise InvalidInput(
                _("Line %(n)d: write a date as YYYY-MM-DD, then an optional name.", n=number)
            )
        korean, sep, english = match.group(2).partition(NAME_SEPARATOR)
        korean, english = korean.strip(), english.strip()
        if not (korean or english):
            name = UNNAMED_CLOSED_DATE
        else:
            name = f"{korean} | {english}" if sep else korean
        result[day.isoformat()] = name
    return result


def _check_values(values: SeriesValues) -> None:
    if not is_valid_timezone(values.timezone):
        raise InvalidInput(
            _(
                "Unknown time zone “%(zone)s”. Use an IANA name such as Asia/Seoul.",
                zone=values.timezone,
            )
        )
    if not 0 < values.duration_minutes <= 24 * 60:
        raise InvalidInput(_("The duration must be more than zero and at most 24 hours."))
    if values.slot_count < 1 or values.slot_minutes < 1:
        raise InvalidInput(_("A session needs at least one slot of at least one minute."))
    if values.session_minutes() > values.duration_minutes:
        raise InvalidInput(
            _(
                "The pitch session (%(session)d minutes with the offset, gaps and breaks) does "
                "not fit into the event (%(event)d minutes).",
                session=values.session_minutes(),
                event=values.duration_minutes,
            )
        )
    if values.registration_closes_hours > values.registration_opens_days * 24:
        raise InvalidInput(_("Registration must open before it closes."))


def prepare_values(
    values: SeriesValues,
    *,
    country: str,
    horizon_end: datetime,
    locale: str = "ko",
    occupied: Iterable[date] = (),
) -> Preview:
    """Validate and normalize what the organizer entered; say what the rule will do.

    The first date is moved forward to the rule's first date when they differ (RFC 5545 leaves
    a start that the rule does not produce undefined), and the preview says so. `occupied` are
    local days already held by stored occurrences the rule does not re-plan: a holiday shift
    onto one of them is skipped.
    """
    _check_values(values)
    notes: list[str] = []
    adjusted_from = None
    if values.rrule:
        values.rrule = normalize_rrule(values.rrule, tz=values.tz)
        first = first_start(values.rrule, start=values.wall_start())
        if first is None:
            raise RuleError(
                _("This rule gives no date at all in the next ten years. Check its parts.")
            )
        if first.date() != values.start_date:
            adjusted_from = values.start_date
            values.start_date = first.date()
            notes.append(
                _(
                    "The first date was moved from %(old)s to %(new)s, the first date the "
                    "rule gives.",
                    old=adjusted_from.isoformat(),
                    new=first.date().isoformat(),
                )
            )
        if has_month_day_gaps(values.rrule):
            notes.append(
                _(
                    "Months without that day of the month are skipped, as RFC 5545 says "
                    "(for example, day 31 gives no date in April, June, September and November)."
                )
            )
    until_local = horizon_end.astimezone(values.tz).replace(tzinfo=None)
    # The holiday policy looks past the horizon, as the planner does: a date moved forward
    # must not land on a rule date just after it (the next extension would store both).
    ahead = expand(values.rrule, dtstart=values.wall_start(), until=until_local + LOOKAHEAD)
    # (A one-off date is planned however far ahead it is.)
    starts = [start for start in ahead if start <= until_local or not values.rrule]
    if not starts:
        raise RuleError(_("This rule gives no date before the end of the planning horizon."))
    if len(starts) > MAX_DATES_IN_HORIZON:
        raise RuleError(
            _(
                "This rule gives %(count)d dates up to %(date)s, the end of the planning "
                "horizon; at most %(max)d are allowed. Check the frequency and the interval.",
                count=len(starts),
                date=until_local.date().isoformat(),
                max=MAX_DATES_IN_HORIZON,
            )
        )
    holidays = holidays_for(country=country, extra=values.extra_holidays, locale=locale)
    planned = apply_holiday_policy(
        ahead, policy=values.holiday_policy, holidays=holidays, occupied=occupied
    )
    planned = planned[: len(starts)]  # one planned date per start, in order
    return Preview(
        values=values,
        dates=planned,
        notes=notes,
        start_adjusted_from=adjusted_from,
        total_in_horizon=len(planned),
    )


# --- Materializing --------------------------------------------------------------------------


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def _series_holidays(series: EventSeries) -> Holidays:
    return holidays_for(country=series.center.country_code, extra=series.extra_holidays)


def _lineage(series: EventSeries) -> list[int]:
    """Ids of every part of a series that was split: the first series and all continuations
    (`parent_series_id`), this one included."""
    root = series
    while root.parent_series_id is not None:
        root = db.session.get(EventSeries, root.parent_series_id)
    ids, frontier = [root.id], [root.id]
    while frontier:
        frontier = list(
            db.session.scalars(
                sa.select(EventSeries.id).where(EventSeries.parent_series_id.in_(frontier))
            )
        )
        ids.extend(frontier)
    return ids


def _held_days(
    series_ids: Collection[int], *, tz: ZoneInfo, since: datetime, exclude: Collection[int] = ()
) -> set[date]:
    """Local days (in `tz`) on which stored occurrences of these series start, from `since` on,
    leaving out the occurrences `exclude` (those being re-planned)."""
    query = sa.select(Occurrence.id, Occurrence.start_at).where(
        Occurrence.series_id.in_(series_ids), Occurrence.start_at >= since
    )
    return {
        start.astimezone(tz).date()
        for occurrence_id, start in db.session.execute(query)
        if occurrence_id not in exclude
    }


def _plan(
    series: EventSeries, *, after_local: datetime | None, until_local: datetime
) -> list[PlannedDate]:
    """Planned dates of the series in (after_local, until_local], holiday policy applied."""
    dtstart = datetime.combine(series.start_date, series.start_time)
    anchor = dtstart
    if series.rrule and "COUNT=" not in series.rrule and after_local is not None:
        # Re-anchor at the last known rule date so that extending the horizon costs time in
        # proportion to the new dates, not to every date since the start.
        last = db.session.scalar(
            sa.select(sa.func.max(Occurrence.original_start_at)).where(
                Occurrence.series_id == series.id, Occurrence.is_detached.is_(False)
            )
        )
        last_skipped = db.session.scalar(
            sa.select(sa.func.max(SkippedOccurrence.original_start_at)).where(
                SkippedOccurrence.series_id == series.id
            )
        )
        candidates = [c for c in (last, last_skipped) if c is not None]
        if candidates:
            anchor = max(dtstart, _wall(max(candidates), series.tz))
    starts = expand(
        series.rrule, dtstart=anchor, after=after_local or dtstart, until=until_local + LOOKAHEAD
    )
    if after_local is not None:
        starts = [s for s in starts if s > after_local]
    # Days held by stored occurrences: those of earlier batches (one may have moved a date
    # forward into this batch) and those of the other parts of a split series (the first part's
    # last dates may move forward onto its continuation's first days, or the reverse).
    occupied = _held_days(
        _lineage(series),
        tz=series.tz,
        since=to_utc((after_local or dtstart) - LOOKAHEAD, series.tz),
    )
    planned = apply_holiday_policy(
        starts, policy=series.holiday_policy, holidays=_series_holidays(series), occupied=occupied
    )
    return [p for p in planned if p.original <= until_local]


def _store_planned(series: EventSeries, planned: list[PlannedDate]) -> list[Occurrence]:
    tz = series.tz
    duration = timedelta(minutes=series.duration_minutes)
    created = []
    for item in planned:
        original = to_utc(item.original, tz)
        if item.is_skipped:
            db.session.add(
                SkippedOccurrence(
                    series=series, original_start_at=original, holiday_name=item.holiday
                )
            )
            continue
        start = to_utc(item.start, tz)
        # The duration is elapsed time (RFC 5545 DURATION with a time part), so an event
        # that crosses a DST change still lasts exactly as long as the series says.
        occurrence = Occurrence(
            series=series,
            original_start_at=original,
            start_at=start,
            end_at=start + duration,
            holiday_name=item.holiday,
        )
        db.session.add(occurrence)
        bookings.create_slots(occurrence)
        # Its organizers' line-up digest (and anything else the rules give) is planned by the
        # planner job within one dispatch interval, not only by the 15-minute net.
        request_planning(occurrence)
        created.append(occurrence)
    return created


def materialize_occurrences(series: EventSeries, *, until: datetime) -> list[Occurrence]:
    """Store the occurrences the rule gives after the current horizon and up to `until`."""
    if series.materialized_until_at is not None and until <= series.materialized_until_at:
        return []
    if not series.rrule and series.materialized_until_at is not None:
        return []  # a one-off series has its single date already
    tz = series.tz
    after_local = _wall(series.materialized_until_at, tz) if series.materialized_until_at else None
    planned = _plan(series, after_local=after_local, until_local=_wall(until, tz))
    created = _store_planned(series, planned)
    series.materialized_until_at = until
    db.session.flush()
    return created


def series_to_extend() -> list[int]:
    """The series whose rule keeps producing dates: not archived, with a rule."""
    return list(
        db.session.scalars(
            sa.select(EventSeries.id)
            .where(EventSeries.status != SeriesStatus.archived, EventSeries.rrule.is_not(None))
            .order_by(EventSeries.id)
        )
    )


def extend_horizons(*, now: datetime, horizon_days: int) -> int:
    """Every active series stored up to now + horizon, in the caller's transaction.
    Returns the rows added. (The daily job does the same, committing once per series.)"""
    until = now + timedelta(days=horizon_days)
    return sum(
        len(materialize_occurrences(db.session.get(EventSeries, series_id), until=until))
        for series_id in series_to_extend()
    )


def _unique_slug(base: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")[:80] or "series"
    candidate, n = slug, 2
    while db.session.scalar(sa.select(EventSeries.id).where(EventSeries.slug == candidate)):
        candidate = f"{slug}-{n}"
        n += 1
    return candidate


def create_series(
    center: Center, *, values: SeriesValues, actor_id: int | None, now: datetime, horizon_days: int
) -> EventSeries:
    """Create a series for `center` and store its occurrences up to the horizon."""
    prepare_values(
        values, country=center.country_code, horizon_end=now + timedelta(days=horizon_days)
    )
    series = EventSeries(center=center, slug=_unique_slug(values.title_en), created_by_id=actor_id)
    _assign(series, values)
    series.created_at = series.updated_at = series.changed_at = now
    db.session.add(series)
    db.session.flush()
    rules.add_default_rules(series)
    materialize_occurrences(series, until=now + timedelta(days=horizon_days))
    audit.record(
        "series.created", obj=series, actor_id=actor_id, now=now, center_id=center.id,
        rrule=series.rrule,
    )  # fmt: skip
    return series


def _assign(series: EventSeries, values: SeriesValues) -> None:
    for name in (
        "title_ko", "title_en", "description_ko", "description_en", "venue_name",
        "venue_address", "venue_name_en", "venue_address_en", "online_url", "timezone",
        "start_date", "start_time", "duration_minutes", "rrule", "holiday_policy",
        "is_public", "status",
        *POLICY_FIELDS,
    ):  # fmt: skip
        value = getattr(values, name)
        setattr(series, name, strip_controls(value) if isinstance(value, str) else value)
    series.extra_holidays = dict(values.extra_holidays) or None
    series.eligible_industries = list(values.eligible_industries) or None


def values_of(series: EventSeries) -> SeriesValues:
    """The current values of a series, as the edit form starts from."""
    return SeriesValues(
        title_ko=series.title_ko,
        title_en=series.title_en,
        description_ko=series.description_ko,
        description_en=series.description_en,
        venue_name=series.venue_name,
        venue_address=series.venue_address,
        venue_name_en=series.venue_name_en,
        venue_address_en=series.venue_address_en,
        online_url=series.online_url,
        timezone=series.timezone,
        start_date=series.start_date,
        start_time=series.start_time,
        duration_minutes=series.duration_minutes,
        rrule=series.rrule,
        holiday_policy=series.holiday_policy,
        extra_holidays=dict(series.extra_holidays or {}),
        is_public=series.is_public,
        status=series.status,
        eligible_industries=list(series.eligible_industries or []),
        **{name: getattr(series, name) for name in POLICY_FIELDS},
    )


# --- Changing one occurrence ----------------------------------------------------------------


def _snapshot(occ: Occurrence) -> dict[str, Any]:
    return {
        "start_at": occ.start_at.isoformat(),
        "end_at": occ.end_at.isoformat(),
        "status": occ.status.value,
        "venue_name": occ.venue_name,
        "venue_address": occ.venue_address,
        "venue_name_en": occ.venue_name_en,
        "venue_address_en": occ.venue_address_en,
        "online_url": occ.online_url,
    }


def _record_change(
    occ: Occurrence,
    kind: ChangeKind,
    before: dict[str, Any],
    *,
    actor_id: int | None,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Bump the sequence, log who changed what, and leave a record for notifications."""
    occ.sequence += 1
    occ.updated_at = occ.changed_at = now
    change = OccurrenceChange(
        occurrence=occ,
        kind=kind,
        before=before,
        after=_snapshot(occ),
        reason=reason,
        actor_id=actor_id,
        changed_at=now,
    )
    db.session.add(change)
    db.session.flush()
    # Pending reminders follow the occurrence (rescheduled when it moves, cancelled with it):
    # the planner job re-plans them after this commits.
    request_planning(occ.id)
    method = NOTIFY_METHODS.get(kind)
    if method is not None:
        # Updated calendar invitations (same UID, higher SEQUENCE) or cancellations, in the
        # same transaction; the dispatcher sends them.
        bookings.notify_occurrence_change(occ, method=method, change_id=change.id, now=now)
        invitations.notify_occurrence_change(occ, method=method, change_id=change.id, now=now)
        change.notified_at = now
    # What hangs on the date in areas above this one (a meeting session) follows it there.
    occurrence_changed.send(
        occ, kind=kind, moved_by=occ.start_at - datetime.fromisoformat(before["start_at"]),
        actor_id=actor_id, now=now,
    )  # fmt: skip
    audit.record(
        f"occurrence.{kind.value}",
        obj=occ,
        actor_id=actor_id,
        now=now,
        center_id=occ.series.center_id,
        before=before,
        after=_snapshot(occ),
        reason=reason,
    )


def _refuse_clash(occ: Occurrence, *, start_at: datetime, end_at: datetime) -> None:
    """Refuse a time that overlaps another scheduled occurrence of the same series."""
    clash = db.session.scalar(
        sa.select(Occurrence.id).where(
            Occurrence.series_id == occ.series_id,
            Occurrence.id != occ.id,
            Occurrence.status == OccurrenceStatus.scheduled,
            Occurrence.start_at < end_at,
            Occurrence.end_at > start_at,
        )
    )
    if clash is not None:
        raise OccurrenceClash()


def _refuse_past(occ: Occurrence, now: datetime) -> None:
    if occ.start_at <= now:
        raise OccurrenceInPast()


def move_occurrence(
    occ: Occurrence, *, start_at: datetime, end_at: datetime, actor_id: int | None, now: datetime
) -> Occurrence:
    """Move one occurrence to a new start and end; its slots move with it."""
    _refuse_past(occ, now)
    if start_at <= now:
        raise InvalidInput(_("An occurrence cannot be moved into the past."))
    if end_at <= start_at:
        raise InvalidInput(_("The end must be after the start."))
    if end_at - start_at > timedelta(hours=24):
        raise InvalidInput(_("An occurrence can last at most 24 hours."))
    _refuse_clash(occ, start_at=start_at, end_at=end_at)
    if (start_at, end_at) == (occ.start_at, occ.end_at):
        return occ
    before = _snapshot(occ)
    bookings.shift_slots(occ.id, start_at - occ.start_at)
    occ.start_at, occ.end_at = start_at, end_at
    occ.is_overridden = True
    _record_change(occ, ChangeKind.moved, before, actor_id=actor_id, now=now)
    return occ


def set_registration_window(
    occ: Occurrence,
    *,
    opens_at: datetime | None,
    closes_at: datetime | None,
    cutoff_at: datetime | None,
    actor_id: int | None,
    now: datetime,
) -> Occurrence:
    """Override when registration opens and closes, and the cancellation cut-off, for one
    occurrence (None: as the series says)."""
    _refuse_past(occ, now)
    opens = opens_at or occ.default_opens_at
    closes = closes_at or occ.default_closes_at
    if closes <= opens:
        raise InvalidInput(_("Registration must open before it closes."))
    if closes > occ.start_at or (cutoff_at is not None and cutoff_at > occ.start_at):
        raise InvalidInput(_("Registration and the cut-off must end before the event starts."))
    before = {
        "registration_opens_at": occ.registration_opens_at
        and occ.registration_opens_at.isoformat(),
        "registration_closes_at": occ.registration_closes_at
        and occ.registration_closes_at.isoformat(),
        "cancel_cutoff_at": occ.cancel_cutoff_at and occ.cancel_cutoff_at.isoformat(),
    }
    occ.registration_opens_at, occ.registration_closes_at = opens_at, closes_at
    occ.cancel_cutoff_at = cutoff_at
    audit.record(
        "occurrence.registration_window", obj=occ, actor_id=actor_id, now=now,
        center_id=occ.series.center_id, before=before,
    )  # fmt: skip
    return occ


def change_venue(
    occ: Occurrence,
    *,
    venue_name: str | None,
    venue_address: str | None,
    online_url: str | None,
    actor_id: int | None,
    now: datetime,
    venue_name_en: str | None = None,
    venue_address_en: str | None = None,
) -> Occurrence:
    """Give one occurrence its own venue, in Korean and English (empty fields fall back to
    the series')."""
    _refuse_past(occ, now)
    new = (
        venue_name or None, venue_address or None, online_url or None,
        venue_name_en or None, venue_address_en or None,
    )  # fmt: skip
    current = (
        occ.venue_name,
        occ.venue_address,
        occ.online_url,
        occ.venue_name_en,
        occ.venue_address_en,
    )
    if new == current:
        return occ
    before = _snapshot(occ)
    (
        occ.venue_name, occ.venue_address, occ.online_url, occ.venue_name_en,
        occ.venue_address_en,
    ) = new  # fmt: skip
    occ.is_overridden = True
    _record_change(occ, ChangeKind.venue_changed, before, actor_id=actor_id, now=now)
    return occ


def cancel_occurrence(
    occ: Occurrence, *, reason: str, actor_id: int | None, now: datetime
) -> Occurrence:
    """Cancel one occurrence with a reason everyone sees."""
    _refuse_past(occ, now)
    if not reason.strip():
        raise InvalidInput(_("Give a reason for the cancellation; everyone will see it."))
    if occ.status == OccurrenceStatus.cancelled:
        raise InvalidInput(_("This occurrence is already cancelled."))
    before = _snapshot(occ)
    occ.status = OccurrenceStatus.cancelled
    occ.cancel_reason = reason.strip()
    occ.is_overridden = True
    _record_change(occ, ChangeKind.cancelled, before, actor_id=actor_id, now=now, reason=reason)
    return occ


def restore_occurrence(occ: Occurrence, *, actor_id: int | None, now: datetime) -> Occurrence:
    """Undo a cancellation."""
    _refuse_past(occ, now)
    if occ.status != OccurrenceStatus.cancelled:
        raise InvalidInput(_("This occurrence is not cancelled."))
    _refuse_clash(occ, start_at=occ.start_at, end_at=occ.end_at)
    before = _snapshot(occ)
    occ.status = OccurrenceStatus.scheduled
    occ.cancel_reason = None
    _record_change(occ, ChangeKind.restored, before, actor_id=actor_id, now=now)
    return occ


# --- Editing a series -----------------------------------------------------------------------


@dataclass
class EditItem:
    """What an edit does to one stored future occurrence."""

    occurrence: Occurrence
    action: EditAction
    new_start: datetime | None = None
    new_end: datetime | None = None
    bookings: int = 0
    accepted: int = 0
    planned: PlannedDate | None = None
    reattach: bool = False  # a kept one-off that the rule gives again

    @property
    def has_people(self) -> bool:
        return self.bookings > 0 or self.accepted > 0


@dataclass
class EditPlan:
    scope: EditScope
    cut: datetime  # occurrences from here on are affected
    items: list[EditItem]
    new_dates: list[PlannedDate]  # rule dates with no stored occurrence yet
    preview: Preview
    horizon_end: datetime  # the edited series is stored up to here

    @property
    def conflicts(self) -> list[EditItem]:
        return [i for i in self.items if i.action == EditAction.removed and i.has_people]

    @property
    def moved_with_people(self) -> list[EditItem]:
        return [i for i in self.items if i.action == EditAction.moved and i.has_people]


def plan_series_edit(
    series: EventSeries,
    *,
    values: SeriesValues,
    scope: EditScope | str,
    from_occurrence: Occurrence | None,
    now: datetime,
    horizon_days: int,
) -> EditPlan:
    """What saving `values` with `scope` would do, without changing anything."""
    try:
        scope = EditScope(scope)
    except ValueError as exc:
        raise InvalidInput(_("Choose which occurrences the edit applies to.")) from exc
    if scope == EditScope.following:
        if from_occurrence is None or from_occurrence.series_id != series.id:
            raise InvalidInput(_("Choose the occurrence from which the edit applies."))
        _refuse_past(from_occurrence, now)
        cut = from_occurrence.original_start_at
        if not series.rrule or _dates_before(series, cut) == 0:
            # Nothing of the series lies before the cut: "this and all following" is all.
            scope, cut = EditScope.all, now
        else:
            values = _continuation_values(series, values, cut=cut)
    else:
        cut = now
    if scope == EditScope.all:
        _refuse_overlap_with_continuation(series, values)
    horizon_end = max(now + timedelta(days=horizon_days), series.materialized_until_at or now)
    # To the end of that local day: rows are matched to the new rule by day, and a new time
    # of day later than the horizon's must not turn the last stored day into a removed one.
    last_day = horizon_end.astimezone(values.tz).date()
    horizon_end = max(horizon_end, to_utc(datetime.combine(last_day, time(23, 59, 59)), values.tz))
    tz = values.tz
    rows = list(
        db.session.scalars(
            sa.select(Occurrence)
            .where(
                Occurrence.series_id == series.id,
                Occurrence.original_start_at >= cut,
                Occurrence.start_at >= now,
            )
            .order_by(Occurrence.is_detached, Occurrence.original_start_at)
        )
    )
    # Days from the cut on that stay held by occurrences this edit does not re-plan: the other
    # parts of a split series (its continuation's first days, its first part's dates moved
    # forward past the cut for a holiday), this series' earlier dates moved past the cut, and
    # its kept one-offs (they stay where they are unless the rule gives their day again).
    # A holiday shift onto one of them is skipped, as onto a date of the rule itself, so that a
    # day never holds the series twice. (Earlier days do not matter: shifts only go forward.)
    first_day = _wall(cut, series.tz if scope == EditScope.following else tz).date()
    occupied = _held_days(
        _lineage(series),
        tz=tz,
        since=to_utc(datetime.combine(first_day, time(0)), tz),
        exclude={row.id for row in rows if not row.is_detached},
    )
    preview = prepare_values(
        values,
        country=series.center.country_code,
        horizon_end=horizon_end,
        occupied=occupied,
    )
    if scope == EditScope.following:
        # The cut is a day of the series: the continuation owns that whole local day, whatever
        # time of day it is given.
        cut_day = _wall(cut, series.tz).date()
        planned = [p for p in preview.dates if p.original.date() >= cut_day]
    else:
        cut_local = _wall(cut, tz)
        planned = [p for p in preview.dates if p.original >= cut_local]
    by_day = {p.original.date(): p for p in planned}
    duration = timedelta(minutes=values.duration_minutes)
    ids = [r.id for r in rows]
    booked = bookings.active_booking_counts(ids)
    accepted = invitations.accepted_invitation_counts(ids)
    items, used = [], set()
    for row in rows:
        day = _wall(row.original_start_at, series.tz).date()
        match = by_day.get(day)
        counts = {"bookings": booked.get(row.id, 0), "accepted": accepted.get(row.id, 0)}
        if row.is_detached:
            # A one-off kept by an earlier edit. When the rule gives its day again it becomes
            # that date of the rule (a new row there would be the same series twice on one
            # day, and the same original start: a unique violation); otherwise it stays.
            if match is None or match.is_skipped or day in used:
                continue
            used.add(day)
            items.append(
                EditItem(row, EditAction.kept, row.start_at, row.end_at, planned=match,
                         reattach=True, **counts)
            )  # fmt: skip
            continue
        if match is None or match.is_skipped:
            items.append(EditItem(row, EditAction.removed, **counts))
            continue
        used.add(day)
        new_start = to_utc(match.start, tz)
        new_end = new_start + duration
        unchanged = (new_start, new_end) == (row.start_at, row.end_at)
        action = EditAction.kept if row.is_overridden or unchanged else EditAction.moved
        items.append(EditItem(row, action, new_start, new_end, planned=match, **counts))
    new_dates = [p for p in planned if p.original.date() not in used]
    return EditPlan(
        scope=scope, cut=cut, items=items, new_dates=new_dates, preview=preview,
        horizon_end=horizon_end,
    )  # fmt: skip


def _series_start(series: EventSeries) -> datetime:
    return datetime.combine(series.start_date, series.start_time)


def _dates_before(series: EventSeries, cut: datetime) -> int:
    """How many dates the series' rule gives before the local day of `cut` (skipped ones
    included: RFC 5545 counts EXDATEs towards COUNT)."""
    end = datetime.combine(_wall(cut, series.tz).date(), time(0)) - timedelta(seconds=1)
    return len(expand(series.rrule, dtstart=_series_start(series), until=end))


def _continuation_values(
    series: EventSeries, values: SeriesValues, *, cut: datetime
) -> SeriesValues:
    """The values of the series that continues `series` from `cut` on.

    It starts on the day of the cut (the form shows the whole series, from its first date), and
    a COUNT, which the form shows for the whole series, becomes what remains after the dates
    before the cut.
    """
    values = replace(values, extra_holidays=dict(values.extra_holidays))
    cut_day = _wall(cut, series.tz).date()
    if values.start_date < cut_day:
        values.start_date = cut_day
    count = re.search(r"(?:^|;)COUNT=(\d+)", values.rrule or "")
    if count:
        remaining = int(count.group(1)) - _dates_before(series, cut)
        if remaining < 1:
            raise RuleError(
                _(
                    "COUNT=%(count)s counts the whole series, and %(before)d of its dates lie "
                    "before the chosen occurrence: no date would remain.",
                    count=count.group(1),
                    before=_dates_before(series, cut),
                )
            )
        values.rrule = re.sub(r"COUNT=\d+", f"COUNT={remaining}", values.rrule)
    return values


def _refuse_overlap_with_continuation(series: EventSeries, values: SeriesValues) -> None:
    """A series that was split ends before its continuation begins; an edit may not make it
    run into the continuation's days again (the same day would hold the series twice)."""
    parent = (
        db.session.get(EventSeries, series.parent_series_id) if series.parent_series_id else None
    )
    found = re.search(r"UNTIL=(\d{4})(\d{2})(\d{2})", parent.rrule or "") if parent else None
    parent_end = date(*map(int, found.groups())) if found else None
    if parent_end is not None and values.start_date <= parent_end:
        raise RuleError(
            _(
                "This series continues the series “%(title)s”, which ends on %(date)s; it must "
                "start after that day.",
                title=parent.title,
                date=parent_end.isoformat(),
            )
        )
    children = db.session.scalars(
        sa.select(EventSeries).where(EventSeries.parent_series_id == series.id)
    ).all()
    if not children:
        return
    begins = min(to_utc(_series_start(child), child.tz) for child in children)
    last_day = begins.astimezone(values.tz).date() - timedelta(days=1)
    limit = datetime.combine(last_day, time(23, 59, 59))
    rule = values.rrule
    if rule is None:
        later = values.start_date > last_day
    else:
        probe = expand(rule, dtstart=values.wall_start(), after=limit + timedelta(seconds=1),
                       until=limit + timedelta(days=366 * 10))  # fmt: skip
        later = bool(probe)
    if later:
        raise RuleError(
            _(
                "This series continues as another series from %(date)s. End it on or before "
                "%(last)s, or edit the continuing series instead.",
                date=(last_day + timedelta(days=1)).isoformat(),
                last=last_day.isoformat(),
            )
        )


def apply_series_edit(
    series: EventSeries,
    *,
    values: SeriesValues,
    scope: EditScope | str,
    from_occurrence: Occurrence | None,
    keep_conflicts: bool,
    actor_id: int | None,
    now: datetime,
    horizon_days: int,
) -> EventSeries:
    """Save an edit. Returns the series that holds the edited occurrences (a new one when
    the scope is "this and all following").

    Occurrences the new rule no longer gives are deleted when nobody is attached to them,
    cancelled when only history is (cancelled bookings, unanswered invitations), and, when they
    have bookings or accepted invitations, either kept as one-off occurrences on their old date
    (`keep_conflicts`) or the whole edit is refused with the list.
    """
    plan = plan_series_edit(
        series,
        values=values,
        scope=scope,
        from_occurrence=from_occurrence,
        now=now,
        horizon_days=horizon_days,
    )
    if plan.conflicts and not keep_conflicts:
        raise EditConflict(plan.conflicts)
    before = {"rrule": series.rrule, "start_date": series.start_date.isoformat()}
    details_changed = any(
        getattr(series, name) != getattr(plan.preview.values, name) for name in CALENDAR_DETAILS
    )

    if plan.scope == EditScope.following:
        target = _split_series(series, values=plan.preview.values, cut=plan.cut, actor_id=actor_id)
    else:
        target = series
        _assign(series, plan.preview.values)
    target.updated_at = target.changed_at = now
    series.sequence += 1
    series.updated_at = series.changed_at = now
    tz = target.tz

    # Skipped dates from the cut on are recomputed for the target.
    db.session.execute(
        sa.delete(SkippedOccurrence).where(
            SkippedOccurrence.series_id == series.id,
            SkippedOccurrence.original_start_at >= plan.cut,
        )
    )
    for item in plan.items:
        occ = item.occurrence
        if item.action == EditAction.removed:
            _drop_occurrence(occ, keep=item.has_people, actor_id=actor_id, now=now)
            continue
        # Paired with a date of the new rule: the row (with its bookings) follows the rule.
        occ.series = target
        if item.reattach:
            occ.is_detached = False
        # Its identity (RECURRENCE-ID) becomes the new rule's date for that day; a holiday
        # shift shows in start_at only. What an organizer overrode stays as it is.
        occ.original_start_at = to_utc(item.planned.original, tz)
        if not occ.is_overridden:
            occ.holiday_name = item.planned.holiday
        if item.action == EditAction.moved:
            snapshot = _snapshot(occ)
            bookings.shift_slots(occ.id, item.new_start - occ.start_at)
            occ.start_at, occ.end_at = item.new_start, item.new_end
            _record_change(occ, ChangeKind.rescheduled, snapshot, actor_id=actor_id, now=now)
        elif details_changed:
            # What calendars show changed (title, description, venue): a new version.
            _record_change(
                occ, ChangeKind.details_changed, _snapshot(occ), actor_id=actor_id, now=now
            )
    db.session.flush()
    _store_planned(target, plan.new_dates)
    target.materialized_until_at = plan.horizon_end
    db.session.flush()
    # The status (published or not) and the rules' reach decide which reminders exist.
    for series_id in {series.id, target.id}:
        for occurrence_id in db.session.scalars(
            sa.select(Occurrence.id).where(
                Occurrence.series_id == series_id, Occurrence.start_at > now
            )
        ):
            request_planning(occurrence_id)
    audit.record(
        "series.edited",
        obj=series,
        actor_id=actor_id,
        now=now,
        center_id=series.center_id,
        scope=plan.scope,
        before=before,
        after={"rrule": target.rrule, "start_date": target.start_date.isoformat()},
        new_series_id=target.id if target is not series else None,
        kept_as_one_off=[i.occurrence.id for i in plan.conflicts],
    )
    return target


def _drop_occurrence(occ: Occurrence, *, keep: bool, actor_id: int | None, now: datetime) -> None:
    if keep:
        occ.is_detached = True
        occ.is_overridden = True
        _record_change(occ, ChangeKind.detached, _snapshot(occ), actor_id=actor_id, now=now)
        return
    if bookings.has_any_booking(occ.id) or invitations.has_any_invitation(occ.id):
        before = _snapshot(occ)
        occ.is_detached = True
        occ.status = OccurrenceStatus.cancelled
        occ.cancel_reason = _("Removed from the series by an edit of its schedule.")
        _record_change(occ, ChangeKind.removed, before, actor_id=actor_id, now=now)
        return
    audit.record(
        "occurrence.deleted",
        obj=occ,
        actor_id=actor_id,
        now=now,
        center_id=occ.series.center_id,
        start_at=occ.start_at.isoformat(),
    )
    db.session.delete(occ)


def _split_series(
    series: EventSeries, *, values: SeriesValues, cut: datetime, actor_id: int | None
) -> EventSeries:
    """End `series` on the day before the cut and start a new series with `values` from there.

    UNTIL is the end of that day (23:59:59 wall-clock), which is also what the form writes for
    a last date: saving the first series again through the form keeps its end exactly. A rule
    gives at most one date a day, so no date of the first series is lost.
    """
    last_day = _wall(cut, series.tz).date() - timedelta(days=1)
    if series.rrule:
        parts = [p for p in series.rrule.split(";") if not p.startswith(("COUNT=", "UNTIL="))]
        parts.append(f"UNTIL={last_day:%Y%m%d}T235959")
        series.rrule = normalize_rrule(";".join(parts), tz=series.tz)
    new = EventSeries(
        center_id=series.center_id,
        slug=_unique_slug(f"{series.slug}-{values.start_date:%Y%m%d}"),
        created_by_id=actor_id,
        parent_series_id=series.id,
        created_at=series.updated_at,
    )
    _assign(new, values)
    db.session.add(new)
    db.session.flush()
    rules.copy_rules(series, to=new)
    return new


# --- Listing ---------------------------------------------------------------------------------


# Built once with bound parameters and read as plain rows (see `series.rows.run`).
_SKIPPED = (
    sa.select(SkippedOccurrence.original_start_at, SkippedOccurrence.holiday_name)
    .where(
        SkippedOccurrence.series_id == sa.bindparam("series_id"),
        SkippedOccurrence.original_start_at >= sa.bindparam("now"),
    )
    .order_by(SkippedOccurrence.original_start_at)
    .limit(12)
)


def skipped_dates(series_id: int, *, now: datetime) -> Sequence[sa.Row]:
    """A series' next twelve skipped dates (holidays and closed dates the rule fell on),
    soonest first, as rows of `original_start_at` and `holiday_name`: the series page lists
    them."""
    return run(_SKIPPED, series_id=series_id, now=now)
