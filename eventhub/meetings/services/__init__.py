"""Meeting use cases: `sessions` (a date's meeting session and who takes part), `requests`
(ask, rank, withdraw, decline, unavailable times), `schedule` (solve, pin, move, publish, the
table plan), `dates` (the session follows its date's moves and cancellation), `agenda` (each
person's meetings and their outcomes), `calendar` (the mailed invitations and their UIDs) and
`errors`. Callers use this package's names (`from eventhub.meetings import services as
meetings`)."""

from __future__ import annotations

from eventhub.meetings.services.agenda import (
    agenda_of,
    meeting_for,
    published_meetings_of,
    record_meeting_outcome,
)
from eventhub.meetings.services.calendar import (
    meeting_event,
    meeting_location,
    meeting_summary,
    meeting_uid,
)
from eventhub.meetings.services.dates import follow_date_change
from eventhub.meetings.services.errors import (
    CannotPlace,
    NotParticipant,
    NotSolved,
    RequestNotFound,
    RequestsClosed,
    ScheduleLocked,
    SessionNotFound,
    SessionShapeLocked,
)
from eventhub.meetings.services.requests import (
    Person,
    RequestLists,
    decline_request,
    move_rank,
    request_for,
    request_meeting,
    requests_of,
    set_unavailable,
    unavailable_slots,
    withdraw_request,
)
from eventhub.meetings.services.schedule import (
    PlanRow,
    SolveReport,
    apply_placement,
    build_problem,
    cancel_session,
    clear_schedule,
    meetings_of,
    move_meeting,
    place_meeting,
    publish_schedule,
    requests_in,
    schedule,
    set_pinned,
    shift_session,
    table_plan,
)
from eventhub.meetings.services.sessions import (
    REGISTERED,
    SessionValues,
    accepted_investors,
    is_investor_of,
    is_startup_of,
    registered_bookings,
    require_session,
    save_session,
    session_of,
    sessions_of_person,
)

__all__ = [
    "REGISTERED",
    "CannotPlace",
    "NotParticipant",
    "NotSolved",
    "Person",
    "PlanRow",
    "RequestLists",
    "RequestNotFound",
    "RequestsClosed",
    "ScheduleLocked",
    "SessionNotFound",
    "SessionShapeLocked",
    "SessionValues",
    "SolveReport",
    "accepted_investors",
    "agenda_of",
    "apply_placement",
    "build_problem",
    "cancel_session",
    "clear_schedule",
    "decline_request",
    "follow_date_change",
    "is_investor_of",
    "is_startup_of",
    "meeting_event",
    "meeting_for",
    "meeting_location",
    "meeting_summary",
    "meeting_uid",
    "meetings_of",
    "move_meeting",
    "move_rank",
    "place_meeting",
    "publish_schedule",
    "published_meetings_of",
    "record_meeting_outcome",
    "registered_bookings",
    "request_for",
    "request_meeting",
    "requests_in",
    "requests_of",
    "require_session",
    "save_session",
    "schedule",
    "session_of",
    "sessions_of_person",
    "set_pinned",
    "set_unavailable",
    "shift_session",
    "table_plan",
    "unavailable_slots",
    "withdraw_request",
]
