"""Changes are recorded here; reminders are planned elsewhere.

A use case that changes what the reminders about an occurrence depend on (its time or status,
its slots, a booking, an invitation, the series' rules, someone's preference) calls
`request_planning(occurrence_id)`. That renders nothing and takes no lock: the ids are kept on
the session, and when the transaction commits one `planning_request` row per occurrence is
written with it. Many changes in one transaction give one row; concurrent transactions each
add their own row and never wait for each other (no unique key to fight over).

The planner (`eventhub.notifications.jobs.plan_reminders_job`) plans each requested occurrence
once and deletes exactly the rows it read before planning, so a change that commits while it
plans leaves a row behind and is planned on the next run.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from eventhub.core.clock import utcnow
from eventhub.extensions import db
from eventhub.series.models import Occurrence, PlanningRequest

_PENDING = "eventhub.planning_requests"


def request_planning(occurrence: Occurrence | int) -> None:
    """Note that the reminders about `occurrence` need planning (written at commit). Give the
    occurrence itself when it may not have an id yet: the id is read after the last flush."""
    if occurrence is None:
        raise ValueError("request_planning needs an occurrence")
    db.session().info.setdefault(_PENDING, []).append(occurrence)


def _requested_ids(pending: list[Occurrence | int]) -> list[int]:
    ids = {item if isinstance(item, int) else item.id for item in pending}
    return sorted(i for i in ids if i is not None)


@event.listens_for(Session, "before_commit")
def _write_requests(session: Session) -> None:
    if session.in_nested_transaction() or not session.info.get(_PENDING):
        return
    session.flush()  # new occurrences get their ids
    wanted = _requested_ids(session.info.pop(_PENDING, []))
    if not wanted:
        return
    # One statement; an occurrence deleted in this same transaction has nothing left to plan.
    requested = sa.select(
        Occurrence.id, sa.literal(utcnow(), type_=PlanningRequest.requested_at.type)
    ).where(Occurrence.id.in_(wanted))
    session.connection().execute(
        sa.insert(PlanningRequest).from_select(["occurrence_id", "requested_at"], requested)
    )


@event.listens_for(Session, "after_rollback")
def _forget_requests(session: Session) -> None:
    # A SAVEPOINT rolled back (a caught IntegrityError) leaves the outer transaction going on,
    # with its own changes and their requests: keep them. Planning too much is harmless.
    if session.in_nested_transaction():
        return
    session.info.pop(_PENDING, None)
