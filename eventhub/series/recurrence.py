"""Recurrence rules: building, validating, describing and expanding RFC 5545 RRULEs.

Pure functions, no database. Expansion uses python-dateutil in the series' wall-clock time;
turning wall-clock times into instants is `to_utc`, which follows RFC 5545 section 3.3.5.

Stored form of a rule: ``FREQ=MONTHLY;BYDAY=+3WE`` (no ``RRULE:`` prefix, no DTSTART; the
series keeps its start date, time and zone). An UNTIL is stored in the series' local time
(``UNTIL=20271231T235959``) because dateutil expands in local time; the calendar feeds convert it
to UTC when they write it out, as RFC 5545 requires when DTSTART has a TZID.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr
from flask_babel import gettext as _

from eventhub.core.errors import InvalidInput
from eventhub.core.forms import FIRST_DATE, LAST_DATE
from eventhub.series.models import HolidayPolicy

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
ALLOWED_PARTS = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH",
                 "BYSETPOS", "WKST")  # fmt: skip
MAX_COUNT = 1000
MAX_INTERVAL = 99
# A rule that gives more dates than this inside the horizon is refused: no investor day
# series needs more, and a typo (DAILY for MONTHLY) should not create thousands of rows.
MAX_DATES_IN_HORIZON = 500
# How far to look for a first date before calling a rule empty.
SEARCH_YEARS = 10

_BYDAY_RE = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")


class RuleError(InvalidInput):
    """A recurrence rule that cannot be used; the message says why."""


@dataclass(frozen=True)
class RuleSpec:
    """What the recurrence form asks for."""

    freq: str
    interval: int = 1
    weekdays: tuple[str, ...] = ()
    monthly_mode: str = "day"  # "day" (BYMONTHDAY) or "ordinal" (BYDAY=+3WE)
    month_day: int | None = None
    ordinal: int | None = None  # 1..4 or -1 (last)
    ordinal_weekday: str | None = None
    end: str = "never"  # "never", "count" or "until"
    count: int | None = None
    until: date | None = None


def build_rrule(spec: RuleSpec, *, start_date: date) -> str:
    """The RRULE for what the form asked; defaults come from the start date."""
    if spec.freq not in FREQUENCIES:
        raise RuleError(_("Choose how often the event repeats."))
    parts = [f"FREQ={spec.freq}"]
    if spec.interval != 1:
        parts.append(f"INTERVAL={spec.interval}")
    if spec.freq == "WEEKLY":
        days = spec.weekdays or (WEEKDAYS[start_date.weekday()],)
        parts.append("BYDAY=" + ",".join(d for d in WEEKDAYS if d in days))
    elif spec.freq == "MONTHLY":
        if spec.monthly_mode == "ordinal":
            ordinal = spec.ordinal or (start_date.day - 1) // 7 + 1
            weekday = spec.ordinal_weekday or WEEKDAYS[start_date.weekday()]
            sign = "+" if ordinal > 0 else ""
            parts.append(f"BYDAY={sign}{ordinal}{weekday}")
        else:
            parts.append(f"BYMONTHDAY={spec.month_day or start_date.day}")
    if spec.end == "count":
        parts.append(f"COUNT={spec.count}")
    elif spec.end == "until" and spec.until is not None:
        parts.append(f"UNTIL={spec.until:%Y%m%d}T235959")
    return ";".join(parts)


def spec_from_rrule(rule: str) -> RuleSpec | None:
    """The form fields for a stored rule, or None when the form cannot show it."""
    try:
        parts = _split(rule)
    except RuleError:
        return None
    if set(parts) - {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY"}:
        return None
    freq = parts["FREQ"]
    interval = int(parts.get("INTERVAL", "1"))
    end, count, until = "never", None, None
    if "COUNT" in parts:
        end, count = "count", int(parts["COUNT"])
    elif "UNTIL" in parts:
        end, until = "until", _parse_until(parts["UNTIL"], ZoneInfo("UTC")).date()
    byday = parts.get("BYDAY")
    if freq == "WEEKLY":
        days = tuple(byday.split(",")) if byday else ()
        if any(d not in WEEKDAYS for d in days):
            return None
        return RuleSpec(freq, interval, weekdays=days, end=end, count=count, until=until)
    if freq == "MONTHLY":
        if byday:
            match = _BYDAY_RE.match(byday)
            if not match or not match.group(1) or "," in byday:
                return None
            return RuleSpec(
                freq,
                interval,
                monthly_mode="ordinal",
                ordinal=int(match.group(1)),
                ordinal_weekday=match.group(2),
                end=end,
                count=count,
                until=until,
            )
        day = parts.get("BYMONTHDAY")
        if day is not None and ("," in day or int(day) < 1):
            return None
        return RuleSpec(
            freq,
            interval,
            monthly_mode="day",
            month_day=int(day) if day else None,
            end=end,
            count=count,
            until=until,
        )
    if byday or "BYMONTHDAY" in parts:
        return None
    return RuleSpec(freq, interval, end=end, count=count, until=until)


def _split(rule: str) -> dict[str, str]:
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text:
        raise RuleError(_("The rule is empty."))
    if "\n" in text or "\r" in text:
        raise RuleError(_("Paste a single RRULE line, without DTSTART or other properties."))
    parts: dict[str, str] = {}
    for chunk in text.strip(";").split(";"):
        key, sep, value = chunk.partition("=")
        key = key.strip().upper()
        value = value.strip().upper()
        if not sep or not key or not value:
            raise RuleError(_("Could not read “%(part)s”: every part is NAME=VALUE.", part=chunk))
        if key in parts:
            raise RuleError(_("%(name)s appears twice.", name=key))
        parts[key] = value
    return parts


def _parse_until(value: str, tz: ZoneInfo) -> datetime:
    """An UNTIL value as naive wall-clock time in `tz`, on a day dates may have (year 0001 was
    written back as "10101", which dateutil then refused: a 500)."""
    parsed = None
    try:
        if re.fullmatch(r"\d{8}", value):
            parsed = datetime.strptime(value, "%Y%m%d").replace(hour=23, minute=59, second=59)  # noqa: DTZ007
        elif re.fullmatch(r"\d{8}T\d{6}Z", value):
            instant = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            parsed = instant.astimezone(tz).replace(tzinfo=None)
        elif re.fullmatch(r"\d{8}T\d{6}", value):
            parsed = datetime.strptime(value, "%Y%m%dT%H%M%S")  # noqa: DTZ007 - wall time
    except (ValueError, OverflowError):
        pass
    if parsed is None:
        raise RuleError(_("UNTIL must be a date like 20271231 or a time like 20271231T235959Z."))
    if not FIRST_DATE <= parsed.date() <= LAST_DATE:
        raise RuleError(
            _(
                "Choose a date from %(first)s to %(last)s.",
                first=FIRST_DATE.isoformat(),
                last=LAST_DATE.isoformat(),
            )
        )
    return parsed


def _int_part(parts: dict[str, str], name: str, low: int, high: int) -> list[int]:
    values = []
    for raw in parts[name].split(","):
        try:
            number = int(raw)
        except ValueError:
            raise RuleError(
                _("%(name)s must be a number, not “%(value)s”.", name=name, value=raw)
            ) from None
        if number == 0 or abs(number) > high or (name == "BYMONTH" and number < low):
            raise RuleError(_("%(name)s=%(value)s is out of range.", name=name, value=raw))
        values.append(number)
    return values


def normalize_rrule(rule: str, *, tz: ZoneInfo) -> str:
    """Validate a pasted or built RRULE and return its stored form, or raise RuleError."""
    parts = _split(rule)
    unknown = [name for name in parts if name not in ALLOWED_PARTS]
    if unknown:
        raise RuleError(
            _(
                "%(names)s is not supported: the time of day comes from the start time, and "
                "only FREQ, INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS and "
                "WKST can be used.",
                names=", ".join(unknown),
            )
        )
    freq = parts.get("FREQ")
    if freq is None:
        raise RuleError(_("FREQ is missing: say how often the event repeats."))
    if freq in ("SECONDLY", "MINUTELY", "HOURLY"):
        raise RuleError(
            _("FREQ=%(freq)s is too frequent: investor days repeat at most daily.", freq=freq)
        )
    if freq not in FREQUENCIES:
        raise RuleError(_("FREQ=%(freq)s is not a frequency.", freq=freq))
    if "INTERVAL" in parts:
        try:
            interval = int(parts["INTERVAL"])
        except ValueError:
            raise RuleError(_("INTERVAL must be a whole number.")) from None
        if interval < 1:
            raise RuleError(_("INTERVAL must be at least 1."))
        if interval > MAX_INTERVAL:
            raise RuleError(_("INTERVAL can be at most %(n)d.", n=MAX_INTERVAL))
    if "COUNT" in parts and "UNTIL" in parts:
        raise RuleError(_("Use either COUNT or UNTIL, not both (RFC 5545)."))
    if "COUNT" in parts:
        try:
            count = int(parts["COUNT"])
        except ValueError:
            raise RuleError(_("COUNT must be a whole number.")) from None
        if count < 1:
            raise RuleError(_("COUNT must be at least 1."))
        if count > MAX_COUNT:
            raise RuleError(_("COUNT can be at most %(n)d.", n=MAX_COUNT))
    if "UNTIL" in parts:
        parts["UNTIL"] = _parse_until(parts["UNTIL"], tz).strftime("%Y%m%dT%H%M%S")
    if "BYDAY" in parts:
        for item in parts["BYDAY"].split(","):
            match = _BYDAY_RE.match(item)
            if not match:
                raise RuleError(
                    _("BYDAY value “%(value)s” is not a weekday like WE or +3WE.", value=item)
                )
            if match.group(1):
                ordinal = int(match.group(1))
                if ordinal == 0 or abs(ordinal) > 53:
                    raise RuleError(_("BYDAY value “%(value)s” is out of range.", value=item))
                if freq not in ("MONTHLY", "YEARLY"):
                    raise RuleError(
                        _("A numbered weekday such as +3WE only works with FREQ=MONTHLY or YEARLY.")
                    )
    if "BYMONTHDAY" in parts:
        _int_part(parts, "BYMONTHDAY", 1, 31)
        if freq == "WEEKLY":
            raise RuleError(_("BYMONTHDAY cannot be used with FREQ=WEEKLY (RFC 5545)."))
    if "BYMONTH" in parts:
        _int_part(parts, "BYMONTH", 1, 12)
    if "BYSETPOS" in parts:
        _int_part(parts, "BYSETPOS", 1, 366)
        if not any(p in parts for p in ("BYDAY", "BYMONTHDAY", "BYMONTH")):
            raise RuleError(_("BYSETPOS needs another BYxxx part to choose from."))
    if "WKST" in parts and parts["WKST"] not in WEEKDAYS:
        raise RuleError(_("WKST must be a weekday such as MO."))
    order = [name for name in ALLOWED_PARTS if name in parts]
    return ";".join(f"{name}={parts[name]}" for name in order)


def make_rule(rule: str, *, dtstart: datetime) -> rrule:
    """The dateutil rule for a stored RRULE, anchored at a naive wall-clock start."""
    return rrulestr(rule, dtstart=dtstart)


def first_start(rule: str, *, start: datetime) -> datetime | None:
    """The first wall-clock start the rule gives on or after `start`, within SEARCH_YEARS."""
    limit = start + timedelta(days=366 * SEARCH_YEARS)
    # COUNT is dropped here: we ask whether the pattern matches anything at all.
    probe = make_rule(_without_count(rule), dtstart=start)
    found = probe.between(start, limit, inc=True)[:1]
    return found[0] if found else None


def _without_count(rule: str) -> str:
    return ";".join(p for p in rule.split(";") if not p.startswith("COUNT="))


def has_month_day_gaps(rule: str) -> bool:
    """True when BYMONTHDAY asks for a day some months lack (29, 30, 31)."""
    parts = dict(p.split("=", 1) for p in rule.split(";"))
    days = parts.get("BYMONTHDAY")
    return bool(days) and any(abs(int(d)) >= 29 for d in days.split(","))


# --- Holidays and the planned dates -------------------------------------------------------


@dataclass(frozen=True)
class PlannedDate:
    """One instance of the rule after the holiday policy.

    `original` is the rule's wall-clock start (the occurrence's identity); `start` is where it
    actually is (None when skipped).
    """

    original: datetime
    start: datetime | None
    holiday: str | None = None

    @property
    def is_skipped(self) -> bool:
        return self.start is None

    @property
    def is_moved(self) -> bool:
        return self.start is not None and self.start != self.original


@dataclass
class Holidays:
    """Public holidays of a country plus dates an organizer added."""

    country: str = "KR"
    extra: dict[date, str] = field(default_factory=dict)
    language: str = "ko"
    _cache: dict[int, dict[date, str]] = field(default_factory=dict)

    def name(self, day: date) -> str | None:
        if day in self.extra:
            return self.extra[day]
        year = self._cache.get(day.year)
        if year is None:
            import holidays as holidays_lib

            language = "ko" if self.language == "ko" else "en_US"
            try:
                calendar = holidays_lib.country_holidays(
                    self.country, years=day.year, language=language
                )
            except NotImplementedError:
                calendar = {}
            year = {d: str(n) for d, n in calendar.items()}
            self._cache[day.year] = year
        return year.get(day)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and self.name(day) is None


def apply_holiday_policy(
    starts: Iterable[datetime],
    *,
    policy: str,
    holidays: Holidays,
    occupied: Iterable[date] = (),
) -> list[PlannedDate]:
    """What the policy does to each rule start: keep it, skip it, or move it forward.

    A date moved to the next business day that already has an instance of the rule is skipped
    instead, so that one day never holds the same series twice.
    """
    starts = list(starts)
    # Days already used: the rule's own, and those of dates stored earlier (a previous batch
    # may have moved a date forward into this one).
    taken = {s.date() for s in starts} | set(occupied)
    planned = []
    for start in starts:
        name = holidays.name(start.date())
        if name is None or policy == HolidayPolicy.keep:
            planned.append(PlannedDate(start, start, name))
            continue
        if policy == HolidayPolicy.skip:
            planned.append(PlannedDate(start, None, name))
            continue
        day = start.date() + timedelta(days=1)
        while not holidays.is_business_day(day):
            day += timedelta(days=1)
        if day in taken:
            planned.append(PlannedDate(start, None, name))
            continue
        taken.add(day)
        planned.append(PlannedDate(start, datetime.combine(day, start.time()), name))
    return planned


def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock time in `tz` as a UTC instant, resolved as RFC 5545 section 3.3.5 says.

    A time that does not exist (in a spring-forward gap) uses the offset before the gap, and a
    time that exists twice (in a fall-back fold) means the first one. Both are what zoneinfo
    does with ``fold=0``.
    """
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


# --- Human summaries in Korean and English -------------------------------------------------

_KO_DAYS = dict(
    zip(
        WEEKDAYS,
        ("월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일"),
        strict=True,
    )
)
_EN_DAYS = dict(
    zip(
        WEEKDAYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)
_KO_ORDINALS = {1: "첫째", 2: "둘째", 3: "셋째", 4: "넷째", 5: "다섯째", -1: "마지막"}
_EN_ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", -1: "last"}
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")  # fmt: skip


def _en_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@lru_cache(maxsize=1024)
def describe(rule: str | None, *, start_date: date, start_time: time, locale: str) -> str:
    """A person's summary of a rule: "매월 셋째 주 수요일 14:00" / "Every month on the 3rd ...".
    Kept once made (a pure function of its arguments): every view of a series page asks."""
    clock = f"{start_time:%H:%M}"
    ko = locale == "ko"
    if not rule:
        if ko:
            return f"{start_date.year}년 {start_date.month}월 {start_date.day}일 {clock} (한 번)"
        month = _EN_MONTHS[start_date.month - 1]
        return f"Once, on {month} {start_date.day}, {start_date.year} at {clock}"
    spec = spec_from_rrule(rule)
    if spec is None:
        return f"사용자 지정 규칙: {rule} ({clock})" if ko else f"Custom rule: {rule} (at {clock})"
    n = spec.interval
    if spec.freq == "DAILY":
        text = "매일" if n == 1 else f"{n}일마다"
        en = "Every day" if n == 1 else f"Every {n} days"
    elif spec.freq == "WEEKLY":
        days = spec.weekdays or (WEEKDAYS[start_date.weekday()],)
        text = ("매주" if n == 1 else f"{n}주마다") + " " + ", ".join(_KO_DAYS[d] for d in days)
        en = (
            ("Every week" if n == 1 else f"Every {n} weeks")
            + " on "
            + _en_list([_EN_DAYS[d] for d in days])
        )
    elif spec.freq == "MONTHLY":
        head_ko = "매월" if n == 1 else f"{n}개월마다"
        head_en = "Every month" if n == 1 else f"Every {n} months"
        if spec.monthly_mode == "ordinal":
            weekday = spec.ordinal_weekday or WEEKDAYS[start_date.weekday()]
            ko_ord = _KO_ORDINALS.get(spec.ordinal, str(spec.ordinal))
            en_ord = _EN_ORDINALS.get(spec.ordinal, str(spec.ordinal))
            text = f"{head_ko} {ko_ord} 주 {_KO_DAYS[weekday]}"
            en = f"{head_en} on the {en_ord} {_EN_DAYS[weekday]}"
        else:
            day = spec.month_day or start_date.day
            text = f"{head_ko} {day}일"
            en = f"{head_en} on day {day}"
    else:
        head_ko = "매년" if n == 1 else f"{n}년마다"
        head_en = "Every year" if n == 1 else f"Every {n} years"
        text = f"{head_ko} {start_date.month}월 {start_date.day}일"
        en = f"{head_en} on {_EN_MONTHS[start_date.month - 1]} {start_date.day}"
    if spec.end == "count":
        text += f" {clock}, {spec.count}회"
        en += f" at {clock}, {spec.count} times"
    elif spec.end == "until" and spec.until:
        u = spec.until
        text += f" {clock}, {u.year}년 {u.month}월 {u.day}일까지"
        en += f" at {clock}, until {_EN_MONTHS[u.month - 1]} {u.day}, {u.year}"
    else:
        text += f" {clock}"
        en += f" at {clock}"
    return text if ko else en


def expand(
    rule: str | None,
    *,
    dtstart: datetime,
    after: datetime | None = None,
    until: datetime,
    inclusive: bool = True,
) -> list[datetime]:
    """Wall-clock starts of the rule in [after, until] (or from dtstart when `after` is None)."""
    if not rule:
        # A one-off date is always planned, however far ahead it is.
        return [dtstart] if after is None or dtstart >= after else []
    compiled = make_rule(rule, dtstart=dtstart)
    return list(compiled.between(after or dtstart, until, inc=inclusive))
