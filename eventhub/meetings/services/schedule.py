"""The schedule: the solver's problem from the rows, a solve applied as meetings, the
organizers' hand (pin, move, place, clear), publication and the table plan.

Before publication nothing is mailed. From publication on, every meeting that appears,
moves or disappears sends its two people the calendar invitation (REQUEST with a higher
SEQUENCE) or the cancellation (CANCEL), in the transaction of the change.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from eventhub.core import audit
from eventhub.core.errors import InvalidInput
from eventhub.core.transactions import lock_row
from eventhub.extensions import db
from eventhub.meetings import solver
from eventhub.meetings.models import (
    Meeting,
    MeetingRequest,
    MeetingSession,
    PersonalLimit,
    Unavailability,
)
from eventhub.meetings.services.calendar import send_meeting_mail
from eventhub.meetings.services.errors import CannotPlace, NotSolved, ScheduleLocked
from eventhub.meetings.services.sessions import accepted_investors, registered_bookings
from eventhub.series.planning import request_planning


def meetings_of(session: MeetingSession) -> list[Meeting]:
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.session_id == session.id)
            .order_by(Meeting.slot_index, Meeting.table_number)
        )
    )


def requests_in(session: MeetingSession) -> list[MeetingRequest]:
    return list(
        db.session.scalars(
            sa.select(MeetingRequest)
            .where(MeetingRequest.session_id == session.id)
            .order_by(MeetingRequest.id)
        )
    )


def build_problem(session: MeetingSession) -> solver.Problem:
    """The session as the solver sees it: requests between people still taking part."""
    investors = {i.id for i in accepted_investors(session.occurrence_id)}
    startups = {b.startup_id for b in registered_bookings(session.occurrence_id)}
    pairs = [
        solver.Pair(
            key=r.id,
            investor=r.investor_id,
            startup=r.startup_id,
            value=r.value,
            is_mutual=r.is_mutual,
            is_declined=r.is_declined,
        )
        for r in requests_in(session)
        if r.investor_id in investors and r.startup_id in startups
    ]
    keys = {p.key for p in pairs}
    unavailable = frozenset(
        (("investor", u.investor_id) if u.investor_id else ("startup", u.startup_id), u.slot_index)
        for u in db.session.scalars(
            sa.select(Unavailability).where(Unavailability.session_id == session.id)
        )
    )
    pinned, previous = {}, {}
    pinned_count: dict[solver.Person, int] = defaultdict(int)
    for meeting in meetings_of(session):
        if meeting.request_id in keys:
            target = pinned if meeting.is_pinned else previous
            target[meeting.request_id] = solver.Pin(meeting.slot_index, meeting.table_number)
            if meeting.is_pinned:
                pinned_count["investor", meeting.investor_id] += 1
                pinned_count["startup", meeting.startup_id] += 1
    # A person's own limit counts when lower than the session's (which may have been lowered
    # since); what the organizers pinned by hand stays, even beyond a limit.
    limits: dict[solver.Person, int] = {
        (("investor", p.investor_id) if p.investor_id else ("startup", p.startup_id)): min(
            p.max_meetings, session.max_meetings
        )
        for p in db.session.scalars(
            sa.select(PersonalLimit).where(PersonalLimit.session_id == session.id)
        )
    }
    for person, count in pinned_count.items():
        if count > limits.get(person, session.max_meetings):
            limits[person] = count
    return solver.Problem(
        times=session.slot_count, tables=session.table_count, pairs=pairs,
        default_limit=session.max_meetings, limits=limits, unavailable=unavailable,
        pinned=pinned, previous=previous,
    )  # fmt: skip


def _require_before_start(session: MeetingSession, now: datetime) -> None:
    if now >= session.starts_at:
        raise ScheduleLocked()


def _announce(
    request: MeetingRequest, *, slot_index: int, table: int, method: str, event: str,
    now: datetime,
) -> None:  # fmt: skip
    session = request.session
    if session.published_at is None:
        return
    request.calendar_sequence += 1
    # The reminders of the day list each person's meetings: re-planned after this commits.
    request_planning(session.occurrence_id)
    send_meeting_mail(
        request, slot_index=slot_index, table=table, method=method, event=event, now=now
    )


def _drop(meeting: Meeting, *, now: datetime) -> None:
    _announce(
        meeting.request, slot_index=meeting.slot_index, table=meeting.table_number,
        method="CANCEL", event="cancelled", now=now,
    )  # fmt: skip
    db.session.delete(meeting)


def apply_placement(
    session: MeetingSession, placed: dict[int, solver.Pin], *, now: datetime
) -> tuple[int, int, int]:
    """Make the session's meetings exactly `placed`; returns (added, moved, dropped)."""
    existing = {m.request_id: m for m in meetings_of(session)}
    requests = {r.id: r for r in requests_in(session)}
    added = moved = dropped = 0
    moving: list[tuple[MeetingRequest, solver.Pin, bool]] = []
    for request_id, meeting in existing.items():
        pin = placed.get(request_id)
        if pin is None:
            _drop(meeting, now=now)
            dropped += 1
        elif (meeting.slot_index, meeting.table_number) != (pin.time, pin.table):
            # Deleted and added again below: a swap of two meetings would trip the unique
            # keys if rows were updated one by one.
            moving.append((meeting.request, pin, meeting.is_pinned))
            db.session.delete(meeting)
            moved += 1
    db.session.flush()
    for request, pin, is_pinned in moving:
        _add(session, request, pin, is_pinned=is_pinned, now=now, event="moved")
    for request_id, pin in placed.items():
        if request_id not in existing:
            _add(session, requests[request_id], pin, is_pinned=False, now=now, event="scheduled")
            added += 1
    db.session.flush()
    return added, moved, dropped


def _add(
    session: MeetingSession, request: MeetingRequest, pin: solver.Pin, *, is_pinned: bool,
    now: datetime, event: str,
) -> Meeting:  # fmt: skip
    meeting = Meeting(
        session=session, request=request, investor_id=request.investor_id,
        startup_id=request.startup_id, slot_index=pin.time, table_number=pin.table,
        is_pinned=is_pinned, created_at=now,
    )  # fmt: skip
    db.session.add(meeting)
    _announce(request, slot_index=pin.time, table=pin.table, method="REQUEST", event=event, now=now)
    return meeting


@dataclass(frozen=True)
class SolveReport:
    status: str
    objective: int
    bound: int
    gap: float
    seconds: float
    added: int
    moved: int
    dropped: int


def lock_session(session: MeetingSession) -> None:
    """Take the session's row lock for the rest of the transaction (PostgreSQL; SQLite's
    BEGIN IMMEDIATE already lets one writer in at a time). Changes that read the session's
    meetings or a person's choices and then write them take it first, so two at once (a
    double click on Schedule, two organizers placing, a person saving twice) run one after
    the other instead of both writing what they read (unique keys refused the second: 500s)."""
    lock_row(MeetingSession, session.id)


def schedule(
    session: MeetingSession, *, actor_id: int | None, now: datetime, time_limit: float = 10.0
) -> SolveReport:
    """Solve the session (pinned meetings stay) and replace the other meetings by the result."""
    _require_before_start(session, now)
    lock_session(session)
    problem = build_problem(session)
    solution = solver.solve(problem, time_limit=time_limit)
    if not solution.is_usable or solver.violations(problem, solution.placed):
        raise NotSolved()
    added, moved, dropped = apply_placement(session, solution.placed, now=now)
    session.solved_at = now
    session.solve_status = solution.status
    session.solve_objective = solution.objective
    session.solve_bound = solution.bound
    session.solve_seconds = round(solution.seconds, 3)
    audit.record(
        "meetings.scheduled", obj=session, actor_id=actor_id, now=now,
        center_id=session.occurrence.series.center_id, status=solution.status,
        objective=solution.objective, bound=solution.bound, meetings=len(solution.placed),
    )  # fmt: skip
    return SolveReport(
        solution.status, solution.objective, solution.bound, solution.gap, solution.seconds,
        added, moved, dropped,
    )  # fmt: skip


def _check_place(
    session: MeetingSession, request: MeetingRequest, *, slot_index: int, table: int,
    ignore: Meeting | None,
) -> None:  # fmt: skip
    if slot_index not in session.slot_indexes or not 1 <= table <= session.table_count:
        raise InvalidInput(_("Choose one of the session's times and tables."))
    if request.is_declined:
        raise InvalidInput(_("This request was declined: it cannot be scheduled."))
    clash = db.session.scalar(
        sa.select(sa.func.count(Meeting.id)).where(
            Meeting.session_id == session.id,
            Meeting.slot_index == slot_index,
            Meeting.id != (ignore.id if ignore else -1),
            (Meeting.table_number == table)
            | (Meeting.investor_id == request.investor_id)
            | (Meeting.startup_id == request.startup_id),
        )
    )
    if clash:
        raise CannotPlace()
    away = db.session.scalar(
        sa.select(sa.func.count(Unavailability.id)).where(
            Unavailability.session_id == session.id,
            Unavailability.slot_index == slot_index,
            (Unavailability.investor_id == request.investor_id)
            | (Unavailability.startup_id == request.startup_id),
        )
    )
    if away:
        raise InvalidInput(_("One of the two said they cannot meet at that time."))
    if ignore is None and _at_limit(session, request):
        raise InvalidInput(
            _("One of the two already has as many meetings in this session as they take.")
        )


def _at_limit(session: MeetingSession, request: MeetingRequest) -> bool:
    """Whether the investor or the startup already has as many meetings as their limit (their
    own, lower one, or the session's). A new meeting placed by hand respects it as the solver
    does; a meeting moved keeps its count, and what was pinned before a person lowered their
    limit stays (`build_problem`)."""
    for meeting_column, limit_column, profile_id in (
        (Meeting.investor_id, PersonalLimit.investor_id, request.investor_id),
        (Meeting.startup_id, PersonalLimit.startup_id, request.startup_id),
    ):
        own = db.session.scalar(
            sa.select(PersonalLimit.max_meetings).where(
                PersonalLimit.session_id == session.id, limit_column == profile_id
            )
        )
        held = db.session.scalar(
            sa.select(sa.func.count(Meeting.id)).where(
                Meeting.session_id == session.id, meeting_column == profile_id
            )
        )
        if held >= min(own or session.max_meetings, session.max_meetings):
            return True
    return False


def _flush_or_clash() -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise CannotPlace() from exc


def move_meeting(
    meeting: Meeting, *, slot_index: int, table: int, actor_id: int | None, now: datetime
) -> Meeting:
    """Put a meeting at another time or table by hand; it is pinned there from now on."""
    session = meeting.session
    _require_before_start(session, now)
    _check_place(session, meeting.request, slot_index=slot_index, table=table, ignore=meeting)
    changed = (meeting.slot_index, meeting.table_number) != (slot_index, table)
    meeting.slot_index, meeting.table_number, meeting.is_pinned = slot_index, table, True
    _flush_or_clash()
    if changed:
        _announce(
            meeting.request, slot_index=slot_index, table=table, method="REQUEST",
            event="moved", now=now,
        )  # fmt: skip
    audit.record("meeting.moved", obj=meeting, actor_id=actor_id, now=now,
                 slot_index=slot_index, table=table)  # fmt: skip
    return meeting


def place_meeting(
    request: MeetingRequest, *, slot_index: int, table: int, actor_id: int | None, now: datetime
) -> Meeting:
    """Schedule a requested pair by hand (pinned), where the solver did not."""
    session = request.session
    _require_before_start(session, now)
    existing = db.session.scalar(sa.select(Meeting).where(Meeting.request_id == request.id))
    if existing is not None:
        return move_meeting(
            existing, slot_index=slot_index, table=table, actor_id=actor_id, now=now
        )
    lock_session(session)  # two placements for one person must not both pass the limit
    _check_place(session, request, slot_index=slot_index, table=table, ignore=None)
    meeting = _add(
        session, request, solver.Pin(slot_index, table), is_pinned=True, now=now,
        event="scheduled",
    )  # fmt: skip
    _flush_or_clash()
    audit.record("meeting.placed", obj=meeting, actor_id=actor_id, now=now)
    return meeting


def set_pinned(meeting: Meeting, *, pinned: bool, actor_id: int | None, now: datetime) -> None:
    _require_before_start(meeting.session, now)
    meeting.is_pinned = pinned
    audit.record("meeting.pinned" if pinned else "meeting.unpinned", obj=meeting,
                 actor_id=actor_id, now=now)  # fmt: skip


def _clear(session: MeetingSession, *, now: datetime) -> list[Meeting]:
    meetings = meetings_of(session)
    for meeting in meetings:
        _drop(meeting, now=now)
    session.solved_at = None
    session.solve_status = session.solve_objective = session.solve_bound = None
    session.solve_seconds = None
    db.session.flush()
    return meetings


def clear_schedule(session: MeetingSession, *, actor_id: int | None, now: datetime) -> int:
    """Remove every meeting (pinned ones too); the people are told if it was published."""
    _require_before_start(session, now)
    meetings = _clear(session, now=now)
    audit.record("meetings.cleared", obj=session, actor_id=actor_id, now=now,
                 center_id=session.occurrence.series.center_id, removed=len(meetings))  # fmt: skip
    return len(meetings)


def shift_session(session: MeetingSession, *, by: timedelta, now: datetime) -> int:
    """The date moved by `by`: the session and every meeting move with it (the times are
    counted from the session's start), and the request deadline too unless it has passed.
    Published meetings are sent again (REQUEST, higher SEQUENCE). Returns how many were."""
    if not by:
        return 0
    if session.requests_close_at > now:
        # Closed requests stay closed: a schedule solved after the deadline stays final.
        session.requests_close_at += by
    session.starts_at += by
    session.ends_at += by
    return resend_session(session, event="moved", now=now)


def resend_session(session: MeetingSession, *, event: str, now: datetime) -> int:
    """What every meeting's invitation says changed (its time, its venue): if published, each
    is sent again (REQUEST, higher SEQUENCE) with the mail `event`. Returns how many were."""
    session.updated_at = now  # the calendar's DTSTAMP
    meetings = meetings_of(session)
    for meeting in meetings:
        _announce(
            meeting.request, slot_index=meeting.slot_index, table=meeting.table_number,
            method="REQUEST", event=event, now=now,
        )  # fmt: skip
    db.session.flush()
    return len(meetings) if session.published_at is not None else 0


def cancel_session(session: MeetingSession, *, now: datetime) -> int:
    """The date was cancelled: every meeting is cancelled (CANCEL to both people if the
    schedule was published) and removed, and the session is unpublished; the requests stay,
    so a restored date is scheduled and published again. Returns how many meetings there were."""
    meetings = _clear(session, now=now)
    session.published_at = None
    session.updated_at = now
    db.session.flush()
    return len(meetings)


def drop_meeting_of(request: MeetingRequest, *, now: datetime) -> None:
    """A request was declined or withdrawn: its meeting, if any, is cancelled."""
    meeting = db.session.scalar(sa.select(Meeting).where(Meeting.request_id == request.id))
    if meeting is not None:
        _drop(meeting, now=now)
        db.session.flush()


def publish_schedule(session: MeetingSession, *, actor_id: int | None, now: datetime) -> int:
    """Send every scheduled meeting to its two people (one calendar invitation each); from
    now on every change is sent as it happens. Returns how many meetings were sent."""
    _require_before_start(session, now)
    if session.published_at is not None:
        raise InvalidInput(_("The schedule is already published; changes are sent as made."))
    meetings = meetings_of(session)
    if not meetings:
        raise InvalidInput(_("There is nothing to publish yet: schedule the meetings first."))
    session.published_at = now
    request_planning(session.occurrence_id)  # the meeting reminders (notifications)
    for meeting in meetings:
        send_meeting_mail(
            meeting.request, slot_index=meeting.slot_index, table=meeting.table_number,
            method="REQUEST", event="scheduled", now=now,
        )  # fmt: skip
    audit.record("meetings.published", obj=session, actor_id=actor_id, now=now,
                 center_id=session.occurrence.series.center_id, meetings=len(meetings))  # fmt: skip
    return len(meetings)


@dataclass
class PlanRow:
    slot_index: int
    starts_at: datetime
    ends_at: datetime
    tables: list[tuple[int, Meeting | None]]


def table_plan(session: MeetingSession) -> list[PlanRow]:
    """Every meeting time with every table, taken or free: the printable plan."""
    by_slot: dict[int, dict[int, Meeting]] = defaultdict(dict)
    for meeting in meetings_of(session):
        by_slot[meeting.slot_index][meeting.table_number] = meeting
    return [
        PlanRow(
            slot_index=i,
            starts_at=session.slot_start(i),
            ends_at=session.slot_end(i),
            tables=[(n, by_slot[i].get(n)) for n in range(1, session.table_count + 1)],
        )
        for i in session.slot_indexes
    ]
