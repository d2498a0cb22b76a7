"""Series services: materializing, one-off changes, and edits that never lose a booking."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from dateutil.rrule import MONTHLY, rrule

from eventhub.accounts.models import InvestorProfile, StartupProfile
from eventhub.bookings.models import Booking, BookingStatus, PitchSlot
from eventhub.core.audit import AuditLog
from eventhub.core.errors import DomainError
from eventhub.invitations.models import Invitation, RsvpStatus
from eventhub.scheduling import services
from eventhub.series.models import (
    ChangeKind,
    EventSeries,
    Occurrence,
    OccurrenceChange,
    OccurrenceStatus,
    SkippedOccurrence,
)
from eventhub.series.recurrence import RuleError
from tests.series.conftest import series_values

SEOUL = "Asia/Seoul"


def _local_starts(db, series_id: int) -> list[str]:
    rows = db.session.scalars(
        sa.select(Occurrence).where(Occurrence.series_id == series_id).order_by(Occurrence.start_at)
    )
    return [o.starts_at_local.strftime("%Y-%m-%d %H:%M") for o in rows]


def _occurrence(db, series_id: int, local_day: str) -> Occurrence:
    for occ in db.session.scalars(sa.select(Occurrence).where(Occurrence.series_id == series_id)):
        if occ.starts_at_local.date().isoformat() == local_day:
            return occ
    raise AssertionError(f"no occurrence on {local_day}")


def _book(db, occ: Occurrence, company: str = "Carbonix") -> int:
    startup = StartupProfile(company_name=company)
    # Every occurrence has the series' slots; take the first.
    slot = db.session.scalars(
        sa.select(PitchSlot).where(PitchSlot.occurrence_id == occ.id).order_by(PitchSlot.position)
    ).first()
    booking = Booking(occurrence=occ, slot=slot, startup=startup, status=BookingStatus.confirmed)
    db.session.add_all([startup, booking])
    db.session.flush()
    return booking.id


def _accept(db, occ: Occurrence, email: str = "vc@hanbit.example") -> None:
    investor = InvestorProfile(email=email, firm="Hanbit", person_name="김")
    db.session.add_all(
        [investor, Invitation(occurrence=occ, investor=investor, status=RsvpStatus.accepted)]
    )
    db.session.flush()


# --- Creating and materializing ------------------------------------------------------------


def _actions(db) -> list[str]:
    """The services' action entries, without the field-change entries every flush writes."""
    rows = db.session.execute(sa.select(AuditLog.action, AuditLog.changes).order_by(AuditLog.id))
    return [action for action, changes in rows if not changes]


def test_create_series_stores_dates_up_to_the_horizon(app, db, create_series, clock):
    series_id = create_series(horizon_days=120)
    with app.app_context():
        assert _local_starts(db, series_id) == [
            "2026-12-16 14:00", "2027-01-20 14:00", "2027-02-17 14:00", "2027-03-17 14:00",
        ]  # fmt: skip
        series = db.session.get(EventSeries, series_id)
        assert series.materialized_until_at == clock + timedelta(days=120)
        assert _actions(db) == ["series.created"]


def test_create_series_moves_the_first_date_onto_the_rule(app, db, create_series):
    series_id = create_series(start_date=date(2026, 12, 1), horizon_days=40)
    with app.app_context():
        assert db.session.get(EventSeries, series_id).start_date == date(2026, 12, 16)
        assert _local_starts(db, series_id) == ["2026-12-16 14:00"]


def test_create_series_one_off_without_a_rule(app, db, create_series):
    series_id = create_series(rrule=None, start_date=date(2027, 1, 7), horizon_days=548)
    with app.app_context():
        assert _local_starts(db, series_id) == ["2027-01-07 14:00"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"timezone": "Mars/Olympus"},
            "Unknown time zone “Mars/Olympus”. Use an IANA name such as Asia/Seoul.",
        ),
        ({"duration_minutes": 0}, "The duration must be more than zero and at most 24 hours."),
        ({"duration_minutes": 1441}, "The duration must be more than zero and at most 24 hours."),
        (
            {"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"},
            "This rule gives no date at all in the next ten years. Check its parts.",
        ),
        (
            {"rrule": "FREQ=DAILY"},
            "This rule gives 532 dates up to 2028-05-31, the end of the planning horizon; at most 500 are allowed. Check the frequency and the interval.",
        ),
        (
            {"rrule": "FREQ=MONTHLY;UNTIL=20261201"},
            "This rule gives no date at all in the next ten years. Check its parts.",
        ),
        ({"rrule": "FREQ=MONTHLY;COUNT=0"}, "COUNT must be at least 1."),
    ],
)
def test_create_series_refuses_bad_input_and_writes_nothing(
    app, db, center_id, clock, overrides, message
):
    from eventhub.centers.models import Center

    with app.test_request_context(headers={"Accept-Language": "en"}):
        center = db.session.get(Center, center_id)
        with pytest.raises(DomainError) as caught:
            services.create_series(
                center,
                values=series_values(**overrides),
                actor_id=None,
                now=clock,
                horizon_days=548,
            )
        assert str(caught.value.message) == message
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EventSeries)) == 0


def test_extending_the_horizon_adds_only_new_dates(app, db, create_series, clock):
    series_id = create_series(horizon_days=60)
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        first_ids = [o.id for o in series.occurrences]
        added = services.extend_horizons(now=clock, horizon_days=130)
        db.session.commit()
        assert added == 2
        assert [o.id for o in series.occurrences][:2] == first_ids
        assert _local_starts(db, series_id) == [
            "2026-12-16 14:00", "2027-01-20 14:00", "2027-02-17 14:00", "2027-03-17 14:00",
        ]  # fmt: skip
        assert services.extend_horizons(now=clock, horizon_days=130) == 0


def test_skipped_holidays_are_stored_as_skipped_dates(app, db, create_series):
    # Last Friday monthly from August 2026: September 25th is Chuseok.
    series_id = create_series(
        rrule="FREQ=MONTHLY;BYDAY=-1FR",
        start_date=date(2026, 8, 28),
        holiday_policy="skip",
        now=datetime(2026, 8, 1, tzinfo=UTC),
        horizon_days=95,
    )
    with app.app_context():
        assert _local_starts(db, series_id) == ["2026-08-28 14:00", "2026-10-30 14:00"]
        skipped = db.session.execute(
            sa.select(SkippedOccurrence.original_start_at, SkippedOccurrence.holiday_name)
        ).all()
        assert skipped == [(datetime(2026, 9, 25, 5, 0, tzinfo=UTC), "추석")]


# --- One occurrence ------------------------------------------------------------------------


def test_move_occurrence_bumps_sequence_records_and_moves_slots(app, db, create_series, clock):
    series_id = create_series(horizon_days=120)
    with app.app_context():
        occ = _occurrence(db, series_id, "2027-01-20")
        _book(db, occ)
        new_start = occ.start_at + timedelta(days=1, hours=1)
        services.move_occurrence(
            occ, start_at=new_start, end_at=new_start + timedelta(hours=3), actor_id=None, now=clock
        )
        db.session.commit()
        assert (occ.sequence, occ.is_overridden) == (1, True)
        assert occ.original_start_at == datetime(2027, 1, 20, 5, 0, tzinfo=UTC)
        assert occ.starts_at_local.isoformat() == "2027-01-21T15:00:00+09:00"
        slot = db.session.scalar(sa.select(Booking)).slot
        # The session starts 30 minutes into the event (the default layout) and moved with it.
        assert slot.start_at == new_start + timedelta(minutes=30)
        change = db.session.scalar(sa.select(OccurrenceChange))
        # The booked startup was written to in the same transaction.
        assert (change.kind, change.before["start_at"], change.notified_at) == (
            ChangeKind.moved,
            "2027-01-20T05:00:00+00:00",
            clock,
        )
        assert _actions(db) == ["series.created", "occurrence.moved"]


def test_move_onto_another_occurrence_of_the_series_is_refused(app, db, create_series, clock):
    series_id = create_series(horizon_days=120)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        occ = _occurrence(db, series_id, "2027-01-20")
        other = _occurrence(db, series_id, "2027-02-17")
        with pytest.raises(services.OccurrenceClash):
            services.move_occurrence(
                occ,
                start_at=other.start_at + timedelta(hours=1),
                end_at=other.end_at + timedelta(hours=1),
                actor_id=None,
                now=clock,
            )
        db.session.rollback()
        assert occ.sequence == 0


def test_changing_a_past_occurrence_is_refused(app, db, create_series):
    series_id = create_series(horizon_days=120)
    later = datetime(2027, 1, 25, tzinfo=UTC)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        occ = _occurrence(db, series_id, "2027-01-20")
        with pytest.raises(services.OccurrenceInPast):
            services.cancel_occurrence(occ, reason="x", actor_id=None, now=later)
        with pytest.raises(services.OccurrenceInPast):
            services.change_venue(
                occ,
                venue_name="Elsewhere",
                venue_address=None,
                online_url=None,
                actor_id=None,
                now=later,
            )


def test_cancel_and_restore_keep_a_reason_and_count_versions(app, db, create_series, clock):
    series_id = create_series(horizon_days=120)
    with app.app_context():
        occ = _occurrence(db, series_id, "2027-02-17")
        services.cancel_occurrence(occ, reason="연사 사정", actor_id=None, now=clock)
        assert (occ.status, occ.cancel_reason, occ.sequence) == (
            OccurrenceStatus.cancelled,
            "연사 사정",
            1,
        )
        services.restore_occurrence(occ, actor_id=None, now=clock)
        db.session.commit()
        assert (occ.status, occ.cancel_reason, occ.sequence) == (
            OccurrenceStatus.scheduled,
            None,
            2,
        )
        kinds = [c.kind for c in occ.changes]
        assert kinds == [ChangeKind.cancelled, ChangeKind.restored]


def test_overrides_survive_extending_the_horizon(app, db, create_series, clock):
    series_id = create_series(horizon_days=60)
    with app.app_context():
        occ = _occurrence(db, series_id, "2027-01-20")
        services.cancel_occurrence(occ, reason="폭설", actor_id=None, now=clock)
        services.change_venue(
            _occurrence(db, series_id, "2026-12-16"),
            venue_name="온라인",
            venue_address=None,
            online_url="https://meet.example/svpd",
            actor_id=None,
            now=clock,
        )
        db.session.commit()
        services.extend_horizons(now=clock, horizon_days=200)
        db.session.commit()
        assert _occurrence(db, series_id, "2027-01-20").cancel_reason == "폭설"
        assert _occurrence(db, series_id, "2026-12-16").venue_name == "온라인"
        assert len(_local_starts(db, series_id)) == 7


# --- Editing the series --------------------------------------------------------------------


def test_edit_all_changing_the_time_moves_every_future_occurrence(app, db, create_series, clock):
    series_id = create_series(horizon_days=100)
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        booking_id = _book(db, _occurrence(db, series_id, "2027-01-20"))
        db.session.commit()
        services.apply_series_edit(
            series,
            values=series_values(start_time=time(10, 0)),
            scope="all",
            from_occurrence=None,
            keep_conflicts=False,
            actor_id=None,
            now=clock,
            horizon_days=100,
        )
        db.session.commit()
        assert _local_starts(db, series_id) == [
            "2026-12-16 10:00",
            "2027-01-20 10:00",
            "2027-02-17 10:00",
        ]
        booking = db.session.get(Booking, booking_id)
        assert booking.occurrence.starts_at_local.strftime("%H:%M") == "10:00"
        assert booking.slot.start_at == booking.occurrence.start_at + timedelta(minutes=30)
        assert [c.kind for c in booking.occurrence.changes] == [ChangeKind.rescheduled]
        assert booking.occurrence.sequence == 1


def test_edit_all_removing_a_booked_date_is_refused_with_the_list(app, db, create_series, clock):
    series_id = create_series(horizon_days=100)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        series = db.session.get(EventSeries, series_id)
        _book(db, _occurrence(db, series_id, "2027-01-20"))
        _accept(db, _occurrence(db, series_id, "2027-02-17"))
        db.session.commit()
        with pytest.raises(services.EditConflict) as caught:
            services.apply_series_edit(
                series,
                values=series_values(
                    rrule="FREQ=MONTHLY;BYDAY=+2TH", start_date=date(2026, 12, 10)
                ),
                scope="all",
                from_occurrence=None,
                keep_conflicts=False,
                actor_id=None,
                now=clock,
                horizon_days=100,
            )
        listed = [
            (i.occurrence.starts_at_local.date().isoformat(), i.bookings, i.accepted)
            for i in caught.value.conflicts
        ]
        assert listed == [("2027-01-20", 1, 0), ("2027-02-17", 0, 1)]
        db.session.rollback()
        assert _local_starts(db, series_id) == [
            "2026-12-16 14:00",
            "2027-01-20 14:00",
            "2027-02-17 14:00",
        ]
        assert db.session.get(EventSeries, series_id).rrule == "FREQ=MONTHLY;BYDAY=+3WE"


def test_edit_all_keeps_booked_dates_as_one_offs_when_asked(app, db, create_series, clock):
    series_id = create_series(horizon_days=100)
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        booking_id = _book(db, _occurrence(db, series_id, "2027-01-20"))
        db.session.commit()
        services.apply_series_edit(
            series,
            values=series_values(rrule="FREQ=MONTHLY;BYDAY=+2TH", start_date=date(2026, 12, 10)),
            scope="all",
            from_occurrence=None,
            keep_conflicts=True,
            actor_id=None,
            now=clock,
            horizon_days=100,
        )
        db.session.commit()
        assert _local_starts(db, series_id) == [
            "2026-12-10 14:00", "2027-01-14 14:00", "2027-01-20 14:00", "2027-02-11 14:00",
        ]  # fmt: skip
        kept = db.session.get(Booking, booking_id).occurrence
        assert (kept.is_detached, kept.status, kept.starts_at_local.date()) == (
            True, OccurrenceStatus.scheduled, date(2027, 1, 20),
        )  # fmt: skip


def test_edit_following_splits_the_series_and_carries_bookings(app, db, create_series, clock):
    series_id = create_series(horizon_days=130)
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        moved_booking = _book(db, _occurrence(db, series_id, "2027-02-17"))
        early_booking = _book(db, _occurrence(db, series_id, "2026-12-16"), company="Glowlab")
        db.session.commit()
        pivot = _occurrence(db, series_id, "2027-01-20")
        new = services.apply_series_edit(
            series,
            values=series_values(
                start_date=date(2027, 1, 20),
                start_time=time(16, 0),
                duration_minutes=120,
                slot_count=4,
            ),
            scope="following",
            from_occurrence=pivot,
            keep_conflicts=False,
            actor_id=None,
            now=clock,
            horizon_days=130,
        )
        db.session.commit()
        assert series.rrule == "FREQ=MONTHLY;UNTIL=20270119T235959;BYDAY=+3WE"
        assert (new.parent_series_id, new.slug) == (
            series.id,
            "samsung-venture-partners-day-20270120",
        )
        assert _local_starts(db, series_id) == ["2026-12-16 14:00"]
        assert _local_starts(db, new.id) == [
            "2027-01-20 16:00",
            "2027-02-17 16:00",
            "2027-03-17 16:00",
        ]
        carried = db.session.get(Booking, moved_booking).occurrence
        assert (carried.series_id, carried.starts_at_local.strftime("%H:%M"), carried.end_at - carried.start_at) == (
            new.id, "16:00", timedelta(hours=2),
        )  # fmt: skip
        assert db.session.get(Booking, early_booking).occurrence.series_id == series.id


def test_edit_following_from_a_past_occurrence_is_refused(app, db, create_series):
    series_id = create_series(horizon_days=100)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        series = db.session.get(EventSeries, series_id)
        pivot = _occurrence(db, series_id, "2026-12-16")
        with pytest.raises(services.OccurrenceInPast):
            services.plan_series_edit(
                series,
                values=series_values(),
                scope="following",
                from_occurrence=pivot,
                now=datetime(2026, 12, 20, tzinfo=UTC),
                horizon_days=100,
            )


def test_edit_with_an_invalid_rule_changes_nothing(app, db, create_series, clock):
    series_id = create_series(horizon_days=100)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        series = db.session.get(EventSeries, series_id)
        with pytest.raises(RuleError):
            services.apply_series_edit(
                series,
                values=series_values(rrule="FREQ=MINUTELY"),
                scope="all",
                from_occurrence=None,
                keep_conflicts=True,
                actor_id=None,
                now=clock,
                horizon_days=100,
            )
        db.session.rollback()
        assert db.session.get(EventSeries, series_id).rrule == "FREQ=MONTHLY;BYDAY=+3WE"


EDITS = [
    ("all", {"start_time": time(9, 0)}),
    ("all", {"rrule": "FREQ=MONTHLY;BYDAY=+2TH", "start_date": date(2026, 12, 10)}),
    ("all", {"rrule": "FREQ=WEEKLY;BYDAY=WE", "start_date": date(2026, 12, 2)}),
    ("all", {"rrule": "FREQ=MONTHLY;BYDAY=+3WE;COUNT=1"}),
    ("all", {"rrule": None, "start_date": date(2027, 6, 1)}),
    ("following", {"rrule": "FREQ=MONTHLY;BYDAY=-1FR", "start_date": date(2027, 1, 29)}),
    (
        "following",
        {
            "start_time": time(18, 30),
            "duration_minutes": 60,
            "slot_count": 2,
            "start_date": date(2027, 1, 20),
        },
    ),
    (
        "following",
        {
            "rrule": "FREQ=MONTHLY;INTERVAL=2;BYDAY=+3WE",
            "start_date": date(2027, 1, 20),
            "timezone": "Europe/Berlin",
        },
    ),
]


@pytest.mark.parametrize(("scope", "changes"), EDITS)
def test_no_booking_disappears_through_any_edit(app, db, create_series, clock, scope, changes):
    """Every date has a booking; whatever the edit, every booking still has its occurrence and
    that occurrence is still scheduled."""
    series_id = create_series(horizon_days=130)
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        booking_ids = [
            _book(db, occ, company=f"Startup {i}") for i, occ in enumerate(list(series.occurrences))
        ]
        db.session.commit()
        pivot = _occurrence(db, series_id, "2027-01-20") if scope == "following" else None
        services.apply_series_edit(
            series,
            values=series_values(**changes),
            scope=scope,
            from_occurrence=pivot,
            keep_conflicts=True,
            actor_id=None,
            now=clock,
            horizon_days=130,
        )
        db.session.commit()
        db.session.expire_all()
        bookings = [db.session.get(Booking, b) for b in booking_ids]
        assert [b is not None for b in bookings] == [True] * len(booking_ids)
        assert {b.occurrence.status for b in bookings} == {OccurrenceStatus.scheduled}
        assert all(b.slot.occurrence_id == b.occurrence_id for b in bookings)


def test_series_starting_in_a_dst_gap_in_berlin_lasts_its_full_duration(app, db, create_series):
    # 2027-03-28 02:00 does not exist in Berlin; RFC 5545 reads it with the offset before the
    # gap (+01:00): 01:00 UTC, shown as 03:00 CEST, and the hour-long event ends at 02:00 UTC.
    series_id = create_series(
        rrule="FREQ=WEEKLY;BYDAY=SU",
        start_date=date(2027, 3, 21),
        start_time=time(2, 0),
        duration_minutes=60,
        session_offset_minutes=0,
        slot_count=3,
        timezone="Europe/Berlin",
        now=datetime(2027, 3, 1, tzinfo=UTC),
        horizon_days=30,
    )
    with app.app_context():
        rows = db.session.scalars(
            sa.select(Occurrence)
            .where(Occurrence.series_id == series_id)
            .order_by(Occurrence.start_at)
        ).all()
        assert [(o.start_at, o.end_at) for o in rows] == [
            (datetime(2027, 3, 21, 1, 0, tzinfo=UTC), datetime(2027, 3, 21, 2, 0, tzinfo=UTC)),
            (datetime(2027, 3, 28, 1, 0, tzinfo=UTC), datetime(2027, 3, 28, 2, 0, tzinfo=UTC)),
        ]
        assert rows[1].starts_at_local.strftime("%H:%M %Z") == "03:00 CEST"


def test_horizon_job_extends_every_series_up_to_the_configured_horizon(app, db, create_series):
    from eventhub.scheduling.jobs import horizon_job

    now = datetime.now(UTC)
    start = (now + timedelta(days=2)).date()
    series_id = create_series(
        rrule="FREQ=MONTHLY;BYMONTHDAY=" + str(min(start.day, 28)),
        start_date=start,
        now=now,
        horizon_days=40,
    )
    with app.app_context():
        before = _local_starts(db, series_id)
    added = horizon_job(app)
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        after = _local_starts(db, series_id)
        horizon = series.materialized_until_at
        assert horizon >= now + timedelta(days=app.config["RECURRENCE_HORIZON_DAYS"])
    # Every monthly date up to the horizon, counted with dateutil directly (Seoul: UTC+9).
    first_day = date.fromisoformat(before[0][:10])
    first = datetime.combine(first_day, time(14, 0))
    expected = [
        d.strftime("%Y-%m-%d %H:%M")
        for d in rrule(MONTHLY, bymonthday=first_day.day, dtstart=first).between(
            first, (horizon + timedelta(hours=9)).replace(tzinfo=None), inc=True
        )
    ]
    assert after == expected
    assert added == len(expected) - len(before)


def test_extend_horizon_command_reports_what_it_added(app, db, runner, create_series):
    now = datetime.now(UTC)
    start = (now + timedelta(days=2)).date()
    create_series(
        rrule="FREQ=MONTHLY;BYMONTHDAY=" + str(min(start.day, 28)),
        start_date=start,
        now=now,
        horizon_days=40,
    )
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Occurrence))
    result = runner.invoke(args=["extend-horizon"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        after = db.session.scalar(sa.select(sa.func.count()).select_from(Occurrence))
    assert after > before
    assert result.output == f"Added {after - before} occurrence(s).\n"
    again = runner.invoke(args=["extend-horizon"])
    assert again.output == "Added 0 occurrence(s).\n"


def test_edit_all_changing_the_venue_is_a_new_version_of_every_future_occurrence(
    app, db, create_series, clock
):
    series_id = create_series(horizon_days=100)
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        services.apply_series_edit(
            series,
            values=series_values(venue_name="대구 엑스코"),
            scope="all",
            from_occurrence=None,
            keep_conflicts=False,
            actor_id=None,
            now=clock,
            horizon_days=100,
        )
        db.session.commit()
        rows = db.session.scalars(sa.select(Occurrence).order_by(Occurrence.start_at)).all()
        assert [(o.sequence, [c.kind for c in o.changes]) for o in rows] == [
            (1, [ChangeKind.details_changed])
        ] * 3
        assert series.venue_name == "대구 엑스코"


def test_extending_in_steps_never_puts_two_dates_on_one_day(app, db, create_series):
    # Every other day from 2027-08-29 09:30 over Chuseok 2027 (14th-16th): the 14th moves to
    # Friday the 17th, so the 16th, whose next business day is also the 17th, is skipped, even
    # when the 14th was stored by an earlier extension than the 16th. (Found by hypothesis.)
    now = datetime(2027, 8, 27, tzinfo=UTC)
    series_id = create_series(
        rrule="FREQ=DAILY;INTERVAL=2", start_date=date(2027, 8, 29), start_time=time(9, 30),
        duration_minutes=60, session_offset_minutes=0, slot_count=2,
        holiday_policy="next_business_day", now=now, horizon_days=20,
    )  # fmt: skip
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        services.materialize_occurrences(series, until=now + timedelta(days=21))
        db.session.commit()
        days = [s[:10] for s in _local_starts(db, series_id)]
        skipped = db.session.scalars(sa.select(SkippedOccurrence.original_start_at)).all()
    assert days[-2:] == ["2027-09-12", "2027-09-17"]
    assert skipped == [datetime(2027, 9, 16, 0, 30, tzinfo=UTC)]


# --- Splits that hold -------------------------------------------------------------------------


def resave_through_the_form(app, db, series: EventSeries, *, now: datetime) -> EventSeries:
    """What pressing Save on the edit page without changing anything does."""
    from eventhub.scheduling.forms import SeriesEditForm, form_data_from_values, values_from_form

    with app.test_request_context(method="GET"):
        form = SeriesEditForm(data=form_data_from_values(services.values_of(series)))
        values = values_from_form(form)
    return services.apply_series_edit(
        series, values=values, scope="all", from_occurrence=None, keep_conflicts=False,
        actor_id=None, now=now, horizon_days=130,
    )  # fmt: skip


def _split(db, series, day: str, *, now, **changes) -> EventSeries:
    return services.apply_series_edit(
        series, values=series_values(**changes), scope="following",
        from_occurrence=_occurrence(db, series.id, day), keep_conflicts=True, actor_id=None,
        now=now, horizon_days=130,
    )  # fmt: skip


def test_split_series_saved_again_unchanged_keeps_its_end(app, db, create_series, clock):
    series_id = create_series(horizon_days=130)
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        new = _split(db, series, "2027-01-20", now=clock, start_time=time(16, 0))
        db.session.commit()
        resave_through_the_form(app, db, series, now=clock)
        db.session.commit()
        assert series.rrule == "FREQ=MONTHLY;UNTIL=20270119T235959;BYDAY=+3WE"
        assert _local_starts(db, series_id) == ["2026-12-16 14:00"]
        assert _local_starts(db, new.id) == [
            "2027-01-20 16:00", "2027-02-17 16:00", "2027-03-17 16:00",
        ]  # fmt: skip


def test_split_that_kept_a_booked_one_off_can_be_saved_again(app, db, create_series, clock):
    series_id = create_series(horizon_days=130)
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        booking_id = _book(db, _occurrence(db, series_id, "2027-01-20"))
        db.session.commit()
        # The continuation meets on the last Friday: the booked 20 January is kept as a one-off.
        new = _split(
            db, series, "2027-01-20", now=clock,
            rrule="FREQ=MONTHLY;BYDAY=-1FR", start_date=date(2027, 1, 29),
        )  # fmt: skip
        db.session.commit()
        resave_through_the_form(app, db, series, now=clock)
        db.session.commit()
        resave_through_the_form(app, db, new, now=clock)
        db.session.commit()
        assert _local_starts(db, series_id) == ["2026-12-16 14:00", "2027-01-20 14:00"]
        assert _local_starts(db, new.id) == [
            "2027-01-29 14:00", "2027-02-26 14:00", "2027-03-26 14:00",
        ]  # fmt: skip
        kept = db.session.get(Booking, booking_id).occurrence
        assert (kept.series_id, kept.is_detached, kept.status) == (
            series_id, True, OccurrenceStatus.scheduled,
        )  # fmt: skip


def test_kept_one_off_rejoins_the_rule_when_an_edit_gives_its_date_again(
    app, db, create_series, clock
):
    series_id = create_series(horizon_days=130)
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        booking_id = _book(db, _occurrence(db, series_id, "2027-01-20"))
        db.session.commit()
        for changes in ({"rrule": "FREQ=MONTHLY;BYDAY=+2TH", "start_date": date(2026, 12, 10)},
                        {}):  # fmt: skip
            services.apply_series_edit(
                series, values=series_values(**changes), scope="all", from_occurrence=None,
                keep_conflicts=True, actor_id=None, now=clock, horizon_days=130,
            )  # fmt: skip
            db.session.commit()
        assert _local_starts(db, series_id) == [
            "2026-12-16 14:00", "2027-01-20 14:00", "2027-02-17 14:00", "2027-03-17 14:00",
        ]  # fmt: skip
        kept = db.session.get(Booking, booking_id).occurrence
        assert (kept.is_detached, kept.status) == (False, OccurrenceStatus.scheduled)


def test_split_continuation_starts_at_the_cut_with_the_dates_that_remain(
    app, db, create_series, clock
):
    series_id = create_series(rrule="FREQ=MONTHLY;BYDAY=+3WE;COUNT=6", horizon_days=400)
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        new = _split(
            db, series, "2027-03-17", now=clock,
            rrule="FREQ=MONTHLY;BYDAY=+3WE;COUNT=6", start_time=time(16, 0),
        )  # fmt: skip
        db.session.commit()
        assert (new.start_date, new.slug, new.rrule) == (
            date(2027, 3, 17),
            "samsung-venture-partners-day-20270317",
            "FREQ=MONTHLY;COUNT=3;BYDAY=+3WE",
        )
        assert _local_starts(db, series_id) == [
            "2026-12-16 14:00", "2027-01-20 14:00", "2027-02-17 14:00",
        ]  # fmt: skip
        assert _local_starts(db, new.id) == [
            "2027-03-17 16:00", "2027-04-21 16:00", "2027-05-19 16:00",
        ]  # fmt: skip


def test_split_series_cannot_be_extended_into_its_continuation(app, db, create_series, clock):
    series_id = create_series(horizon_days=130)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        series = db.session.get(EventSeries, series_id)
        _split(db, series, "2027-01-20", now=clock, start_time=time(16, 0))
        db.session.commit()
        with pytest.raises(RuleError) as caught:
            services.apply_series_edit(
                series, values=series_values(rrule="FREQ=MONTHLY;BYDAY=+3WE"), scope="all",
                from_occurrence=None, keep_conflicts=True, actor_id=None, now=clock,
                horizon_days=130,
            )  # fmt: skip
        assert str(caught.value.message) == (
            "This series continues as another series from 2027-01-20. End it on or before "
            "2027-01-19, or edit the continuing series instead."
        )


def test_later_time_of_day_keeps_the_last_date_before_the_horizon(app, db, create_series, clock):
    # Stored up to 2027-03-17 15:00 KST: the 14:00 date of that day is the last one.
    now = clock + timedelta(hours=5)
    series_id = create_series(now=now, horizon_days=107)
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        services.apply_series_edit(
            series, values=series_values(start_time=time(16, 0)), scope="all",
            from_occurrence=None, keep_conflicts=False, actor_id=None, now=now, horizon_days=107,
        )  # fmt: skip
        db.session.commit()
        assert _local_starts(db, series_id) == [
            "2026-12-16 16:00", "2027-01-20 16:00", "2027-02-17 16:00", "2027-03-17 16:00",
        ]  # fmt: skip
        services.materialize_occurrences(series, until=now + timedelta(days=108))
        db.session.commit()
        assert len(_local_starts(db, series_id)) == 4


# --- Holiday shifts never land on a day the series already holds -----------------------------


def _days_of_all_parts(db) -> list[str]:
    """Every scheduled date of every part of the series, as organizers and startups see them."""
    rows = db.session.scalars(
        sa.select(Occurrence)
        .where(Occurrence.status == OccurrenceStatus.scheduled)
        .order_by(Occurrence.start_at)
    )
    return [o.starts_at_local.strftime("%Y-%m-%d %H:%M") for o in rows]


def test_split_first_part_saved_again_keeps_its_holiday_skipped_before_the_continuation(
    app, db, create_series
):
    # Mondays and Tuesdays at 14:00. Monday 2 March 2026 is a public holiday (for 1 March);
    # its next business day, Tuesday the 3rd, is already a date of the rule, so it is skipped.
    # Split from the 3rd (16:00 from then on), then save the first part again unchanged: the
    # 2nd must stay skipped, not move onto the 3rd, which its continuation holds. (Before, the
    # first part, which now ends on the 2nd, moved it there: the 3rd was listed twice.)
    now = datetime(2026, 2, 20, 1, 0, tzinfo=UTC)
    series_id = create_series(
        rrule="FREQ=WEEKLY;BYDAY=MO,TU", start_date=date(2026, 2, 23), start_time=time(14, 0),
        duration_minutes=60, session_offset_minutes=0, slot_count=2,
        holiday_policy="next_business_day", now=now, horizon_days=30,
    )  # fmt: skip
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        booking_id = _book(db, _occurrence(db, series_id, "2026-03-03"))
        db.session.commit()
        new = services.apply_series_edit(
            series, values=replace(services.values_of(series), start_time=time(16, 0)),
            scope="following", from_occurrence=_occurrence(db, series_id, "2026-03-03"),
            keep_conflicts=False, actor_id=None, now=now, horizon_days=30,
        )  # fmt: skip
        db.session.commit()
        resave_through_the_form(app, db, series, now=now)
        db.session.commit()

        assert _days_of_all_parts(db) == [
            "2026-02-23 14:00", "2026-02-24 14:00",
            "2026-03-03 16:00", "2026-03-09 16:00", "2026-03-10 16:00",
            "2026-03-16 16:00", "2026-03-17 16:00",
        ]  # fmt: skip
        skipped = db.session.scalars(
            sa.select(SkippedOccurrence).where(SkippedOccurrence.series_id == series_id)
        ).all()
        assert [(s.original_start_at, s.holiday_name) for s in skipped] == [
            (datetime(2026, 3, 2, 5, 0, tzinfo=UTC), "삼일절 대체 휴일")
        ]
        booking = db.session.get(Booking, booking_id)
        assert (
            booking.status, booking.occurrence.series_id,
            booking.occurrence.starts_at_local.strftime("%Y-%m-%d %H:%M"),
        ) == (BookingStatus.confirmed, new.id, "2026-03-03 16:00")  # fmt: skip


def test_edit_near_the_horizon_does_not_move_a_holiday_onto_the_next_rule_date(
    app, db, create_series
):
    # Mondays and Tuesdays at 14:00, stored up to Monday 2 March 2026, 10:00 (a holiday). An
    # edit stores that day too; the rule's next date, Tuesday the 3rd, lies past the horizon,
    # and the 2nd must still be skipped rather than moved onto it: extending the horizon later
    # adds the 3rd. (Before, the edit looked no further than the horizon: the 3rd twice.)
    now = datetime(2026, 2, 20, 1, 0, tzinfo=UTC)
    series_id = create_series(
        rrule="FREQ=WEEKLY;BYDAY=MO,TU", start_date=date(2026, 2, 23), start_time=time(14, 0),
        duration_minutes=60, session_offset_minutes=0, slot_count=2,
        holiday_policy="next_business_day", now=now, horizon_days=10,
    )  # fmt: skip
    with app.app_context():
        series = db.session.get(EventSeries, series_id)
        services.apply_series_edit(
            series, values=services.values_of(series), scope="all", from_occurrence=None,
            keep_conflicts=False, actor_id=None, now=now, horizon_days=10,
        )  # fmt: skip
        db.session.commit()
        services.materialize_occurrences(series, until=now + timedelta(days=20))
        db.session.commit()
        assert _days_of_all_parts(db) == [
                "2026-02-23 14:00", "2026-02-24 14:00", "2026-03-03 14:00", "2026-03-09 14:00",
            "2026-03-10 14:00",
        ]  # fmt: skip
