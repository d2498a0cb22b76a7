"""A date's changes reach its meeting session: `scheduling` sends `series.signals.
occurrence_changed` (it sits below this area and cannot call it), and `create_app` connects
`follow_date_change` to it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from eventhub.core import audit
from eventhub.meetings.services.schedule import cancel_session, resend_session, shift_session
from eventhub.meetings.services.sessions import session_of
from eventhub.series.models import ChangeKind

if TYPE_CHECKING:
    from eventhub.series.models import Occurrence

# A date that no longer takes place takes its meetings with it.
ENDS_MEETINGS = (ChangeKind.cancelled, ChangeKind.removed)
# What a meeting's invitation shows of the date: the venue (a table is "Table 3, <venue>"),
# the series' title and description.
SHOWN_IN_INVITATIONS = (ChangeKind.venue_changed, ChangeKind.details_changed)


def follow_date_change(
    occurrence: Occurrence,
    *,
    kind: ChangeKind,
    moved_by: timedelta,
    actor_id: int | None,
    now: datetime,
    **_: object,
) -> None:
    """Move the date's session (and its meetings) with the date, cancel its meetings with it,
    or send them again when the venue they are at changed, in the transaction of the change."""
    session = session_of(occurrence.id)
    if session is None:
        return
    center_id = occurrence.series.center_id
    if kind in ENDS_MEETINGS:
        removed = cancel_session(session, now=now)
        audit.record(
            "meetings.date_cancelled", obj=session, actor_id=actor_id, now=now,
            center_id=center_id, removed=removed,
        )  # fmt: skip
    elif moved_by:
        sent = shift_session(session, by=moved_by, now=now)
        audit.record(
            "meetings.date_moved", obj=session, actor_id=actor_id, now=now,
            center_id=center_id, moved_by_minutes=moved_by.total_seconds() / 60, sent=sent,
        )  # fmt: skip
    elif kind in SHOWN_IN_INVITATIONS and not session.is_online:
        # Online meetings are at their tables' links, whatever the date's venue.
        resend_session(session, event="changed", now=now)
