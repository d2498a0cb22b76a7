"""Investor directory, invitations with one-click RSVP, the published line-up, follow-ups.

RSVP tokens are signed (itsdangerous, keyed by SECRET_KEY, salt "eventhub.rsvp") over the
invitation, its occurrence, its investor and a random nonce stored on the invitation, so a
token works for exactly one investor and one occurrence and reveals nothing by itself. Every
token failure looks the same to the person holding it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeTimedSerializer

from eventhub.accounts.models import InvestorProfile, Stage, StartupProfile
from eventhub.bookings import services as bookings
from eventhub.bookings.exports import neutralize
from eventhub.bookings.models import Booking, BookingStatus
from eventhub.centers.industries import INDUSTRIES
from eventhub.centers.models import Center
from eventhub.core import audit, outbox
from eventhub.core.errors import Conflict, DomainError, InvalidInput, NotFound
from eventhub.core.ics import occurrence_invitation
from eventhub.core.urls import external_url
from eventhub.extensions import db
from eventhub.invitations import importing
from eventhub.invitations.models import FollowUp, Invitation, Outcome, OutcomeKind, RsvpStatus
from eventhub.series.mail import occurrence_mail_context
from eventhub.series.models import Occurrence
from eventhub.series.planning import request_planning

TOKEN_SALT = "eventhub.rsvp"  # noqa: S105 - a salt that separates uses of the key, not a secret
ANSWERS = (RsvpStatus.accepted, RsvpStatus.tentative, RsvpStatus.declined)
NUDGE_INTERVAL = timedelta(days=1)


class InvalidToken(NotFound):
    message = _l("This link is not valid. Please use the newest link in your invitation email.")


class InvitationClosed(Conflict):
    message = _l("This investor day has started; the answer can no longer be changed.")


class CannotInvite(InvalidInput):
    message = _l("A cancelled or past investor day cannot be invited to.")


class EmailOwnedByAccount(InvalidInput):
    message = _l(
        "This directory entry belongs to an account: its email address is the account's "
        "confirmed address and cannot be changed here."
    )


class NudgeTooSoon(Conflict):
    message = _l("This investor was already reminded in the last 24 hours.")


# --- The directory ---------------------------------------------------------------------------


def normalize_email(value: str) -> str:
    """A valid email address, lower-cased; InvalidInput with the reason otherwise."""
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(_("“%(email)s” is not a valid email address.", email=value)) from exc


def _codes(text: str, allowed: Iterable[str], what: str) -> list[str]:
    values = [v.strip() for v in text.replace(",", ";").split(";") if v.strip()]
    allowed = set(allowed)
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise InvalidInput(_("Unknown %(what)s: %(values)s", what=what, values=", ".join(unknown)))
    return values


def save_investor(
    investor: InvestorProfile | None,
    *,
    email: str,
    firm: str,
    person_name: str,
    phone: str | None = None,
    focus_industries: Iterable[str] = (),
    stages: Iterable[str] = (),
    ticket_min_krw: int | None = None,
    ticket_max_krw: int | None = None,
    notes: str | None = None,
    center_ids: Iterable[int] = (),
    now: datetime,
) -> InvestorProfile:
    """Create or update a directory entry (matched by email, case-insensitively)."""
    email = normalize_email(email)
    existing = db.session.scalar(sa.select(InvestorProfile).where(InvestorProfile.email == email))
    if investor is None:
        investor = existing or InvestorProfile(email=email, created_at=now)
        db.session.add(investor)
    elif existing is not None and existing.id != investor.id:
        raise InvalidInput(_("Another investor in the directory already uses this email address."))
    elif investor.user_id is not None and email != investor.email:
        # The address of an entry an account owns is the account's verified address: changing
        # it here would send that person's invitations and RSVP links elsewhere.
        raise EmailOwnedByAccount()
    if (
        ticket_min_krw is not None
        and ticket_max_krw is not None
        and ticket_max_krw < ticket_min_krw
    ):
        raise InvalidInput(_("The largest ticket is smaller than the smallest."))
    investor.email, investor.firm, investor.person_name = email, firm.strip(), person_name.strip()
    investor.phone = phone or None
    investor.focus_industries = list(focus_industries)
    investor.stages = list(stages)
    investor.ticket_min_krw, investor.ticket_max_krw = ticket_min_krw, ticket_max_krw
    investor.notes = notes or None
    ids = list(center_ids)
    if ids:
        investor.centers = list(db.session.scalars(sa.select(Center).where(Center.id.in_(ids))))
    investor.updated_at = now
    db.session.flush()
    return investor


def directory(
    *, industry: str | None = None, stage: str | None = None, center_id: int | None = None
) -> list[InvestorProfile]:
    """The directory, filtered by focus industry, stage and center (in Python: JSON lists)."""
    rows = db.session.scalars(
        sa.select(InvestorProfile).order_by(InvestorProfile.firm, InvestorProfile.id)
    )
    result = []
    for investor in rows:
        if industry and industry not in (investor.focus_industries or []):
            continue
        if stage and stage not in (investor.stages or []):
            continue
        if center_id and center_id not in {c.id for c in investor.centers}:
            continue
        result.append(investor)
    return result


# --- Import from CSV and XLSX ---------------------------------------------------------------

IMPORT_COLUMNS = ("email", "firm", "person_name")
OPTIONAL_COLUMNS = (
    "phone",
    "focus_industries",
    "stages",
    "ticket_min_krw",
    "ticket_max_krw",
    "notes",
)


# The longest value each text column takes (the columns' sizes in the database).
IMPORT_LENGTHS = {"email": 254, "firm": 200, "person_name": 100, "phone": 30, "notes": 5000}


@dataclass
class ImportRow:
    line: int
    values: dict[str, Any]
    status: str  # "new", "updated" or "rejected"
    reason: str = ""


@dataclass
class ImportPreview:
    rows: list[ImportRow] = field(default_factory=list)
    encoding: str = ""

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    def shown(self, limit: int) -> list[ImportRow]:
        """The rows a preview page lists: rejected ones first (they need attention)."""
        rejected = [r for r in self.rows if r.status == "rejected"]
        return (rejected + [r for r in self.rows if r.status != "rejected"])[:limit]


def preview_import(data: bytes, filename: str) -> ImportPreview:
    """What importing the file would do, row by row, without writing anything.

    The file is read within the bounds of `invitations.importing` (size, unpacked size, rows),
    and its header is checked before any other row is read."""
    rows, encoding = importing.open_table(data, filename)
    first = next(rows, None)
    if first is None:
        raise InvalidInput(_("The file is empty."))
    header = [h.strip().lower() for h in first]
    missing = [c for c in IMPORT_COLUMNS if c not in header]
    if missing:
        raise InvalidInput(
            _(
                "Columns missing: %(missing)s. The first row must name the columns: %(expected)s.",
                missing=", ".join(missing),
                expected=", ".join(IMPORT_COLUMNS + OPTIONAL_COLUMNS),
            )
        )
    unknown = [h for h in header if h and h not in IMPORT_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise InvalidInput(_("Unknown columns: %(columns)s.", columns=", ".join(unknown)))
    preview = ImportPreview(encoding=encoding)
    seen: set[str] = set()
    existing = set(db.session.scalars(sa.select(InvestorProfile.email)))
    for line, raw in importing.numbered_rows(rows):
        if not any(cell.strip() for cell in raw):
            continue
        values = {
            name: (raw[i].strip() if i < len(raw) else "") for i, name in enumerate(header) if name
        }
        row = ImportRow(line=line, values=values, status="new")
        try:
            email = normalize_email(values.get("email", ""))
            values["email"] = email
            if not values.get("firm") or not values.get("person_name"):
                raise InvalidInput(_("firm and person_name are required."))
            for name, longest in IMPORT_LENGTHS.items():
                if len(values.get(name, "")) > longest:
                    raise InvalidInput(
                        _("%(name)s is longer than %(n)d characters.", name=name, n=longest)
                    )
            values["focus_industries"] = _codes(
                values.get("focus_industries", ""), INDUSTRIES, _("industry")
            )
            values["stages"] = _codes(
                values.get("stages", ""), (s.value for s in Stage), _("stage")
            )
            for name in ("ticket_min_krw", "ticket_max_krw"):
                text = values.get(name, "").replace(",", "")
                if text and not (text.isascii() and text.isdigit() and len(text) <= 16):
                    raise InvalidInput(_("%(name)s must be a whole number of won.", name=name))
                values[name] = int(text) if text else None
            low, high = values["ticket_min_krw"], values["ticket_max_krw"]
            if low is not None and high is not None and high < low:
                raise InvalidInput(_("The largest ticket is smaller than the smallest."))
            if email in seen:
                raise InvalidInput(_("This email appears earlier in the file."))
            seen.add(email)
            row.status = "updated" if email in existing else "new"
        except DomainError as exc:
            row.status, row.reason = "rejected", str(exc.message)
        preview.rows.append(row)
    return preview


def apply_import(preview: ImportPreview, *, actor_id: int | None, now: datetime) -> int:
    """Write every accepted row, in the caller's one transaction. Returns how many."""
    written = 0
    for row in preview.rows:
        if row.status == "rejected":
            continue
        v = row.values
        save_investor(
            None,
            email=v["email"],
            firm=v["firm"],
            person_name=v["person_name"],
            phone=v.get("phone") or None,
            focus_industries=v["focus_industries"],
            stages=v["stages"],
            ticket_min_krw=v["ticket_min_krw"],
            ticket_max_krw=v["ticket_max_krw"],
            notes=v.get("notes") or None,
            now=now,
        )
        written += 1
    audit.record("investors.imported", obj=None, actor_id=actor_id, now=now, rows=written)
    return written


# --- Invitations ---------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def rsvp_token(invitation: Invitation) -> str:
    """The signed token in an invitation's links."""
    return _serializer().dumps(
        [invitation.id, invitation.occurrence_id, invitation.investor_id, invitation.token_nonce]
    )


def invitation_for_token(token: str) -> Invitation:
    """The invitation a token belongs to, or InvalidToken (tampered, expired, revoked, unknown)."""
    max_age = current_app.config.get("RSVP_TOKEN_MAX_AGE_DAYS", 400) * 86400
    try:
        invitation_id, occurrence_id, investor_id, nonce = _serializer().loads(
            token, max_age=max_age
        )
    except (BadData, ValueError, TypeError) as exc:
        raise InvalidToken() from exc
    invitation = (
        db.session.get(Invitation, invitation_id) if isinstance(invitation_id, int) else None
    )
    if (
        invitation is None
        or invitation.occurrence_id != occurrence_id
        or invitation.investor_id != investor_id
        or not secrets.compare_digest(str(invitation.token_nonce), str(nonce))
    ):
        raise InvalidToken()
    return invitation


def invitation_context(invitation: Invitation) -> dict[str, Any]:
    """What the invitation, nudge and reminder templates show, with one-click answer links."""
    investor, occurrence = invitation.investor, invitation.occurrence
    token = rsvp_token(invitation)
    return {
        **occurrence_mail_context(occurrence),
        "person": investor.person_name,
        "accept_url": external_url("invitations.rsvp", token=token, answer="accepted"),
        "tentative_url": external_url("invitations.rsvp", token=token, answer="tentative"),
        "decline_url": external_url("invitations.rsvp", token=token, answer="declined"),
        "page_url": external_url("invitations.rsvp", token=token),
    }


def _attach_invite(message: outbox.OutboxMessage, invitation: Invitation, *, method: str) -> None:
    """The calendar part (REQUEST or CANCEL, same UID as the investor's feed) of a message."""
    message.attachments = [
        {
            "filename": "invite.ics",
            "content_type": f"text/calendar; method={method}",
            "content": occurrence_invitation(invitation, method=method),
        }
    ]


def _send_invitation(invitation: Invitation, *, now: datetime, kind: str) -> None:
    investor, occurrence = invitation.investor, invitation.occurrence
    count = invitation.nudge_count if kind == "nudge" else int(invitation.last_sent_at is not None)
    message = outbox.enqueue(
        key=f"invitation:{invitation.id}:{kind}:{now.isoformat()}:{count}",
        recipient=investor.email,
        locale=investor.mail_locale,
        template=f"invitations/{kind}",
        now=now,
        center_id=occurrence.series.center_id,
        occurrence_id=occurrence.id,
        **invitation_context(invitation),
    )
    _attach_invite(message, invitation, method="REQUEST")
    invitation.last_sent_at = now


def notify_occurrence_change(
    occurrence: Occurrence, *, method: str, change_id: int, now: datetime
) -> int:
    """Send every investor who has not declined the updated invitation or the cancellation."""
    sent = 0
    kind = "occurrence_cancelled" if method == "CANCEL" else "occurrence_changed"
    for invitation in invitations_of(occurrence.id):
        if invitation.status == RsvpStatus.declined:
            continue
        investor = invitation.investor
        message = outbox.enqueue(
            key=f"occurrence-change:{change_id}:invitation:{invitation.id}",
            recipient=investor.email,
            locale=investor.mail_locale,
            template=f"invitations/{kind}",
            now=now,
            center_id=occurrence.series.center_id,
            occurrence_id=occurrence.id,
            **invitation_context(invitation),
            reason=occurrence.cancel_reason or "",
        )
        _attach_invite(message, invitation, method=method)
        sent += 1
    return sent


def invite(
    occurrences: Iterable[Occurrence],
    *,
    investors: Iterable[InvestorProfile],
    actor_id: int | None,
    now: datetime,
) -> list[Invitation]:
    """Invite investors; someone already invited is left as they are. Returns the new ones."""
    occurrences = list(occurrences)
    for occurrence in occurrences:
        if occurrence.is_cancelled or occurrence.start_at <= now:
            raise CannotInvite()
    created = []
    investors = list(investors)
    for occurrence in occurrences:
        invited = set(
            db.session.scalars(
                sa.select(Invitation.investor_id).where(Invitation.occurrence_id == occurrence.id)
            )
        )
        for investor in investors:
            if investor.id in invited:
                continue
            invitation = Invitation(
                occurrence=occurrence,
                investor=investor,
                invited_by_id=actor_id,
                invited_at=now,
                token_nonce=secrets.token_hex(16),
            )
            db.session.add(invitation)
            db.session.flush()
            _send_invitation(invitation, now=now, kind="invite")
            created.append(invitation)
        request_planning(occurrence.id)
    audit.record(
        "invitations.sent", obj=None, actor_id=actor_id, now=now,
        occurrences=[o.id for o in occurrences], created=len(created),
    )  # fmt: skip
    return created


def investors_for_emails(text: str, *, now: datetime) -> list[InvestorProfile]:
    """Pasted addresses (comma, space or newline separated) as directory entries; an address
    not in the directory yet gets a minimal entry that the organizer can complete later."""
    result = []
    for raw in text.replace(",", " ").replace(";", " ").split():
        email = normalize_email(raw)
        investor = db.session.scalar(
            sa.select(InvestorProfile).where(InvestorProfile.email == email)
        )
        if investor is None:
            local, domain = email.split("@", 1)
            investor = InvestorProfile(
                email=email, firm=domain, person_name=local, created_at=now, updated_at=now
            )
            db.session.add(investor)
            db.session.flush()
        if investor not in result:
            result.append(investor)
    return result


def answer(invitation: Invitation, *, status: RsvpStatus, now: datetime) -> Invitation:
    """The investor's answer; it may change as often as they like until the event starts."""
    if status not in ANSWERS:
        raise InvalidInput(_("Choose accept, tentative or decline."))
    if invitation.occurrence.start_at <= now:
        raise InvitationClosed()
    if invitation.occurrence.is_cancelled:
        raise InvitationClosed(_("This investor day has been cancelled."))
    before = invitation.status
    invitation.status, invitation.answered_at = status, now
    request_planning(invitation.occurrence_id)
    audit.record(
        "invitation.answered", obj=invitation, actor_id=None, now=now,
        center_id=invitation.occurrence.series.center_id, before=before.value, after=status.value,
    )  # fmt: skip
    return invitation


def resend(invitation: Invitation, *, actor_id: int | None, now: datetime) -> Invitation:
    if invitation.occurrence.start_at <= now or invitation.occurrence.is_cancelled:
        raise CannotInvite()
    _send_invitation(invitation, now=now, kind="invite")
    audit.record("invitation.resent", obj=invitation, actor_id=actor_id, now=now)
    return invitation


def nudge(invitation: Invitation, *, actor_id: int | None, now: datetime) -> Invitation:
    """Remind an investor who has not answered; at most once a day, and recorded."""
    if invitation.status != RsvpStatus.pending:
        raise InvalidInput(_("This investor has already answered."))
    if invitation.occurrence.start_at <= now or invitation.occurrence.is_cancelled:
        raise CannotInvite()
    if invitation.last_nudged_at and now - invitation.last_nudged_at < NUDGE_INTERVAL:
        raise NudgeTooSoon()
    invitation.last_nudged_at = now
    invitation.nudge_count += 1
    _send_invitation(invitation, now=now, kind="nudge")
    audit.record("invitation.nudged", obj=invitation, actor_id=actor_id, now=now)
    return invitation


def invitations_of(occurrence_id: int) -> list[Invitation]:
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(Invitation.occurrence_id == occurrence_id)
            .order_by(Invitation.invited_at, Invitation.id)
        )
    )


# --- The line-up -----------------------------------------------------------------------------


def publish_lineup(occurrence: Occurrence, *, actor_id: int | None, now: datetime) -> None:
    occurrence.lineup_published_at = now
    occurrence.lineup_changed_at = None
    audit.record(
        "lineup.published", obj=occurrence, actor_id=actor_id, now=now,
        center_id=occurrence.series.center_id,
    )  # fmt: skip


def sees_lineup(invitation: Invitation | None) -> bool:
    """Accepted and tentative investors see the published line-up; nobody else does."""
    return bool(
        invitation is not None
        and invitation.occurrence.lineup_published_at is not None
        and invitation.status in (RsvpStatus.accepted, RsvpStatus.tentative)
    )


def investor_sees_lineup(user: Any, occurrence_id: int) -> bool:
    """True for a logged-in investor whose invitation to the occurrence lets them see it."""
    profile = (
        getattr(user, "investor_profile", None)
        if getattr(user, "is_authenticated", False)
        else None
    )
    if profile is None:
        return False
    invitation = db.session.scalar(
        sa.select(Invitation).where(
            Invitation.occurrence_id == occurrence_id, Invitation.investor_id == profile.id
        )
    )
    return sees_lineup(invitation)


def lineup_entries(occurrence_id: int) -> list[Booking]:
    """The startups holding slots, in slot order."""
    return [
        v.booking
        for v in bookings.slot_grid(occurrence_id)
        if v.booking is not None and v.booking.status != BookingStatus.offered
    ]


# --- Follow-ups and outcomes -----------------------------------------------------------------


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


def accepted_invitation_counts(occurrence_ids: Iterable[int]) -> dict[int, int]:
    """How many investors accepted the invitation to each occurrence."""
    ids = list(occurrence_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Invitation.occurrence_id, sa.func.count())
        .where(Invitation.occurrence_id.in_(ids), Invitation.status == RsvpStatus.accepted)
        .group_by(Invitation.occurrence_id)
    )
    return dict(rows.tuples().all())


def has_any_invitation(occurrence_id: int) -> bool:
    """True when any investor was invited to the occurrence, whatever the answer."""
    return (
        db.session.scalar(sa.select(Invitation.id).where(Invitation.occurrence_id == occurrence_id))
        is not None
    )
