"""After the day: investors' follow-up interest in startups, and recorded outcomes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from eventhub.accounts.models import InvestorProfile, StartupProfile
from eventhub.bookings.exports import neutralize
from eventhub.core import audit
from eventhub.core.errors import InvalidInput, NotFound
from eventhub.core.transactions import lock_row
from eventhub.extensions import db
from eventhub.invitations.models import FollowUp, Invitation, Outcome, OutcomeKind, RsvpStatus
from eventhub.invitations.services.invites import (
    invitations_of,
)
from eventhub.invitations.services.lineup import (
    lineup_entries,
)
from eventhub.series.models import Occurrence


def mark_follow_up(
    invitation: Invitation,
    *,
    startup: StartupProfile,
    note: str | None,
    share_with_startup: bool,
    now: datetime,
) -> FollowUp:
    """An attending investor wants to meet `startup` again (during or after the event)."""
    occurrence = invitation.occurrence
    if invitation.status != RsvpStatus.accepted:
        raise InvalidInput(_("Only investors who accepted the invitation can mark startups."))
    if occurrence.start_at > now:
        raise InvalidInput(_("Startups can be marked once the investor day has started."))
    if startup.id not in {b.startup_id for b in lineup_entries(occurrence.id)}:
        raise NotFound(_("This startup did not pitch at this investor day."))
    follow_up = db.session.scalar(
        sa.select(FollowUp).where(
            FollowUp.occurrence_id == occurrence.id,
            FollowUp.investor_id == invitation.investor_id,
            FollowUp.startup_id == startup.id,
        )
    )
    if follow_up is None:
        follow_up = FollowUp(
            occurrence_id=occurrence.id, investor_id=invitation.investor_id, startup=startup,
            created_at=now,
        )  # fmt: skip
        db.session.add(follow_up)
    follow_up.note = (note or "").strip() or None
    follow_up.share_with_startup = share_with_startup
    db.session.flush()
    return follow_up


def unmark_follow_up(invitation: Invitation, *, startup_id: int) -> None:
    db.session.execute(
        sa.delete(FollowUp).where(
            FollowUp.occurrence_id == invitation.occurrence_id,
            FollowUp.investor_id == invitation.investor_id,
            FollowUp.startup_id == startup_id,
        )
    )


def follow_ups_of(invitation: Invitation) -> dict[int, FollowUp]:
    """startup id -> this investor's follow-up for the invitation's occurrence."""
    rows = db.session.scalars(
        sa.select(FollowUp).where(
            FollowUp.occurrence_id == invitation.occurrence_id,
            FollowUp.investor_id == invitation.investor_id,
        )
    )
    return {f.startup_id: f for f in rows}


def follow_up_matrix(
    occurrence_id: int,
) -> tuple[list[InvestorProfile], list[StartupProfile], dict]:
    """Investors (rows) by startups (columns); cell = the FollowUp or None."""
    follow_ups = list(
        db.session.scalars(sa.select(FollowUp).where(FollowUp.occurrence_id == occurrence_id))
    )
    startups = [b.startup for b in lineup_entries(occurrence_id)]
    investors = [
        i.investor for i in invitations_of(occurrence_id) if i.status == RsvpStatus.accepted
    ]
    cells = {(f.investor_id, f.startup_id): f for f in follow_ups}
    return investors, startups, cells


def matrix_rows(occurrence_id: int) -> list[list[Any]]:
    investors, startups, cells = follow_up_matrix(occurrence_id)
    rows: list[list[Any]] = [[_("Investor"), _("Firm"), *[s.company_name for s in startups]]]
    for investor in investors:
        row = [investor.person_name, investor.firm]
        for startup in startups:
            cell = cells.get((investor.id, startup.id))
            row.append((cell.note or "✓") if cell else "")
        rows.append(row)
    return [[neutralize(c) for c in row] for row in rows]


def follow_ups_for_startup(startup: StartupProfile) -> list[FollowUp]:
    """The follow-ups a startup may see: only those the investor allowed to share."""
    return list(
        db.session.scalars(
            sa.select(FollowUp)
            .where(FollowUp.startup_id == startup.id, FollowUp.share_with_startup.is_(True))
            .order_by(FollowUp.created_at)
        )
    )


def record_outcome(
    *,
    occurrence: Occurrence | None,
    investor: InvestorProfile,
    startup: StartupProfile,
    kind: OutcomeKind,
    amount_krw: int | None,
    happened_on: date,
    note: str | None,
    actor_id: int | None,
    now: datetime,
) -> Outcome:
    """Record a meeting, a term sheet or an investment (with its amount in KRW)."""
    if kind == OutcomeKind.investment and not amount_krw:
        raise InvalidInput(_("An investment needs its amount in KRW."))
    if amount_krw is not None and amount_krw < 0:
        raise InvalidInput(_("The amount cannot be negative."))
    # The same outcome sent twice (a double click, a resubmitted form) is one outcome: the
    # dashboard adds amounts up. The investor's row is locked first, so two sent at once find
    # each other too.
    lock_row(InvestorProfile, investor.id)
    same = db.session.scalar(
        sa.select(Outcome).where(
            Outcome.occurrence_id == (occurrence.id if occurrence else None),
            Outcome.investor_id == investor.id,
            Outcome.startup_id == startup.id,
            Outcome.kind == kind,
            Outcome.amount_krw.is_(None)
            if amount_krw is None
            else Outcome.amount_krw == amount_krw,
            Outcome.happened_on == happened_on,
            Outcome.note.is_(None) if not note else Outcome.note == note,
        )
    )
    if same is not None:
        return same
    outcome = Outcome(
        occurrence_id=occurrence.id if occurrence else None, investor=investor, startup=startup,
        kind=kind, amount_krw=amount_krw, happened_on=happened_on, note=note or None,
        recorded_by_id=actor_id, created_at=now,
    )  # fmt: skip
    db.session.add(outcome)
    db.session.flush()
    audit.record("outcome.recorded", obj=outcome, actor_id=actor_id, now=now, kind=kind.value)
    return outcome


def outcomes_of(occurrence_id: int) -> list[Outcome]:
    return list(
        db.session.scalars(
            sa.select(Outcome).where(Outcome.occurrence_id == occurrence_id).order_by(Outcome.id)
        )
    )


def ensure_follow_up(
    *, occurrence_id: int, investor: InvestorProfile, startup: StartupProfile, now: datetime
) -> FollowUp:
    """Mark `startup` in the investor's follow-up interest for the date, if not yet (an
    outcome of a one-to-one meeting); an existing mark keeps its note and sharing."""
    follow_up = db.session.scalar(
        sa.select(FollowUp).where(
            FollowUp.occurrence_id == occurrence_id,
            FollowUp.investor_id == investor.id,
            FollowUp.startup_id == startup.id,
        )
    )
    if follow_up is None:
        follow_up = FollowUp(
            occurrence_id=occurrence_id, investor=investor, startup=startup, created_at=now
        )
        db.session.add(follow_up)
        db.session.flush()
    return follow_up


def ensure_outcome(
    *,
    occurrence: Occurrence,
    investor: InvestorProfile,
    startup: StartupProfile,
    kind: OutcomeKind,
    actor_id: int | None,
    now: datetime,
) -> Outcome:
    """Record a meeting or term-sheet outcome for the pair and date once (an outcome of a
    one-to-one meeting recorded by either side)."""
    existing = db.session.scalar(
        sa.select(Outcome).where(
            Outcome.occurrence_id == occurrence.id,
            Outcome.investor_id == investor.id,
            Outcome.startup_id == startup.id,
            Outcome.kind == kind,
        )
    )
    if existing is not None:
        return existing
    return record_outcome(
        occurrence=occurrence, investor=investor, startup=startup, kind=kind, amount_krw=None,
        happened_on=now.astimezone(occurrence.tz).date(), note=None, actor_id=actor_id, now=now,
    )  # fmt: skip
