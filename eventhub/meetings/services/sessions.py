"""The meeting session of a date, and who takes part in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from eventhub.accounts.models import InvestorProfile, StartupProfile
from eventhub.bookings.models import Booking, BookingStatus
from eventhub.core import audit
from eventhub.core.errors import InvalidInput
from eventhub.extensions import db
from eventhub.invitations.models import Invitation, RsvpStatus
from eventhub.meetings.models import Meeting, MeetingSession
from eventhub.meetings.services.errors import SessionNotFound, SessionShapeLocked
from eventhub.series.models import Occurrence

# Startups registered for a date: holding a slot (the line-up) or applied and not refused.
REGISTERED: tuple[BookingStatus, ...] = (
    BookingStatus.confirmed,
    BookingStatus.attended,
    BookingStatus.applied,
    BookingStatus.approved,
)


@dataclass(frozen=True)
class SessionValues:
    starts_at: datetime
    ends_at: datetime
    meeting_minutes: int
    break_minutes: int
    table_count: int
    table_links: list[str]
    requests_close_at: datetime
    max_meetings: int


def session_of(occurrence_id: int) -> MeetingSession | None:
    return db.session.scalar(
        sa.select(MeetingSession).where(MeetingSession.occurrence_id == occurrence_id)
    )


def require_session(occurrence_id: int) -> MeetingSession:
    session = session_of(occurrence_id)
    if session is None:
        raise SessionNotFound()
    return session


def _check(values: SessionValues, occurrence: Occurrence) -> None:
    if values.ends_at <= values.starts_at:
        raise InvalidInput(_("The meetings must end after they start."))
    if values.ends_at - values.starts_at < timedelta(minutes=values.meeting_minutes):
        raise InvalidInput(_("Not even one meeting fits between the start and the end."))
    if values.ends_at - values.starts_at > timedelta(hours=12):
        raise InvalidInput(_("A meeting session lasts at most 12 hours."))
    if values.requests_close_at > values.starts_at:
        raise InvalidInput(_("Requests must close before the meetings start."))
    if values.table_links and len(values.table_links) != values.table_count:
        raise InvalidInput(
            _(
                "Give one link per table (%(links)s links for %(tables)s tables), or none.",
                links=len(values.table_links),
                tables=values.table_count,
            )
        )
    if values.starts_at < occurrence.start_at:
        raise InvalidInput(_("The meetings cannot start before the investor day."))


def save_session(
    occurrence: Occurrence, *, values: SessionValues, actor_id: int | None, now: datetime
) -> MeetingSession:
    """Add the date's meeting session, or change it. Once meetings are scheduled its times,
    meeting length and tables stay as they are (a schedule would no longer fit)."""
    _check(values, occurrence)
    session = session_of(occurrence.id)
    created = session is None
    if session is None:
        session = MeetingSession(occurrence=occurrence, created_at=now)
        db.session.add(session)
    else:
        has_meetings = db.session.scalar(
            sa.select(sa.func.count(Meeting.id)).where(Meeting.session_id == session.id)
        )
        shape = (session.starts_at, session.ends_at, session.meeting_minutes,
                 session.break_minutes, session.table_count)  # fmt: skip
        new_shape = (values.starts_at, values.ends_at, values.meeting_minutes,
                     values.break_minutes, values.table_count)  # fmt: skip
        if has_meetings and shape != new_shape:
            raise SessionShapeLocked()
    session.starts_at = values.starts_at
    session.ends_at = values.ends_at
    session.meeting_minutes = values.meeting_minutes
    session.break_minutes = values.break_minutes
    session.table_count = values.table_count
    session.table_links = list(values.table_links) or None
    session.requests_close_at = values.requests_close_at
    session.max_meetings = values.max_meetings
    db.session.flush()
    audit.record(
        "meetings.session_created" if created else "meetings.session_changed",
        obj=session, actor_id=actor_id, now=now, center_id=occurrence.series.center_id,
    )  # fmt: skip
    return session


def accepted_investors(occurrence_id: int) -> list[InvestorProfile]:
    """Investors who accepted the invitation to the date, by firm."""
    return list(
        db.session.scalars(
            sa.select(InvestorProfile)
            .join(Invitation, Invitation.investor_id == InvestorProfile.id)
            .where(
                Invitation.occurrence_id == occurrence_id,
                Invitation.status == RsvpStatus.accepted,
            )
            .order_by(InvestorProfile.firm, InvestorProfile.person_name)
        )
    )


def registered_bookings(occurrence_id: int) -> list[Booking]:
    """The startups of the date (line-up first, then applications), with their intake."""
    bookings = db.session.scalars(
        sa.select(Booking)
        .where(Booking.occurrence_id == occurrence_id, Booking.status.in_(REGISTERED))
        # Sorted by slot, named by startup: both loaded with the bookings, not one by one.
        .options(joinedload(Booking.slot), joinedload(Booking.startup))
    )
    return sorted(
        bookings,
        key=lambda b: (b.slot is None, b.slot.start_at if b.slot else b.created_at, b.id),
    )


def is_investor_of(occurrence_id: int, investor: InvestorProfile) -> bool:
    return any(i.id == investor.id for i in accepted_investors(occurrence_id))


def is_startup_of(occurrence_id: int, startup: StartupProfile) -> bool:
    return any(b.startup_id == startup.id for b in registered_bookings(occurrence_id))


def sessions_of_person(
    *, investor: InvestorProfile | None = None, startup: StartupProfile | None = None
) -> list[MeetingSession]:
    """The meeting sessions of the dates this person takes part in, soonest first."""
    query = sa.select(MeetingSession).join(
        Occurrence, Occurrence.id == MeetingSession.occurrence_id
    )
    if investor is not None:
        query = query.join(
            Invitation,
            (Invitation.occurrence_id == Occurrence.id)
            & (Invitation.investor_id == investor.id)
            & (Invitation.status == RsvpStatus.accepted),
        )
    elif startup is not None:
        query = query.join(
            Booking,
            (Booking.occurrence_id == Occurrence.id)
            & (Booking.startup_id == startup.id)
            & Booking.status.in_(REGISTERED),
        )
    else:
        return []
    return list(db.session.scalars(query.order_by(MeetingSession.starts_at)).unique())
