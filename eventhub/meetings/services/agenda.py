"""Each person's meetings (on their page, and in the reminders of their day), and the outcomes
they record after them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from eventhub.core.errors import InvalidInput
from eventhub.core.urls import external_url
from eventhub.extensions import db
from eventhub.invitations import services as invitations
from eventhub.invitations.models import OutcomeKind
from eventhub.meetings.models import Meeting, MeetingOutcome, MeetingSession, Side
from eventhub.meetings.services.calendar import meeting_location
from eventhub.meetings.services.errors import RequestNotFound
from eventhub.meetings.services.requests import Person
from eventhub.meetings.services.sessions import session_of
from eventhub.series.mail import occurrence_mail_context


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


@dataclass
class PersonAgenda:
    """One person's published meetings of a date, by time: what their reminder lists."""

    person: Person
    session: MeetingSession
    name: str
    email: str | None
    locale: str
    meetings: list[Meeting]

    @property
    def first_starts_at(self) -> datetime:
        return self.meetings[0].starts_at

    @property
    def key(self) -> str:
        return f"meetings:{self.session.id}:{self.person.side.value}:{self.person.profile_id}"


def published_agendas(occurrence_id: int) -> list[PersonAgenda]:
    """Everyone with a published meeting on the date, investors first, with their meetings."""
    session = session_of(occurrence_id)
    if session is None or session.published_at is None:
        return []
    agendas: dict[Person, PersonAgenda] = {}
    for meeting in db.session.scalars(
        sa.select(Meeting)
        .where(Meeting.session_id == session.id)
        .order_by(Meeting.slot_index, Meeting.table_number)
    ):
        for person, profile in (
            (Person(Side.investor, meeting.investor_id), meeting.investor),
            (Person(Side.startup, meeting.startup_id), meeting.startup),
        ):
            if person not in agendas:
                if person.side is Side.investor:
                    name, email = profile.person_name, profile.email
                else:
                    name, email = profile.company_name, profile.mail_address
                agendas[person] = PersonAgenda(
                    person, session, name, email, profile.mail_locale, meetings=[]
                )
            agendas[person].meetings.append(meeting)
    return sorted(
        agendas.values(),
        key=lambda a: (a.person.side is not Side.investor, a.person.profile_id),
    )


def agenda_mail_context(agenda: PersonAgenda) -> dict[str, Any]:
    """The reminder's data: the date, and one line per meeting (start|table|where|with whom)."""
    session = agenda.session
    lines = []
    for meeting in agenda.meetings:
        if agenda.person.side is Side.investor:
            other = meeting.startup.company_name
        else:
            other = f"{meeting.investor.firm} ({meeting.investor.person_name})"
        where = meeting_location(session, meeting.table_number, locale=agenda.locale)
        where = where.replace("|", "/")  # the line's separator
        lines.append(f"{meeting.starts_at.isoformat()}|{meeting.table_number}|{where}|{other}")
    return {
        **occurrence_mail_context(session.occurrence),
        "person": agenda.name,
        "first_start_at": agenda.first_starts_at.isoformat(),
        "meeting_minutes": session.meeting_minutes,
        "meetings": "\n".join(lines),
        "agenda_url": external_url("meetings.agenda", occurrence_id=session.occurrence_id),
    }


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
