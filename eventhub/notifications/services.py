"""Reminders that follow changes, announcements, and who wants which mail.

Reminders are outbox rows like every other message, planned per occurrence from the series'
rules and the current bookings, invitations and published one-to-one meetings. Their key names
the moment they are about (`reminder:startups:booking:42:P1D:20261207T0500Z`), so a reminder
for a time that is no longer true has a key nobody plans any more:

- a change to an occurrence, its slots, a booking or an invitation only records a planning
  request (`eventhub.series.planning`); the planner job then runs `plan_occurrence` once per
  requested occurrence, in a transaction of its own that no other planner can share (BEGIN
  IMMEDIATE on SQLite, a transaction-level advisory lock per occurrence on PostgreSQL):
  `sync_occurrence_reminders` cancels pending reminders nobody plans now and enqueues the
  planned ones that are still ahead;
- just before sending, the dispatcher asks `check_reminder` whether the row is still planned
  (and refreshes its text), so a reminder for a time or a person that is no longer true is
  never sent, even in the moment before the planner ran.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, partial
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer

from eventhub.bookings import services as bookings
from eventhub.bookings.models import Booking, BookingStatus
from eventhub.core import audit, outbox
from eventhub.core.errors import InvalidInput, NotFound
from eventhub.core.outbox import MessageKind, OutboxMessage, OutboxStatus
from eventhub.core.transactions import is_postgresql
from eventhub.core.urls import external_url
from eventhub.extensions import db
from eventhub.invitations import services as invitations
from eventhub.invitations.models import RsvpStatus
from eventhub.meetings import services as meetings
from eventhub.notifications.models import (
    Announcement,
    AnnouncementAudience,
    NotificationPreference,
)
from eventhub.series import rules as series_rules
from eventhub.series.mail import occurrence_mail_context
from eventhub.series.models import (
    DAY,
    HOUR,
    MAX_OFFSET_MINUTES,
    Audience,
    EventSeries,
    Occurrence,
    OccurrenceStatus,
    PlanningRequest,
    SeriesStatus,
    offset_code,
)
from eventhub.series.planning import request_planning

SUPERSEDED = "superseded: no longer true after a change"
OPTED_OUT = "recipient turned reminders off"
# Cancelled for one of these reasons, a reminder comes back when it is planned (and wanted)
# again: the occurrence moved back, the recipient turned reminders on again.
REVIVABLE = (SUPERSEDED, OPTED_OUT)

# --- Preferences -----------------------------------------------------------------------------


def _preference_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="notification-preferences")


def preference_token(email: str) -> str:
    """A signed token for one address; unsubscribe links must work for years, so it does
    not expire (it only lets its holder turn reminders on or off for that address)."""
    return _preference_serializer().dumps(email.strip().lower())


def email_for_token(token: str) -> str:
    try:
        email = _preference_serializer().loads(token)
    except BadData as exc:
        raise NotFound(_("This link is not valid. Use the link from a recent email.")) from exc
    if not isinstance(email, str):
        raise NotFound()
    return email


def reminders_enabled(email: str) -> bool:
    enabled = db.session.scalar(
        sa.select(NotificationPreference.reminders_enabled).where(
            NotificationPreference.email == email.strip().lower()
        )
    )
    return enabled is not False


def set_reminders(email: str, *, enabled: bool, now: datetime) -> None:
    """Turn reminders on or off for an address; pending reminders to it follow at once."""
    email = email.strip().lower()
    preference = db.session.scalar(
        sa.select(NotificationPreference).where(NotificationPreference.email == email)
    )
    if preference is None:
        preference = NotificationPreference(email=email)
        db.session.add(preference)
    preference.reminders_enabled = enabled
    preference.updated_at = now
    theirs = (
        sa.func.lower(OutboxMessage.recipient) == email,
        OutboxMessage.kind == MessageKind.reminder,
    )
    if not enabled:
        db.session.execute(
            sa.update(OutboxMessage)
            .where(*theirs, OutboxMessage.status == OutboxStatus.pending)
            .values(status=OutboxStatus.cancelled, cancel_reason=OPTED_OUT)
            .execution_options(synchronize_session=False)
        )
    else:
        # Back on: the reminders still ahead come back (and any never made are planned).
        occurrence_ids = db.session.scalars(
            sa.select(OutboxMessage.occurrence_id)
            .where(*theirs, OutboxMessage.cancel_reason == OPTED_OUT)
            .distinct()
        ).all()
        # ...and those never planned because the address was off when their date was planned.
        for occurrence_id in {*occurrence_ids, *upcoming_occurrence_ids(now)}:
            if occurrence_id is not None:
                request_planning(occurrence_id)
    audit.record(
        "notifications.preference", obj=preference, actor_id=None, now=now, reminders=enabled
    )


def preferences_url(email: str) -> str:
    return external_url("notifications.preferences", token=preference_token(email))


def unsubscribe_headers(email: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058 one-click unsubscribe: mail programs show a button for it."""
    url = external_url("notifications.unsubscribe", token=preference_token(email))
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# --- Rules -----------------------------------------------------------------------------------

_OFFSET = re.compile(r"^(\d{1,4})\s*(d|h|m|일|시간|분)$")
_UNIT_MINUTES = {"d": DAY, "일": DAY, "h": HOUR, "시간": HOUR, "m": 1, "분": 1}


def parse_offsets(text: str) -> list[int]:
    """ "7d, 1d, 2h" (or 7일, 2시간, 30분) as minutes, longest first; why not, if it cannot."""
    offsets = set()
    for part in re.split(r"[,\s]+", (text or "").strip().lower()):
        if not part:
            continue
        match = _OFFSET.match(part)
        if not match:
            raise InvalidInput(
                _(
                    '"%(part)s" is not a time before the event. Write for example 7d, 1d, 2h, 30m.',
                    part=part,
                )
            )
        minutes = int(match[1]) * _UNIT_MINUTES[match[2]]
        if not 0 < minutes <= MAX_OFFSET_MINUTES:
            raise InvalidInput(_("A reminder can be sent at most 60 days before."))
        offsets.add(minutes)
    return sorted(offsets, reverse=True)


def format_offsets(offsets: Iterable[int]) -> str:
    parts = []
    for minutes in sorted(offsets, reverse=True):
        if minutes % DAY == 0:
            parts.append(f"{minutes // DAY}d")
        elif minutes % HOUR == 0:
            parts.append(f"{minutes // HOUR}h")
        else:
            parts.append(f"{minutes}m")
    return ", ".join(parts)


def set_rules(
    series: EventSeries,
    *,
    rules: dict[Audience, list[int]],
    actor_id: int | None,
    now: datetime,
) -> None:
    """Replace a series' reminder rules; the pending reminders of its future dates follow
    (planned by the planner job after the commit)."""
    series_rules.store_rules(series.id, rules)
    for occurrence in _future_occurrences(now, series_id=series.id):
        request_planning(occurrence.id)
    audit.record(
        "series.reminders",
        obj=series,
        actor_id=actor_id,
        now=now,
        center_id=series.center_id,
        rules={a.value: offsets for a, offsets in rules.items()},
    )


# --- Planning reminders ----------------------------------------------------------------------


@dataclass
class PlannedReminder:
    key: str
    recipient: str
    locale: str
    template: str
    due_at: datetime
    expires_at: datetime
    # Called only for a reminder that is written or sent: planning runs on every booking and
    # answer, and most planned reminders exist already (links and tokens cost to build).
    context: Callable[[], dict[str, Any]]


def _stamp(moment: datetime) -> str:
    return f"{moment:%Y%m%dT%H%MZ}"


def _key(audience: Audience, subject: str, minutes: int, anchor: datetime) -> str:
    return f"reminder:{audience.value}:{subject}:{offset_code(minutes)}:{_stamp(anchor)}"


def _is_live(occurrence: Occurrence) -> bool:
    """Reminders exist for scheduled dates of published series (listed or not: an unlisted
    series still has its people)."""
    return (
        occurrence.status == OccurrenceStatus.scheduled
        and occurrence.series.status == SeriesStatus.published
    )


def plan_occurrence_reminders(occurrence: Occurrence) -> dict[str, PlannedReminder]:
    """Every reminder the rules ask for about `occurrence` as it is now, by key, whatever
    their due time."""
    if not _is_live(occurrence):
        return {}
    rules = series_rules.rules_of(occurrence.series_id)
    planned: dict[str, PlannedReminder] = {}

    def add(
        audience: Audience,
        subject: str,
        anchor: datetime,
        recipient: str | None,
        locale: str,
        template: str,
        context: Callable[[], dict[str, Any]],
    ) -> None:
        if not recipient:
            return
        context = cache(context)  # shared by the rule's offsets, built at most once
        for minutes in rules[audience]:
            key = _key(audience, subject, minutes, anchor)
            planned[key] = PlannedReminder(
                key=key,
                recipient=recipient,
                locale=locale,
                template=template,
                due_at=anchor - timedelta(minutes=minutes),
                expires_at=anchor,
                context=context,
            )

    if rules[Audience.startups] or rules[Audience.offer_expiry]:
        for booking in _bookings(occurrence.id):
            recipient, locale = booking.startup.mail_address, booking.startup.mail_locale
            if booking.status == BookingStatus.confirmed and booking.slot is not None:
                add(
                    Audience.startups,
                    f"booking:{booking.id}",
                    booking.slot.start_at,
                    recipient,
                    locale,
                    "notifications/reminder_startup",
                    partial(bookings.booking_context, booking),
                )
            elif booking.status == BookingStatus.offered and booking.offer_expires_at:
                add(
                    Audience.offer_expiry,
                    f"booking:{booking.id}",
                    booking.offer_expires_at,
                    recipient,
                    locale,
                    "notifications/reminder_offer",
                    partial(bookings.booking_context, booking),
                )
    if rules[Audience.investors] or rules[Audience.unanswered]:
        for invitation in invitations.invitations_of(occurrence.id):
            investor = invitation.investor
            if invitation.status == RsvpStatus.accepted:
                audience, template = Audience.investors, "notifications/reminder_investor"
            elif invitation.status == RsvpStatus.pending:
                audience, template = Audience.unanswered, "invitations/nudge"
            else:
                continue
            add(
                audience,
                f"invitation:{invitation.id}",
                occurrence.start_at,
                investor.email,
                investor.mail_locale,
                template,
                partial(invitations.invitation_context, invitation),
            )
    if rules[Audience.meetings]:
        for agenda in meetings.published_agendas(occurrence.id):
            add(
                Audience.meetings,
                agenda.key,
                agenda.first_starts_at,
                agenda.email,
                agenda.locale,
                "notifications/reminder_meetings",
                partial(meetings.agenda_mail_context, agenda),
            )
    if rules[Audience.organizers]:
        digest = cache(partial(_digest_context, occurrence))
        organizers = (u for u in occurrence.series.center.organizers if u.is_active_account)
        for user in organizers:
            add(
                Audience.organizers,
                f"occurrence:{occurrence.id}:user:{user.id}",
                occurrence.start_at,
                user.email,
                user.locale,
                "notifications/digest",
                digest,
            )
    return planned


def _bookings(occurrence_id: int) -> list[Booking]:
    return list(
        db.session.scalars(
            sa.select(Booking)
            .where(
                Booking.occurrence_id == occurrence_id,
                Booking.status.in_([BookingStatus.confirmed, BookingStatus.offered]),
            )
            .order_by(Booking.id)
        )
    )


def _digest_context(occurrence: Occurrence) -> dict[str, Any]:
    lineup = []
    for view in bookings.slot_grid(occurrence.id):
        booking = view.booking
        lineup.append(
            f"{view.slot.start_at.isoformat()}|{view.slot.end_at.isoformat()}|"
            f"{booking.startup.company_name if booking else ''}"
        )
    investors = [
        f"{i.investor.person_name} ({i.investor.firm})"
        for i in invitations.invitations_of(occurrence.id)
        if i.status == RsvpStatus.accepted
    ]
    return {
        **occurrence_mail_context(occurrence),
        "lineup": "\n".join(lineup),
        "investors": "\n".join(investors),
    }


def _context_for(planned: PlannedReminder) -> dict[str, Any]:
    return {**planned.context(), "preferences_url": preferences_url(planned.recipient)}


def _opted_out(emails: Iterable[str]) -> set[str]:
    """Which of these addresses turned reminders off (one query for a whole plan)."""
    wanted = {email.strip().lower() for email in emails}
    if not wanted:
        return set()
    return set(
        db.session.scalars(
            sa.select(NotificationPreference.email).where(
                NotificationPreference.email.in_(wanted),
                NotificationPreference.reminders_enabled.is_(False),
            )
        )
    )


def sync_occurrence_reminders(occurrence: Occurrence, *, now: datetime) -> int:
    """Make the pending reminders about `occurrence` match what the rules plan now: cancel
    the ones nobody plans any more, enqueue planned ones still ahead. Returns how many it
    enqueued."""
    db.session.flush()
    planned = plan_occurrence_reminders(occurrence)
    existing = {
        row.key: row
        for row in db.session.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.occurrence_id == occurrence.id,
                OutboxMessage.kind == MessageKind.reminder,
            )
        )
    }
    for key, row in existing.items():
        if row.status == OutboxStatus.pending and key not in planned:
            row.status, row.cancel_reason = OutboxStatus.cancelled, SUPERSEDED
    # A reminder whose moment passed before it was planned is never sent late.
    ahead = {key: reminder for key, reminder in planned.items() if reminder.due_at > now}
    opted_out = _opted_out(reminder.recipient for reminder in ahead.values())
    added = 0
    for key, reminder in ahead.items():
        if reminder.recipient.strip().lower() in opted_out:
            continue
        row = existing.get(key)
        if row is not None:
            if row.status == OutboxStatus.pending:
                _readdress(row, reminder)
            if row.status == OutboxStatus.cancelled and row.cancel_reason in REVIVABLE:
                # Wanted again: the text is refreshed anyway just before it is sent.
                row.status, row.cancel_reason, row.due_at = (
                    OutboxStatus.pending,
                    None,
                    reminder.due_at,
                )
            continue
        outbox.enqueue(
            key=key,
            kind=MessageKind.reminder,
            recipient=reminder.recipient,
            locale=reminder.locale,
            template=reminder.template,
            now=now,
            due_at=reminder.due_at,
            expires_at=reminder.expires_at,
            center_id=occurrence.series.center_id,
            occurrence_id=occurrence.id,
            headers=unsubscribe_headers(reminder.recipient),
            **_context_for(reminder),
        )
        added += 1
    return added


# pg_try_advisory_xact_lock(class, occurrence id): the claim on planning one occurrence.
PLANNING_LOCK_CLASS = 0x706C616E  # "plan"


def requested_occurrence_ids(*, limit: int = 500) -> list[int]:
    """Occurrences with a planning request, the longest waiting first."""
    first = sa.func.min(PlanningRequest.id)
    return list(
        db.session.scalars(
            sa.select(PlanningRequest.occurrence_id)
            .group_by(PlanningRequest.occurrence_id)
            .order_by(first)
            .limit(limit)
        )
    )


def plan_occurrence(occurrence_id: int, *, now: datetime, force: bool = False) -> bool:
    """Plan the reminders of one occurrence if it was requested (or `force`), in the caller's
    write transaction; False when there was nothing to do or another planner holds it.

    Single flight: on SQLite the caller's BEGIN IMMEDIATE already excludes every other writer;
    on PostgreSQL a transaction-level advisory lock per occurrence does, and a planner that
    cannot take it leaves the occurrence to the one that did. Only the requests read here are
    deleted, so a change committed while this plans stays requested for the next run.
    """
    if is_postgresql():
        claimed = db.session.scalar(
            sa.select(sa.func.pg_try_advisory_xact_lock(PLANNING_LOCK_CLASS, occurrence_id))
        )
        if not claimed:
            return False
    request_ids = list(
        db.session.scalars(
            sa.select(PlanningRequest.id).where(PlanningRequest.occurrence_id == occurrence_id)
        )
    )
    if not request_ids and not force:
        return False
    occurrence = db.session.get(Occurrence, occurrence_id)
    if occurrence is not None:
        sync_occurrence_reminders(occurrence, now=now)
    if request_ids:
        db.session.execute(sa.delete(PlanningRequest).where(PlanningRequest.id.in_(request_ids)))
    return True


def _readdress(row: OutboxMessage, planned: PlannedReminder) -> None:
    """A reminder goes to the person's address and language as they are now: a startup that
    corrected its contact address, an investor whose entry was corrected, a new language."""
    if row.recipient.strip().lower() != planned.recipient.strip().lower():
        row.recipient = planned.recipient
        row.headers = unsubscribe_headers(planned.recipient)
    if row.locale != planned.locale:
        row.locale = planned.locale


def check_reminder(message: OutboxMessage, now: datetime) -> str | None:
    """Just before sending: None if the reminder is still true (its text refreshed from the
    current data), else why it must not be sent."""
    occurrence = (
        db.session.get(Occurrence, message.occurrence_id) if message.occurrence_id else None
    )
    if occurrence is None:
        return "no longer applies: the occurrence is gone"
    planned = plan_occurrence_reminders(occurrence).get(message.key)
    if planned is None:
        return SUPERSEDED
    _readdress(message, planned)
    if not reminders_enabled(message.recipient):
        return OPTED_OUT
    outbox.rerender(message, **_context_for(planned))
    return None


def _future_occurrences(now: datetime, *, series_id: int | None = None) -> list[Occurrence]:
    query = sa.select(Occurrence).where(
        Occurrence.start_at > now, Occurrence.status == OccurrenceStatus.scheduled
    )
    if series_id is not None:
        query = query.where(Occurrence.series_id == series_id)
    else:
        query = query.where(Occurrence.start_at <= now + timedelta(minutes=MAX_OFFSET_MINUTES))
    return list(db.session.scalars(query.order_by(Occurrence.start_at)))


def upcoming_occurrence_ids(now: datetime) -> list[int]:
    """Occurrences close enough that a reminder about them may be due: the planner's work."""
    return [occurrence.id for occurrence in _future_occurrences(now)]


# --- Announcements ---------------------------------------------------------------------------


@dataclass
class AnnouncementRecipient:
    email: str
    locale: str
    name: str
    audience: AnnouncementAudience


def announcement_recipients(
    occurrence: Occurrence, audiences: Iterable[AnnouncementAudience]
) -> list[AnnouncementRecipient]:
    """Who an announcement to `audiences` reaches, each address once."""
    wanted = set(audiences)
    found: dict[str, AnnouncementRecipient] = {}
    if wanted & {AnnouncementAudience.startups, AnnouncementAudience.waitlist}:
        for booking in bookings.occurrence_bookings(occurrence.id):
            if booking.status == BookingStatus.confirmed:
                audience = AnnouncementAudience.startups
            elif booking.status in (BookingStatus.waitlisted, BookingStatus.offered):
                audience = AnnouncementAudience.waitlist
            else:
                continue
            if audience not in wanted:
                continue
            email, locale = booking.startup.mail_address, booking.startup.mail_locale
            if email:
                found.setdefault(
                    email.lower(),
                    AnnouncementRecipient(email, locale, booking.startup.company_name, audience),
                )
    if AnnouncementAudience.investors in wanted:
        for invitation in invitations.invitations_of(occurrence.id):
            if invitation.status == RsvpStatus.accepted:
                investor = invitation.investor
                found.setdefault(
                    investor.email.lower(),
                    AnnouncementRecipient(
                        investor.email,
                        investor.mail_locale,
                        investor.person_name,
                        AnnouncementAudience.investors,
                    ),
                )
    return list(found.values())


def announcement_context(announcement: Announcement, occurrence: Occurrence) -> dict[str, Any]:
    return {
        **occurrence_mail_context(occurrence),
        "subject_ko": announcement.subject_ko,
        "subject_en": announcement.subject_en or announcement.subject_ko,
        "body_ko": announcement.body_ko,
        "body_en": announcement.body_en or announcement.body_ko,
        "center_ko": occurrence.series.center.name_ko,
        "center_en": occurrence.series.center.name_en,
    }


def preview_announcement(
    occurrence: Occurrence, *, announcement: Announcement, locale: str
) -> tuple[str, str, str]:
    """Subject, text and HTML of the announcement as a recipient in `locale` would get it."""
    return outbox.render_email(
        "notifications/announcement",
        locale=locale,
        **announcement_context(announcement, occurrence),
    )


def send_announcement(
    occurrence: Occurrence,
    *,
    subject_ko: str,
    body_ko: str,
    subject_en: str,
    body_en: str,
    audiences: list[AnnouncementAudience],
    actor_id: int | None,
    now: datetime,
) -> Announcement:
    """Write one announcement message per recipient into the outbox."""
    if not audiences:
        raise InvalidInput(_("Choose who should receive the announcement."))
    if occurrence.end_at <= now:
        raise InvalidInput(_("This investor day is over; announcements can no longer be sent."))
    recipients = announcement_recipients(occurrence, audiences)
    if not recipients:
        raise InvalidInput(_("Nobody is in the chosen groups yet."))
    announcement = Announcement(
        occurrence_id=occurrence.id,
        subject_ko=subject_ko,
        body_ko=body_ko,
        subject_en=subject_en,
        body_en=body_en,
        audiences=[a.value for a in audiences],
        recipient_count=len(recipients),
        author_id=actor_id,
        created_at=now,
    )
    db.session.add(announcement)
    db.session.flush()
    context = announcement_context(announcement, occurrence)
    for recipient in recipients:
        outbox.enqueue(
            key=f"announcement:{announcement.id}:{recipient.email.lower()}",
            kind=MessageKind.announcement,
            recipient=recipient.email,
            locale=recipient.locale,
            template="notifications/announcement",
            now=now,
            center_id=occurrence.series.center_id,
            occurrence_id=occurrence.id,
            **context,
        )
    audit.record(
        "announcement.sent",
        obj=announcement,
        actor_id=actor_id,
        now=now,
        center_id=occurrence.series.center_id,
        recipients=len(recipients),
    )
    return announcement


def announcements_of(occurrence_id: int) -> list[Announcement]:
    return list(
        db.session.scalars(
            sa.select(Announcement)
            .where(Announcement.occurrence_id == occurrence_id)
            .order_by(Announcement.id.desc())
        )
    )


outbox.register_send_check(MessageKind.reminder, check_reminder)
