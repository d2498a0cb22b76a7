"""The database is the last guard: UTC instants, constraints, SQLite settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from eventhub.accounts.models import Role, StartupProfile, User
from eventhub.bookings.models import Booking, BookingStatus, PitchSlot
from eventhub.centers.models import Center
from eventhub.series.models import EventSeries, Occurrence

KST = timezone(timedelta(hours=9))


def _series(center_id: int) -> EventSeries:
    return EventSeries(
        center_id=center_id,
        slug="svpd",
        title_ko="삼성벤처 파트너스 데이",
        title_en="Samsung Venture Partners Day",
        start_date=datetime(2026, 12, 16).date(),  # noqa: DTZ001
        start_time=datetime(2026, 12, 16, 14).time(),  # noqa: DTZ001
        duration_minutes=180,
    )


def test_utc_column_returns_aware_utc_for_an_aware_local_value(app, db, create_center):
    center_id = create_center()
    with app.app_context():
        series = _series(center_id)
        db.session.add(series)
        db.session.flush()
        kst_start = datetime(2026, 12, 16, 14, 0, tzinfo=KST)
        occ = Occurrence(
            series_id=series.id,
            original_start_at=kst_start,
            start_at=kst_start,
            end_at=kst_start + timedelta(hours=3),
        )
        db.session.add(occ)
        db.session.commit()
        occ_id = occ.id
        db.session.expunge_all()
        loaded = db.session.get(Occurrence, occ_id)
        assert loaded.start_at == datetime(2026, 12, 16, 5, 0, tzinfo=UTC)
        assert loaded.start_at.tzinfo == UTC
        assert loaded.starts_at_local.isoformat() == "2026-12-16T14:00:00+09:00"


def test_utc_column_orders_and_compares_instants_in_sql(app, db, create_center):
    center_id = create_center()
    with app.app_context():
        series = _series(center_id)
        db.session.add(series)
        db.session.flush()
        # 09:00 in Seoul is 00:00 UTC: one minute before `late`, though its wall clock says 9.
        early = datetime(2026, 12, 16, 9, 0, tzinfo=KST)
        late = datetime(2026, 12, 16, 0, 1, tzinfo=UTC)
        for start in (late, early):
            db.session.add(
                Occurrence(
                    series_id=series.id,
                    original_start_at=start,
                    start_at=start,
                    end_at=start + timedelta(hours=1),
                )
            )
        db.session.commit()
        ordered = db.session.scalars(
            sa.select(Occurrence.start_at).order_by(Occurrence.start_at)
        ).all()
        assert ordered == [
            datetime(2026, 12, 16, 0, 0, tzinfo=UTC),
            datetime(2026, 12, 16, 0, 1, tzinfo=UTC),
        ]
        later = db.session.scalars(
            sa.select(Occurrence.start_at).where(
                Occurrence.start_at > datetime(2026, 12, 16, 9, 0, 30, tzinfo=KST)
            )
        ).all()
        assert later == [datetime(2026, 12, 16, 0, 1, tzinfo=UTC)]


def test_utc_column_refuses_a_naive_datetime(app, db, create_center):
    center_id = create_center()
    with app.app_context():
        center = db.session.get(Center, center_id)
        center.created_at = datetime(2026, 1, 1, 12, 0)  # noqa: DTZ001 - the point of the test
        with pytest.raises(StatementError, match="naive datetime"):
            db.session.commit()
        db.session.rollback()


def test_user_email_is_unique_regardless_of_case_in_the_database(app, db, create_user):
    create_user("Founder@Example.com")
    with app.app_context():
        assert db.session.scalars(sa.select(User.email)).all() == ["founder@example.com"]
        # Going around the service: the database itself refuses a second spelling.
        db.session.add(
            User(
                email="FOUNDER@example.com",
                password_hash="x",
                display_name="x",
                role=Role.startup,
            )
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def _slot_with_two_startups(db, center_id):
    series = _series(center_id)
    db.session.add(series)
    db.session.flush()
    start = datetime(2026, 12, 16, 5, 0, tzinfo=UTC)
    occ = Occurrence(
        series_id=series.id,
        original_start_at=start,
        start_at=start,
        end_at=start + timedelta(hours=3),
    )
    slot = PitchSlot(
        occurrence=occ, position=1, start_at=start, end_at=start + timedelta(minutes=15)
    )
    a = StartupProfile(company_name="Carbonix")
    b = StartupProfile(company_name="Glowlab")
    db.session.add_all([occ, slot, a, b])
    db.session.flush()
    return occ, slot, a, b


def test_booking_slot_holds_at_most_one_active_booking(app, db, create_center):
    center_id = create_center()
    with app.app_context():
        occ, slot, a, b = _slot_with_two_startups(db, center_id)
        db.session.add(
            Booking(occurrence=occ, slot=slot, startup=a, status=BookingStatus.confirmed)
        )
        db.session.commit()
        db.session.add(
            Booking(occurrence=occ, slot=slot, startup=b, status=BookingStatus.confirmed)
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1


def test_booking_slot_can_be_rebooked_after_a_cancellation(app, db, create_center):
    center_id = create_center()
    with app.app_context():
        occ, slot, a, b = _slot_with_two_startups(db, center_id)
        first = Booking(occurrence=occ, slot=slot, startup=a, status=BookingStatus.confirmed)
        db.session.add(first)
        db.session.commit()
        first.status = BookingStatus.cancelled
        db.session.add(
            Booking(occurrence=occ, slot=slot, startup=b, status=BookingStatus.confirmed)
        )
        db.session.commit()
        statuses = db.session.scalars(sa.select(Booking.status).order_by(Booking.id)).all()
        assert statuses == [BookingStatus.cancelled, BookingStatus.confirmed]


def test_booking_startup_has_at_most_one_active_booking_per_occurrence(app, db, create_center):
    center_id = create_center()
    with app.app_context():
        occ, _slot, a, _ = _slot_with_two_startups(db, center_id)
        db.session.add(Booking(occurrence=occ, startup=a, status=BookingStatus.applied))
        db.session.commit()
        db.session.add(Booking(occurrence=occ, startup=a, status=BookingStatus.waitlisted))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_booking_confirmed_without_slot_is_refused(app, db, create_center):
    center_id = create_center()
    with app.app_context():
        occ, _, a, _ = _slot_with_two_startups(db, center_id)
        db.session.add(Booking(occurrence=occ, startup=a, status=BookingStatus.confirmed))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_occurrence_must_end_after_it_starts(app, db, create_center):
    center_id = create_center()
    with app.app_context():
        series = _series(center_id)
        db.session.add(series)
        db.session.flush()
        start = datetime(2026, 12, 16, 5, 0, tzinfo=UTC)
        db.session.add(
            Occurrence(series_id=series.id, original_start_at=start, start_at=start, end_at=start)
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_foreign_keys_are_enforced(app, db):
    with app.app_context():
        db.session.add(StartupProfile(company_name="Ghost", user_id=424242))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_sqlite_connection_uses_wal_busy_timeout_and_foreign_keys(app, db, backend):
    if backend != "sqlite":
        pytest.skip("SQLite connection settings")
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_sqlite_stored_text_reads_as_the_same_utc_instant():
    """The SQLite reader parses and sets the zone in one step; these are the values it gives."""
    from sqlalchemy.dialects import sqlite

    from eventhub.core.db import UTCDateTime

    dialect = sqlite.dialect()
    read = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    assert read("2026-12-16 05:00:00.000000") == datetime(2026, 12, 16, 5, tzinfo=UTC)
    assert read("2026-12-16 05:00:00.000000").tzinfo is UTC
    assert read("2026-03-29 01:30:15.123456") == datetime(2026, 3, 29, 1, 30, 15, 123456, UTC)
    assert read("2026-12-16 05:00:00") == datetime(2026, 12, 16, 5, tzinfo=UTC)
    # Text written with an offset (not by this app) still reads as the instant it names.
    assert read("2026-12-16 14:00:00+09:00") == datetime(2026, 12, 16, 5, tzinfo=UTC)
    assert read("2026-12-16 14:00:00+09:00").tzinfo is UTC
    assert read(None) is None
