"""Each person's meetings, and the outcomes they record after them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from eventhub.core.errors import InvalidInput
from eventhub.extensions import db
from eventhub.invitations import services as invitations
from eventhub.invitations.models import OutcomeKind
from eventhub.meetings.models import Meeting, MeetingOutcome, MeetingSession, Side
from eventhub.meetings.services.errors import RequestNotFound
from eventhub.meetings.services.requests import Person


def agenda_of(session: MeetingSession, person: Person) -> list[Meeting]:
    """The person's meetings of the session, by time; nothing before publication."""
    if session.published_at is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.session_id == session.id, person.column(Meeting))
            .order_by(Meeting.slot_index)
        )
    )


def published_meetings_of(person: Person) -> list[Meeting]:
    """Every published meeting of the person (their personal calendar feed)."""
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .join(MeetingSession, MeetingSession.id == Meeting.session_id)
            .where(MeetingSession.published_at.is_not(None), person.column(Meeting))
            .order_by(MeetingSession.starts_at, Meeting.slot_index)
        )
    )


def meeting_for(meeting_id: int, *, person: Person) -> Meeting:
    """The meeting, if `person` is one of its two sides and it is published."""
    meeting = db.session.get(Meeting, meeting_id)
    own = None
    if meeting is not None:
        own = meeting.investor_id if person.side is Side.investor else meeting.startup_id
    if meeting is None or own != person.profile_id or meeting.session.published_at is None:
        raise RequestNotFound()
    return meeting


def record_meeting_outcome(
    meeting: Meeting,
    *,
    person: Person,
    outcome: MeetingOutcome,
    actor_id: int | None,
    now: datetime,
) -> Meeting:
    """One side's outcome of a meeting that has started. An investor's follow-up or term
    sheet marks the startup in their follow-up interest; a term sheet from either side is
    recorded once as the pair's term-sheet outcome (the dashboard's figures)."""
    if now < meeting.starts_at:
        raise InvalidInput(_("Outcomes can be recorded once the meeting has started."))
    if person.side is Side.investor:
        meeting.investor_outcome = outcome
    else:
        meeting.startup_outcome = outcome
    occurrence = meeting.session.occurrence
    if person.side is Side.investor and outcome in (
        MeetingOutcome.follow_up,
        MeetingOutcome.term_sheet,
    ):
        invitations.ensure_follow_up(
            occurrence_id=occurrence.id, investor=meeting.investor, startup=meeting.startup,
            now=now,
        )  # fmt: skip
    invitations.ensure_outcome(
        occurrence=occurrence, investor=meeting.investor, startup=meeting.startup,
        kind=OutcomeKind.meeting, actor_id=actor_id, now=now,
    )  # fmt: skip
    if outcome is MeetingOutcome.term_sheet:
        invitations.ensure_outcome(
            occurrence=occurrence, investor=meeting.investor, startup=meeting.startup,
            kind=OutcomeKind.term_sheet, actor_id=actor_id, now=now,
        )  # fmt: skip
    db.session.flush()
    return meeting
