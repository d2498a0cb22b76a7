"""Rules, summaries, holidays and time zones, without the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from eventhub.series.recurrence import (
    Holidays,
    RuleError,
    RuleSpec,
    apply_holiday_policy,
    build_rrule,
    describe,
    expand,
    first_start,
    normalize_rrule,
    spec_from_rrule,
    to_utc,
)

SEOUL = ZoneInfo("Asia/Seoul")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _request(app):
    """Messages are translated, so they need an app; English keeps the asserts readable."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL must be at least 1."),
        ("FREQ=DAILY;COUNT=0", "COUNT must be at least 1."),
        ("FREQ=SECONDLY", "FREQ=SECONDLY is too frequent: investor days repeat at most daily."),
        ("FREQ=MINUTELY", "FREQ=MINUTELY is too frequent: investor days repeat at most daily."),
        ("FREQ=HOURLY", "FREQ=HOURLY is too frequent: investor days repeat at most daily."),
        ("FREQ=FORTNIGHTLY", "FREQ=FORTNIGHTLY is not a frequency."),
        ("BYDAY=MO", "FREQ is missing: say how often the event repeats."),
        ("", "The rule is empty."),
        ("FREQ=DAILY;COUNT=3;UNTIL=20270101", "Use either COUNT or UNTIL, not both (RFC 5545)."),
        (
            "FREQ=WEEKLY;BYDAY=+2MO",
            "A numbered weekday such as +3WE only works with FREQ=MONTHLY or YEARLY.",
        ),
        ("FREQ=MONTHLY;BYDAY=XX", "BYDAY value “XX” is not a weekday like WE or +3WE."),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY=32 is out of range."),
        ("FREQ=MONTHLY;BYMONTHDAY=abc", "BYMONTHDAY must be a number, not “ABC”."),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ appears twice."),
        ("FREQ=DAILY;COUNT", "Could not read “COUNT”: every part is NAME=VALUE."),
        (
            "FREQ=DAILY;UNTIL=tomorrow",
            "UNTIL must be a date like 20271231 or a time like 20271231T235959Z.",
        ),
        ("FREQ=WEEKLY;BYMONTHDAY=3", "BYMONTHDAY cannot be used with FREQ=WEEKLY (RFC 5545)."),
        ("FREQ=DAILY;COUNT=5000", "COUNT can be at most 1000."),
        # Year 1 was written back as "10101T235959" and refused by dateutil: a 500.
        ("FREQ=DAILY;UNTIL=00010101T235959Z", "Choose a date from 1900-01-01 to 2999-12-31."),
        ("FREQ=DAILY;UNTIL=00010101", "Choose a date from 1900-01-01 to 2999-12-31."),
        ("FREQ=DAILY;UNTIL=99991231T235959", "Choose a date from 1900-01-01 to 2999-12-31."),
    ],
)
def test_normalize_rrule_refuses_bad_rules_with_the_reason(rule, message):
    with pytest.raises(RuleError) as caught:
        normalize_rrule(rule, tz=SEOUL)
    assert str(caught.value.message) == message


def test_normalize_rrule_refuses_parts_that_set_the_time_of_day():
    with pytest.raises(RuleError) as caught:
        normalize_rrule("FREQ=DAILY;BYHOUR=9,15", tz=SEOUL)
    assert str(caught.value.message).startswith("BYHOUR is not supported")


def test_normalize_rrule_accepts_a_pasted_rule_in_any_case_and_prefix():
    assert normalize_rrule("RRULE:freq=monthly;byday=+3we;interval=2", tz=SEOUL) == (
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=+3WE"
    )


def test_normalize_rrule_stores_a_utc_until_in_local_wall_time():
    # 2027-06-30 14:59:59 UTC is 23:59:59 in Seoul.
    assert normalize_rrule("FREQ=WEEKLY;UNTIL=20270630T145959Z", tz=SEOUL) == (
        "FREQ=WEEKLY;UNTIL=20270630T235959"
    )


def test_first_start_finds_nothing_for_a_rule_without_dates():
    assert (
        first_start("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", start=datetime(2026, 1, 1, 14)) is None
    )


def test_first_start_aligns_to_the_rule():
    assert first_start("FREQ=MONTHLY;BYDAY=+3WE", start=datetime(2026, 12, 1, 14)) == datetime(
        2026, 12, 16, 14
    )


@pytest.mark.parametrize(
    ("spec", "rule"),
    [
        (
            RuleSpec("MONTHLY", monthly_mode="ordinal", ordinal=3, ordinal_weekday="WE"),
            "FREQ=MONTHLY;BYDAY=+3WE",
        ),
        (
            RuleSpec("MONTHLY", monthly_mode="ordinal", ordinal=-1, ordinal_weekday="FR"),
            "FREQ=MONTHLY;BYDAY=-1FR",
        ),
        (RuleSpec("MONTHLY", monthly_mode="day", month_day=31), "FREQ=MONTHLY;BYMONTHDAY=31"),
        (
            RuleSpec("WEEKLY", interval=2, weekdays=("WE", "MO")),
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE",
        ),
        (RuleSpec("DAILY", end="count", count=10), "FREQ=DAILY;COUNT=10"),
        (
            RuleSpec("YEARLY", end="until", until=date(2030, 1, 1)),
            "FREQ=YEARLY;UNTIL=20300101T235959",
        ),
    ],
)
def test_build_rrule_from_the_form_and_back(spec, rule):
    built = build_rrule(spec, start_date=date(2026, 12, 16))
    assert built == rule
    assert build_rrule(spec_from_rrule(built), start_date=date(2026, 12, 16)) == rule


@pytest.mark.parametrize(
    ("rule", "ko", "en"),
    [
        (
            "FREQ=MONTHLY;BYDAY=+3WE",
            "매월 셋째 주 수요일 14:00",
            "Every month on the 3rd Wednesday at 14:00",
        ),
        (
            "FREQ=MONTHLY;BYDAY=-1FR",
            "매월 마지막 주 금요일 14:00",
            "Every month on the last Friday at 14:00",
        ),
        (
            "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15",
            "2개월마다 15일 14:00",
            "Every 2 months on day 15 at 14:00",
        ),
        (
            "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=8",
            "매주 월요일, 수요일 14:00, 8회",
            "Every week on Monday and Wednesday at 14:00, 8 times",
        ),
        (
            "FREQ=DAILY;INTERVAL=3;UNTIL=20270131T235959",
            "3일마다 14:00, 2027년 1월 31일까지",
            "Every 3 days at 14:00, until January 31, 2027",
        ),
        ("FREQ=YEARLY", "매년 12월 16일 14:00", "Every year on December 16 at 14:00"),
        (
            "FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1",
            "사용자 지정 규칙: FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1 (14:00)",
            "Custom rule: FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1 (at 14:00)",
        ),
        (None, "2026년 12월 16일 14:00 (한 번)", "Once, on December 16, 2026 at 14:00"),
    ],
)
def test_describe_in_korean_and_english(rule, ko, en):
    kwargs = {"start_date": date(2026, 12, 16), "start_time": time(14, 0)}
    assert describe(rule, locale="ko", **kwargs) == ko
    assert describe(rule, locale="en", **kwargs) == en


def test_expand_bymonthday_31_skips_months_without_a_31st():
    starts = expand(
        "FREQ=MONTHLY;BYMONTHDAY=31",
        dtstart=datetime(2027, 1, 31, 14),
        until=datetime(2027, 8, 31, 23),
    )
    assert [s.date().isoformat() for s in starts] == [
        "2027-01-31", "2027-03-31", "2027-05-31", "2027-07-31", "2027-08-31",
    ]  # fmt: skip


# --- Holidays (Korea, 2026 and 2027) -------------------------------------------------------


def _last_fridays_2026() -> list[datetime]:
    return expand(
        "FREQ=MONTHLY;BYDAY=-1FR",
        dtstart=datetime(2026, 8, 28, 14),
        until=datetime(2026, 10, 31),
    )


def test_holiday_last_friday_of_september_2026_is_chuseok():
    holidays = Holidays(country="KR", language="ko")
    planned = apply_holiday_policy(_last_fridays_2026(), policy="keep", holidays=holidays)
    assert [(p.start.date().isoformat(), p.holiday) for p in planned] == [
        ("2026-08-28", None), ("2026-09-25", "추석"), ("2026-10-30", None),
    ]  # fmt: skip


def test_holiday_policy_skip_drops_chuseok():
    planned = apply_holiday_policy(
        _last_fridays_2026(), policy="skip", holidays=Holidays(language="en")
    )
    assert [(p.original.date().isoformat(), p.is_skipped, p.holiday) for p in planned] == [
        ("2026-08-28", False, None), ("2026-09-25", True, "Chuseok"), ("2026-10-30", False, None),
    ]  # fmt: skip


def test_holiday_next_business_day_jumps_over_the_whole_chuseok_weekend():
    # 2026-09-25 (Fri) is Chuseok, 26 is its second day, 27 a Sunday: the next business day is
    # Monday the 28th.
    planned = apply_holiday_policy(
        _last_fridays_2026(), policy="next_business_day", holidays=Holidays(language="en")
    )
    assert [(p.original.date().isoformat(), p.start.date().isoformat()) for p in planned] == [
        ("2026-08-28", "2026-08-28"), ("2026-09-25", "2026-09-28"), ("2026-10-30", "2026-10-30"),
    ]  # fmt: skip
    assert planned[1].start.time() == time(14, 0)


def test_holiday_third_wednesday_of_september_2027_is_chuseok():
    starts = expand(
        "FREQ=MONTHLY;BYDAY=+3WE",
        dtstart=datetime(2027, 8, 18, 14),
        until=datetime(2027, 10, 31),
    )
    planned = apply_holiday_policy(starts, policy="next_business_day", holidays=Holidays())
    assert [(p.start.date().isoformat(), p.holiday) for p in planned] == [
        ("2027-08-18", None), ("2027-09-17", "추석"), ("2027-10-20", None),
    ]  # fmt: skip


def test_holiday_seollal_2027_and_organizer_dates():
    holidays = Holidays(extra={date(2027, 3, 3): "센터 이전"}, language="en")
    starts = [datetime(2027, 2, 8, 10), datetime(2027, 3, 3, 10), datetime(2027, 3, 10, 10)]
    planned = apply_holiday_policy(starts, policy="skip", holidays=holidays)
    assert [(p.is_skipped, p.holiday) for p in planned] == [
        (True, "The second day of Korean New Year"), (True, "센터 이전"), (False, None),
    ]  # fmt: skip


def test_holiday_shift_onto_another_rule_date_skips_instead():
    # Daily at 10:00 over Chuseok 2026: the 24th-26th are holidays and their next business day
    # (Monday the 28th) already has the rule's own date. The Sunday is not a public holiday.
    starts = expand(
        "FREQ=DAILY", dtstart=datetime(2026, 9, 23, 10), until=datetime(2026, 9, 28, 23)
    )
    planned = apply_holiday_policy(starts, policy="next_business_day", holidays=Holidays())
    assert [(p.original.day, p.start.day if p.start else None) for p in planned] == [
        (23, 23), (24, None), (25, None), (26, None), (27, 27), (28, 28),
    ]  # fmt: skip


# --- Daylight saving time (RFC 5545 section 3.3.5) -----------------------------------------


def test_to_utc_nonexistent_time_in_berlin_uses_the_offset_before_the_gap():
    # 2027-03-28 02:30 does not exist in Berlin (clocks jump 02:00 -> 03:00); the offset before
    # the gap is +01:00, so it is 01:30 UTC, shown as 03:30 CEST.
    instant = to_utc(datetime(2027, 3, 28, 2, 30), BERLIN)
    assert instant == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert instant.astimezone(BERLIN).strftime("%H:%M %Z") == "03:30 CEST"


def test_to_utc_ambiguous_time_in_berlin_means_the_first():
    # 2027-10-31 02:30 happens twice in Berlin; the first is still summer time (+02:00).
    assert to_utc(datetime(2027, 10, 31, 2, 30), BERLIN) == datetime(
        2027, 10, 31, 0, 30, tzinfo=UTC
    )


def test_to_utc_nonexistent_time_in_new_york():
    # 2027-03-14 02:30 does not exist in New York; before the gap the offset is -05:00.
    assert to_utc(datetime(2027, 3, 14, 2, 30), NEW_YORK) == datetime(
        2027, 3, 14, 7, 30, tzinfo=UTC
    )


def test_to_utc_ambiguous_time_in_new_york_means_the_first():
    # 2027-11-07 01:30 happens twice; the first is daylight time (-04:00).
    assert to_utc(datetime(2027, 11, 7, 1, 30), NEW_YORK) == datetime(
        2027, 11, 7, 5, 30, tzinfo=UTC
    )


def test_weekly_rule_keeps_its_wall_clock_time_across_dst_in_berlin():
    starts = expand(
        "FREQ=WEEKLY;BYDAY=SU",
        dtstart=datetime(2027, 3, 21, 14),
        until=datetime(2027, 4, 4, 23),
    )
    instants = [to_utc(s, BERLIN) for s in starts]
    assert instants == [
        datetime(2027, 3, 21, 13, 0, tzinfo=UTC),  # CET, +01:00
        datetime(2027, 3, 28, 12, 0, tzinfo=UTC),  # CEST, +02:00
        datetime(2027, 4, 4, 12, 0, tzinfo=UTC),
    ]
