"""Requests from both sides: ask (ranked), withdraw, re-rank, decline (and take it back), each
person's unavailable times and own limit, and who sees which.

A request row is a pair (one investor, one startup of the session). Each side's wish is its
rank (1 first); both set, the request is mutual. Only the two of them and the organizers ever
see the row: `request_for` answers "not found" to anyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from eventhub.accounts.models import InvestorProfile, StartupProfile
from eventhub.core.errors import Conflict, InvalidInput
from eventhub.extensions import db
from eventhub.meetings.models import (
    MeetingRequest,
    MeetingSession,
    PersonalLimit,
    Side,
    Unavailability,
)
from eventhub.meetings.services.errors import NotParticipant, RequestNotFound, RequestsClosed
from eventhub.meetings.services.schedule import drop_meeting_of, lock_session
from eventhub.meetings.services.sessions import is_investor_of, is_startup_of


@dataclass(frozen=True)
class Person:
    """One participant of a session: an investor or a startup."""

    side: Side
    profile_id: int

    @classmethod
    def of(cls, profile: InvestorProfile | StartupProfile) -> Person:
        side = Side.investor if isinstance(profile, InvestorProfile) else Side.startup
        return cls(side, profile.id)

    def owns(self, request: MeetingRequest) -> bool:
        own = request.investor_id if self.side is Side.investor else request.startup_id
        return own == self.profile_id

    @classmethod
    def of_row(cls, row: PersonalLimit | Unavailability) -> Person:
        """The person a row of the session's personal choices belongs to."""
        if row.investor_id is not None:
            return cls(Side.investor, row.investor_id)
        return cls(Side.startup, row.startup_id)

    def column(self, model: type) -> sa.ColumnElement[bool]:
        name = "investor_id" if self.side is Side.investor else "startup_id"
        return getattr(model, name) == self.profile_id

    def owner_columns(self) -> dict[str, int | None]:
        """`investor_id` and `startup_id` of a row this person owns (one of them None)."""
        investor = self.side is Side.investor
        return {
            "investor_id": self.profile_id if investor else None,
            "startup_id": None if investor else self.profile_id,
        }


def _rank_column(side: Side):
    return MeetingRequest.investor_rank if side is Side.investor else MeetingRequest.startup_rank


def _own_requests(session: MeetingSession, person: Person) -> list[MeetingRequest]:
    rank = _rank_column(person.side)
    return list(
        db.session.scalars(
            sa.select(MeetingRequest)
            .where(
                MeetingRequest.session_id == session.id,
                person.column(MeetingRequest),
                rank.is_not(None),
            )
            .order_by(rank, MeetingRequest.id)
        )
    )


def _renumber(session: MeetingSession, person: Person) -> None:
    for n, request in enumerate(_own_requests(session, person), start=1):
        _set_rank(request, person.side, n)


def _set_rank(request: MeetingRequest, side: Side, rank: int | None) -> None:
    if side is Side.investor:
        request.investor_rank = rank
    else:
        request.startup_rank = rank


def _require_open(session: MeetingSession, now: datetime) -> None:
    if not session.requests_are_open(now):
        raise RequestsClosed()


def request_meeting(
    session: MeetingSession,
    *,
    investor: InvestorProfile,
    startup: StartupProfile,
    side: Side,
    now: datetime,
) -> MeetingRequest:
    """`side` asks to meet the other; the wish goes to the end of its ranking."""
    _require_open(session, now)
    occurrence_id = session.occurrence_id
    if not is_investor_of(occurrence_id, investor) or not is_startup_of(occurrence_id, startup):
        raise NotParticipant()
    request = db.session.scalar(
        sa.select(MeetingRequest).where(
            MeetingRequest.session_id == session.id,
            MeetingRequest.investor_id == investor.id,
            MeetingRequest.startup_id == startup.id,
        )
    )
    if request is not None and request.asked_by(side):
        return request
    if request is not None and request.declined_by == side.other:
        raise Conflict(_("This request was declined."))
    person = Person(side, investor.id if side is Side.investor else startup.id)
    rank = len(_own_requests(session, person)) + 1
    if request is None:
        request = MeetingRequest(
            session=session, investor=investor, startup=startup, created_at=now
        )
        db.session.add(request)
    if request.declined_by == side:
        # Asking for a meeting one declined takes the decline back.
        request.declined_by = None
        request.declined_at = None
    _set_rank(request, side, rank)
    if side is Side.investor:
        request.investor_requested_at = now
    else:
        request.startup_requested_at = now
    db.session.flush()
    return request


def withdraw_request(request: MeetingRequest, *, person: Person, now: datetime) -> None:
    """Take one's own wish back; a pair nobody asks for any more is removed (and its meeting
    cancelled)."""
    _require_open(request.session, now)
    if not request.asked_by(person.side):
        raise InvalidInput(_("You did not ask for this meeting."))
    session = request.session
    if request.asked_by(person.side.other):
        _set_rank(request, person.side, None)
    else:
        drop_meeting_of(request, now=now)
        db.session.delete(request)
    db.session.flush()
    _renumber(session, person)


def decline_request(request: MeetingRequest, *, person: Person, now: datetime) -> None:
    """Say no to a request the other side made; it is never scheduled (a scheduled meeting is
    cancelled). Possible until the meetings start."""
    if now >= request.session.starts_at:
        raise RequestsClosed()
    if request.asked_by(person.side):
        raise InvalidInput(_("Withdraw your own request instead."))
    if request.is_declined:
        return
    request.declined_by = person.side
    request.declined_at = now
    drop_meeting_of(request, now=now)
    db.session.flush()


def undo_decline(request: MeetingRequest, *, person: Person, now: datetime) -> None:
    """Take back one's decline: the request can be scheduled again (from the next solve).
    Possible until the meetings start, like the decline."""
    if now >= request.session.starts_at:
        raise RequestsClosed()
    if request.declined_by != person.side:
        raise InvalidInput(_("You have not declined this request."))
    request.declined_by = None
    request.declined_at = None
    db.session.flush()


def move_rank(request: MeetingRequest, *, person: Person, up: bool, now: datetime) -> None:
    """Swap one's wish with the one above (or below) it."""
    _require_open(request.session, now)
    own = _own_requests(request.session, person)
    if request not in own:
        raise InvalidInput(_("You did not ask for this meeting."))
    i = own.index(request)
    j = i - 1 if up else i + 1
    if 0 <= j < len(own):
        own[i], own[j] = own[j], own[i]
    for n, item in enumerate(own, start=1):
        _set_rank(item, person.side, n)
    db.session.flush()


def request_for(request_id: int, *, person: Person | None) -> MeetingRequest:
    """The request, if `person` is one of its two sides (None: an organizer, checked by the
    caller); to anyone else it does not exist."""
    request = db.session.get(MeetingRequest, request_id)
    if request is None or (person is not None and not person.owns(request)):
        raise RequestNotFound()
    return request


@dataclass
class RequestLists:
    mine: list[MeetingRequest]  # what I asked for, in my order (mutual ones included)
    to_me: list[MeetingRequest]  # what the other side asked of me and I did not ask myself


def requests_of(session: MeetingSession, person: Person) -> RequestLists:
    rows = list(
        db.session.scalars(
            sa.select(MeetingRequest).where(
                MeetingRequest.session_id == session.id, person.column(MeetingRequest)
            )
        )
    )
    mine = sorted(
        (r for r in rows if r.asked_by(person.side)),
        key=lambda r: (r.rank_of(person.side), r.id),
    )
    to_me = sorted(
        (r for r in rows if not r.asked_by(person.side)),
        key=lambda r: (r.is_declined, r.rank_of(person.side.other), r.id),
    )
    return RequestLists(mine=mine, to_me=to_me)


def unavailable_slots(session: MeetingSession, person: Person) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(Unavailability.slot_index).where(
                Unavailability.session_id == session.id, person.column(Unavailability)
            )
        )
    )


def set_unavailable(
    session: MeetingSession, *, person: Person, slot_indexes: set[int], now: datetime
) -> None:
    """The meeting times at which `person` cannot meet (replaces what they said before)."""
    if now >= session.starts_at:
        raise RequestsClosed()
    lock_session(session)  # a second save at once waits, then replaces the first
    if not slot_indexes <= set(session.slot_indexes):
        raise InvalidInput(_("Choose among the session's meeting times."))
    db.session.execute(
        sa.delete(Unavailability).where(
            Unavailability.session_id == session.id, person.column(Unavailability)
        )
    )
    for index in sorted(slot_indexes):
        db.session.add(
            Unavailability(session_id=session.id, slot_index=index, **person.owner_columns())
        )
    db.session.flush()


def own_limit(session: MeetingSession, person: Person) -> int | None:
    """The lower limit the person set for themselves, if any."""
    return db.session.scalar(
        sa.select(PersonalLimit.max_meetings).where(
            PersonalLimit.session_id == session.id, person.column(PersonalLimit)
        )
    )


def set_own_limit(
    session: MeetingSession, *, person: Person, limit: int | None, now: datetime
) -> None:
    """At most `limit` meetings for this person (None, or the session's limit: as the session
    says). Only lower than the session's: the organizers' limit is what the day can hold.
    Counts from the next solve; meetings already placed stay until then."""
    if now >= session.starts_at:
        raise RequestsClosed()
    lock_session(session)  # a second save at once waits, then replaces the first
    if limit is not None and not 1 <= limit <= session.max_meetings:
        raise InvalidInput(_("Choose between 1 and %(most)s meetings.", most=session.max_meetings))
    db.session.execute(
        sa.delete(PersonalLimit).where(
            PersonalLimit.session_id == session.id, person.column(PersonalLimit)
        )
    )
    if limit is not None and limit < session.max_meetings:
        db.session.add(
            PersonalLimit(session_id=session.id, max_meetings=limit, **person.owner_columns())
        )
    db.session.flush()


@dataclass(frozen=True)
class OwnChoices:
    """What one person decided for themselves in a session: a lower limit of meetings and the
    times they cannot meet (the organizers' page lists them beside the schedule)."""

    side: Side
    profile_id: int
    limit: int | None
    away: tuple[int, ...]  # slot indexes, in order


def own_choices(session: MeetingSession) -> list[OwnChoices]:
    """Every person of the session who set a lower limit or marked times they cannot meet,
    investors first, in two queries."""
    limits = {
        Person.of_row(row): row.max_meetings
        for row in db.session.scalars(
            sa.select(PersonalLimit).where(PersonalLimit.session_id == session.id)
        )
    }
    away: dict[Person, list[int]] = {}
    for row in db.session.scalars(
        sa.select(Unavailability)
        .where(Unavailability.session_id == session.id)
        .order_by(Unavailability.slot_index)
    ):
        away.setdefault(Person.of_row(row), []).append(row.slot_index)
    people = sorted(set(limits) | set(away), key=lambda p: (p.side is Side.startup, p.profile_id))
    return [OwnChoices(p.side, p.profile_id, limits.get(p), tuple(away.get(p, ()))) for p in people]
