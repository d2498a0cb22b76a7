"""A meeting session on an occurrence, the requests between investors and startups, and the
meetings the schedule places at a (time, table)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.audit import Tracked
from eventhub.core.clock import utcnow
from eventhub.core.db import UTCDateTime, enum_column
from eventhub.extensions import db
from eventhub.meetings.solver import pair_value
from eventhub.series.models import center_of_occurrence

if TYPE_CHECKING:
    from eventhub.accounts.models import InvestorProfile, StartupProfile
    from eventhub.series.models import Occurrence


class Side(StrEnum):
    investor = "investor"
    startup = "startup"

    @property
    def other(self) -> Side:
        return Side.startup if self is Side.investor else Side.investor


class MeetingOutcome(StrEnum):
    not_interested = "not_interested"
    follow_up = "follow_up"
    term_sheet = "term_sheet"


OUTCOME_LABELS = {
    MeetingOutcome.not_interested: _l("Not interested"),
    MeetingOutcome.follow_up: _l("Follow up"),
    MeetingOutcome.term_sheet: _l("Term sheet"),
}


def _center_of_session(session_id: int | None) -> int | None:
    if session_id is None:
        return None
    occurrence_id = db.session.scalar(
        sa.select(MeetingSession.occurrence_id).where(MeetingSession.id == session_id)
    )
    return center_of_occurrence(occurrence_id)


class MeetingSession(db.Model):
    """The one-to-one meetings of one date: when, how long, how many tables, until when
    requests are taken, and what the last solve found."""

    __tablename__ = "meeting_session"
    __audit__ = Tracked(center=lambda s: center_of_occurrence(s.occurrence_id))
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint(
            "meeting_minutes >= 5 AND meeting_minutes <= 240", name="meeting_minutes_range"
        ),
        sa.CheckConstraint("break_minutes >= 0 AND break_minutes <= 120", name="break_range"),
        sa.CheckConstraint("table_count >= 1 AND table_count <= 200", name="table_count_range"),
        sa.CheckConstraint("max_meetings >= 1 AND max_meetings <= 50", name="max_meetings_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("occurrence.id", ondelete="CASCADE"), unique=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    meeting_minutes: Mapped[int]
    break_minutes: Mapped[int]
    table_count: Mapped[int]
    # Online sessions: one video link per table (table n meets at table_links[n - 1]).
    table_links: Mapped[list[str] | None] = mapped_column(sa.JSON)
    requests_close_at: Mapped[datetime] = mapped_column(UTCDateTime)
    max_meetings: Mapped[int]
    # The last solve: CP-SAT's status, the value found, its proven bound, seconds taken.
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    solve_status: Mapped[str | None] = mapped_column(sa.String(20))
    solve_objective: Mapped[int | None]
    solve_bound: Mapped[int | None]
    solve_seconds: Mapped[float | None]
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    occurrence: Mapped[Occurrence] = relationship()

    @property
    def step(self) -> timedelta:
        return timedelta(minutes=self.meeting_minutes + self.break_minutes)

    @property
    def slot_count(self) -> int:
        """How many meeting times fit between start and end (the last one may skip its break)."""
        length = timedelta(minutes=self.meeting_minutes)
        count = 0
        while self.starts_at + count * self.step + length <= self.ends_at:
            count += 1
        return count

    def slot_start(self, index: int) -> datetime:
        return self.starts_at + index * self.step

    def slot_end(self, index: int) -> datetime:
        return self.slot_start(index) + timedelta(minutes=self.meeting_minutes)

    @property
    def slot_indexes(self) -> range:
        return range(self.slot_count)

    @property
    def is_online(self) -> bool:
        return bool(self.table_links)

    def table_link(self, table: int) -> str | None:
        links = self.table_links or []
        return links[table - 1] if 0 < table <= len(links) else None

    def requests_are_open(self, now: datetime) -> bool:
        """From the line-up's publication until the request deadline, on a live date."""
        occurrence = self.occurrence
        return (
            occurrence.lineup_published_at is not None
            and not occurrence.is_cancelled
            and now < self.requests_close_at
        )

    @property
    def gap(self) -> float | None:
        if self.solve_bound is None or self.solve_objective is None:
            return None
        if self.solve_bound <= 0:
            return 0.0
        return max(0.0, (self.solve_bound - self.solve_objective) / self.solve_bound)


class MeetingRequest(db.Model):
    """One investor and one startup of a session, with each side's wish (its rank: 1 first)
    and a decline. Both ranks set: the request is mutual. Seen only by the two of them and the
    organizers. Its meeting's calendar event is `meeting-<id>@<host>`, with this SEQUENCE."""

    __tablename__ = "meeting_request"
    __audit__ = Tracked(center=lambda r: _center_of_session(r.session_id))
    __table_args__ = (
        sa.UniqueConstraint("session_id", "investor_id", "startup_id"),
        sa.CheckConstraint(
            "investor_rank IS NOT NULL OR startup_rank IS NOT NULL", name="someone_asked"
        ),
        sa.CheckConstraint("investor_rank IS NULL OR investor_rank >= 1", name="investor_rank"),
        sa.CheckConstraint("startup_rank IS NULL OR startup_rank >= 1", name="startup_rank"),
        sa.CheckConstraint(
            "(declined_by IS NULL) = (declined_at IS NULL)", name="declined_with_time"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting_session.id", ondelete="CASCADE"), index=True
    )
    investor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investor_profile.id", ondelete="CASCADE"), index=True
    )
    startup_id: Mapped[int] = mapped_column(
        sa.ForeignKey("startup_profile.id", ondelete="CASCADE"), index=True
    )
    investor_rank: Mapped[int | None]
    startup_rank: Mapped[int | None]
    investor_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    startup_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_by: Mapped[Side | None] = mapped_column(enum_column(Side, "meeting_side"))
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    calendar_sequence: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[MeetingSession] = relationship()
    investor: Mapped[InvestorProfile] = relationship()
    startup: Mapped[StartupProfile] = relationship()

    def rank_of(self, side: Side) -> int | None:
        return self.investor_rank if side is Side.investor else self.startup_rank

    def asked_by(self, side: Side) -> bool:
        return self.rank_of(side) is not None

    @property
    def is_mutual(self) -> bool:
        return self.investor_rank is not None and self.startup_rank is not None

    @property
    def is_declined(self) -> bool:
        return self.declined_by is not None

    @property
    def value(self) -> int:
        return pair_value(self.investor_rank, self.startup_rank)


class Meeting(db.Model):
    """A request placed at a time (`slot_index`) and a table. The unique keys make it
    impossible, whatever the code above does, for a table or a person to be in two meetings
    at once."""

    __tablename__ = "meeting"
    __audit__ = Tracked(center=lambda m: _center_of_session(m.session_id))
    __table_args__ = (
        sa.UniqueConstraint("session_id", "slot_index", "table_number", name="uq_meeting_table"),
        sa.UniqueConstraint("session_id", "slot_index", "investor_id", name="uq_meeting_investor"),
        sa.UniqueConstraint("session_id", "slot_index", "startup_id", name="uq_meeting_startup"),
        sa.CheckConstraint("slot_index >= 0", name="slot_index_not_negative"),
        sa.CheckConstraint("table_number >= 1", name="table_number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting_session.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting_request.id", ondelete="CASCADE"), unique=True
    )
    investor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investor_profile.id", ondelete="CASCADE"), index=True
    )
    startup_id: Mapped[int] = mapped_column(
        sa.ForeignKey("startup_profile.id", ondelete="CASCADE"), index=True
    )
    slot_index: Mapped[int]
    table_number: Mapped[int]
    is_pinned: Mapped[bool] = mapped_column(default=False)
    investor_outcome: Mapped[MeetingOutcome | None] = mapped_column(
        enum_column(MeetingOutcome, "investor_outcome")
    )
    startup_outcome: Mapped[MeetingOutcome | None] = mapped_column(
        enum_column(MeetingOutcome, "startup_outcome")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    session: Mapped[MeetingSession] = relationship()
    request: Mapped[MeetingRequest] = relationship()
    investor: Mapped[InvestorProfile] = relationship()
    startup: Mapped[StartupProfile] = relationship()

    @property
    def starts_at(self) -> datetime:
        return self.session.slot_start(self.slot_index)

    @property
    def ends_at(self) -> datetime:
        return self.session.slot_end(self.slot_index)

    def outcome_of(self, side: Side) -> MeetingOutcome | None:
        return self.investor_outcome if side is Side.investor else self.startup_outcome


class Unavailability(db.Model):
    """A meeting time at which one person cannot meet (they said so on their agenda page)."""

    __tablename__ = "meeting_unavailability"
    __table_args__ = (
        sa.CheckConstraint(
            "(investor_id IS NULL) <> (startup_id IS NULL)", name="exactly_one_person"
        ),
        sa.CheckConstraint("slot_index >= 0", name="slot_index_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting_session.id", ondelete="CASCADE"), index=True
    )
    investor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("investor_profile.id", ondelete="CASCADE")
    )
    startup_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("startup_profile.id", ondelete="CASCADE")
    )
    slot_index: Mapped[int]


class PersonalLimit(db.Model):
    """The most meetings one person wants in a session, when lower than the session's limit
    (they said so on their agenda page). The solver takes the lower of the two."""

    __tablename__ = "meeting_personal_limit"
    __table_args__ = (
        sa.CheckConstraint(
            "(investor_id IS NULL) <> (startup_id IS NULL)", name="exactly_one_person"
        ),
        sa.CheckConstraint("max_meetings >= 1", name="max_meetings_positive"),
        sa.UniqueConstraint("session_id", "investor_id"),
        sa.UniqueConstraint("session_id", "startup_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting_session.id", ondelete="CASCADE"), index=True
    )
    investor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("investor_profile.id", ondelete="CASCADE")
    )
    startup_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("startup_profile.id", ondelete="CASCADE")
    )
    max_meetings: Mapped[int]
