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


def request_planning(occurrence_id: int | None) -> None:
    """Note that the reminders about `occurrence_id` need planning (written at commit)."""
    if occurrence_id is not None:
        db.session().info.setdefault(_PENDING, set()).add(occurrence_id)


@event.listens_for(Session, "before_commit")
def _write_requests(session: Session) -> None:
    if session.in_nested_transaction() or not session.info.get(_PENDING):
        return
    session.flush()  # a flush may still add ids (an occurrence created in this transaction)
    wanted = sorted(session.info.pop(_PENDING, ()))
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
    session.info.pop(_PENDING, None)
