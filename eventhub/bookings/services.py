"""Booking use cases: slots, the intake, booking, applications, the waitlist, attendance.

Concurrency: every use case runs in a write transaction begun before it read anything (by the
request hook in `core.web` or a job's `unit_of_work`: BEGIN IMMEDIATE on SQLite); on
PostgreSQL rows are locked with SELECT ... FOR UPDATE where a decision reads a row it then
changes. The partial unique indexes on `booking` are the last guard: one
slot-holding booking per slot, one active booking per startup per occurrence. A request that
loses a race gets `SlotTaken` or `AlreadyBooked` (409) and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from eventhub.accounts.models import StartupProfile
from eventhub.bookings.models import (
    ACTIVE,
    ATTENDANCE,
    CANCELLABLE,
    SCREENABLE,
    SLOT_HOLDING,
    Booking,
    BookingStatus,
    BookingStatusChange,
    PitchSlot,
    can_transition,
)
from eventhub.centers.industries import industry_label
from eventhub.core import audit, outbox
from eventhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from eventhub.core.ics import booking_invitation
from eventhub.core.transactions import is_postgresql
from eventhub.core.urls import external_url
from eventhub.extensions import db
from eventhub.series.mail import occurrence_mail_context
from eventhub.series.models import BookingMode, Occurrence, OccurrenceStatus, WaitlistMode
from eventhub.series.planning import request_planning

# --- Errors ------------------------------------------------------------------------------


class SlotTaken(Conflict):
    message = _l("This slot was just taken by another startup. Please choose another one.")


class AlreadyBooked(Conflict):
    message = _l("You already have a booking or application for this investor day.")


class RegistrationClosed(Conflict):
    message = _l("Registration for this investor day is not open.")


class CutoffPassed(Conflict):
    message = _l("The deadline for cancelling or changing this booking has passed.")


class NotEligible(PermissionDenied):
    message = _l("This investor day is open to startups of other industries.")


class IntakeIncomplete(InvalidInput):
    message = _l("Please complete your intake questionnaire first.")


class SlotNotFound(NotFound):
    message = _l("This slot does not exist.")


class BookingNotFound(NotFound):
    message = _l("This booking does not exist.")


class WrongState(Conflict):
    message = _l("This booking cannot be changed that way any more.")


# --- The intake questionnaire ------------------------------------------------------------

BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
INTAKE_FIELDS = (
    "company_name",
    "business_registration_number",
    "founded_date",
    "industry",
    "stage",
    "amount_sought_krw",
    "one_liner",
    "description",
    "deck_url",
    "team_size",
    "contact_name",
    "contact_phone",
    "contact_email",
)
REQUIRED_INTAKE = (
    "company_name",
    "industry",
    "stage",
    "one_liner",
    "contact_name",
    "contact_email",
)


def normalize_brn(value: str) -> str:
    """A business registration number as its ten digits (dashes and spaces dropped)."""
    return re.sub(r"[\s-]", "", value or "")


def brn_is_valid(value: str) -> bool:
    """The Korean business registration number check digit (사업자등록번호 검증)."""
    digits = normalize_brn(value)
    if not re.fullmatch(r"\d{10}", digits):
        return False
    numbers = [int(d) for d in digits]
    total = sum(n * w for n, w in zip(numbers[:9], BRN_WEIGHTS, strict=True))
    total += numbers[8] * 5 // 10
    return (10 - total % 10) % 10 == numbers[9]


def intake_missing(profile: StartupProfile) -> list[str]:
    """The required intake fields that are still empty."""
    return [name for name in REQUIRED_INTAKE if not getattr(profile, name)]


def update_intake(profile: StartupProfile, *, now: datetime, **answers: Any) -> StartupProfile:
    """Save the startup's intake answers (the form has validated them)."""
    for name in INTAKE_FIELDS:
        if name in answers:
            setattr(profile, name, answers[name])
    if profile.business_registration_number:
        profile.business_registration_number = normalize_brn(profile.business_registration_number)
    profile.updated_at = now
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise InvalidInput(
            _("Another startup is already registered with this business registration number.")
        ) from exc
    return profile


def intake_snapshot(profile: StartupProfile) -> dict[str, Any]:
    """The intake answers as plain JSON, kept with every booking."""
    snapshot = {}
    for name in INTAKE_FIELDS:
        value = getattr(profile, name)
        snapshot[name] = (
            value.isoformat()
            if hasattr(value, "isoformat")
            else (value.value if hasattr(value, "value") else value)
        )
    return snapshot


# --- Slots ---------------------------------------------------------------------------------


def layout_times(occurrence: Occurrence) -> list[tuple[datetime, datetime]]:
    """The slot windows the series' layout gives for an occurrence."""
    series = occurrence.series
    start = occurrence.start_at + timedelta(minutes=series.session_offset_minutes)
    windows = []
    for index in range(series.slot_count):
        end = start + timedelta(minutes=series.slot_minutes)
        windows.append((start, end))
        start = end + timedelta(minutes=series.gap_minutes)
        if series.break_every and (index + 1) % series.break_every == 0:
            start += timedelta(minutes=series.break_minutes)
    return windows


def create_slots(occurrence: Occurrence) -> list[PitchSlot]:
    """Give a new occurrence the slots of its series' layout."""
    slots = [
        PitchSlot(occurrence=occurrence, position=i, start_at=start, end_at=end)
        for i, (start, end) in enumerate(layout_times(occurrence), start=1)
    ]
    db.session.add_all(slots)
    return slots


def slots_of(occurrence_id: int) -> list[PitchSlot]:
    return list(
        db.session.scalars(
            sa.select(PitchSlot)
            .where(PitchSlot.occurrence_id == occurrence_id)
            .order_by(PitchSlot.start_at, PitchSlot.position)
        )
    )


def holders(occurrence_id: int) -> dict[int, Booking]:
    """slot id -> the booking that holds it."""
    rows = db.session.scalars(
        sa.select(Booking).where(
            Booking.occurrence_id == occurrence_id, Booking.status.in_(SLOT_HOLDING)
        )
    )
    return {b.slot_id: b for b in rows}


@dataclass
class SlotView:
    slot: PitchSlot
    booking: Booking | None

    @property
    def state(self) -> str:
        if self.slot.is_blocked:
            return "blocked"
        return "held" if self.booking else "free"


def slot_grid(occurrence_id: int) -> list[SlotView]:
    held = holders(occurrence_id)
    return [SlotView(slot, held.get(slot.id)) for slot in slots_of(occurrence_id)]


def free_slots(occurrence_id: int) -> list[PitchSlot]:
    return [v.slot for v in slot_grid(occurrence_id) if v.state == "free"]


def shift_slots(occurrence_id: int, delta: timedelta) -> None:
    """Move every pitch slot of an occurrence by `delta`, keeping the layout."""
    if not delta:
        return
    for slot in slots_of(occurrence_id):
        slot.start_at += delta
        slot.end_at += delta


def _slot_for_update(slot_id: int) -> PitchSlot:
    query = sa.select(PitchSlot).where(PitchSlot.id == slot_id)
    if is_postgresql():
        query = query.with_for_update()
    slot = db.session.scalar(query)
    if slot is None:
        raise SlotNotFound()
    return slot


def add_slot(occurrence: Occurrence, *, actor_id: int | None, now: datetime) -> PitchSlot:
    """Add a slot after the last one, as long as the layout's slots are."""
    slots = slots_of(occurrence.id)
    series = occurrence.series
    length = timedelta(minutes=series.slot_minutes)
    start = (
        slots[-1].end_at + timedelta(minutes=series.gap_minutes)
        if slots
        else (occurrence.start_at + timedelta(minutes=series.session_offset_minutes))
    )
    position = max((s.position for s in slots), default=0) + 1
    slot = PitchSlot(
        occurrence=occurrence, position=position, start_at=start, end_at=start + length
    )
    db.session.add(slot)
    db.session.flush()
    audit.record("slot.added", obj=slot, actor_id=actor_id, now=now, center_id=series.center_id)
    fill_freed_slot(slot, actor_id=actor_id, now=now)
    return slot


def remove_slot(slot: PitchSlot, *, actor_id: int | None, now: datetime) -> None:
    """Remove a slot that nobody holds (move its startup first)."""
    slot = _slot_for_update(slot.id)
    if holders(slot.occurrence_id).get(slot.id) is not None:
        raise Conflict(_("A startup holds this slot. Move it to another slot first."))
    if db.session.scalar(sa.select(Booking.id).where(Booking.slot_id == slot.id)) is not None:
        # History refers to the slot: keep it, blocked, instead of deleting.
        slot.is_blocked, slot.blocked_reason = True, _("Removed")
    else:
        db.session.delete(slot)
    audit.record(
        "slot.removed", obj=slot, actor_id=actor_id, now=now,
        center_id=slot.occurrence.series.center_id,
    )  # fmt: skip


def block_slot(slot: PitchSlot, *, reason: str, actor_id: int | None, now: datetime) -> None:
    """Block a free slot with a reason (a break, a sponsor talk)."""
    slot = _slot_for_update(slot.id)
    if not reason.strip():
        raise InvalidInput(_("Give a reason for blocking the slot."))
    if holders(slot.occurrence_id).get(slot.id) is not None:
        raise Conflict(_("A startup holds this slot. Move it to another slot first."))
    slot.is_blocked, slot.blocked_reason = True, reason.strip()
    audit.record("slot.blocked", obj=slot, actor_id=actor_id, now=now, reason=reason)


def unblock_slot(slot: PitchSlot, *, actor_id: int | None, now: datetime) -> None:
    slot = _slot_for_update(slot.id)
    slot.is_blocked, slot.blocked_reason = False, None
    audit.record("slot.unblocked", obj=slot, actor_id=actor_id, now=now)
    fill_freed_slot(slot, actor_id=actor_id, now=now)


def shift_session(
    occurrence: Occurrence, *, minutes: int, actor_id: int | None, now: datetime
) -> None:
    """Move the whole pitch session by `minutes`; it must stay inside the occurrence."""
    slots = slots_of(occurrence.id)
    if not slots or not minutes:
        return
    delta = timedelta(minutes=minutes)
    if (
        slots[0].start_at + delta < occurrence.start_at
        or slots[-1].end_at + delta > occurrence.end_at
    ):
        raise InvalidInput(_("The pitch session must stay within the event's time."))
    shift_slots(occurrence.id, delta)
    request_planning(occurrence.id)
    audit.record("slots.shifted", obj=occurrence, actor_id=actor_id, now=now, minutes=minutes)


# --- Messages --------------------------------------------------------------------------------


def booking_context(booking: Booking) -> dict[str, Any]:
    """What the booking and reminder templates show about a booking."""
    return {
        **occurrence_mail_context(booking.occurrence),
        "booking_id": booking.id,
        "company": booking.startup.company_name,
        "slot_start_at": booking.slot.start_at.isoformat() if booking.slot else "",
        "slot_end_at": booking.slot.end_at.isoformat() if booking.slot else "",
        "offer_expires_at": (
            booking.offer_expires_at.isoformat() if booking.offer_expires_at else ""
        ),
        "bookings_url": external_url("bookings.mine"),
    }


def _notify(
    booking: Booking,
    event: str,
    *,
    now: datetime,
    method: str | None = None,
    key: str | None = None,
) -> None:
    """Write the message about `event` into the outbox, with a calendar part if it has one.
    (Reminders follow through the planning request the status change made.)"""
    occurrence = booking.occurrence
    recipient = booking.startup.mail_address
    if not recipient:
        return
    message = outbox.enqueue(
        key=key or f"booking:{booking.id}:{event}:{len(booking.history)}",
        recipient=recipient,
        locale=booking.startup.mail_locale,
        template=f"bookings/{event}",
        now=now,
        center_id=occurrence.series.center_id,
        occurrence_id=occurrence.id,
        **booking_context(booking),
        reason=(
            occurrence.cancel_reason or ""
            if event == "occurrence_cancelled"
            else (booking.history[-1].reason or "" if booking.history else "")
        ),
    )
    if method is not None and booking.slot is not None:
        message.attachments = [
            {
                "filename": "invite.ics",
                "content_type": f"text/calendar; method={method}",
                "content": booking_invitation(booking, method=method),
            }
        ]


def notify_occurrence_change(
    occurrence: Occurrence, *, method: str, change_id: int, now: datetime
) -> int:
    """Send every startup holding a slot the updated invitation (REQUEST) or the cancellation."""
    sent = 0
    for view in slot_grid(occurrence.id):
        booking = view.booking
        if booking is None:
            continue
        event = "occurrence_cancelled" if method == "CANCEL" else "occurrence_changed"
        _notify(
            booking,
            event,
            now=now,
            method=method,
            key=f"occurrence-change:{change_id}:booking:{booking.id}",
        )
        sent += 1
    return sent


def _change(
    booking: Booking,
    to_status: BookingStatus,
    *,
    actor_id: int | None,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Set a status and keep it in the history: who, when, from what, to what, why. The one
    place a status changes through the ORM: a change the lifecycle does not allow is refused,
    and the occurrence's reminders are planned again after the commit."""
    from_status = booking.status if booking.id is not None else None
    if not can_transition(from_status, to_status):
        raise WrongState()
    request_planning(booking.occurrence.id)
    if from_status in SLOT_HOLDING or to_status in SLOT_HOLDING:
        _mark_lineup_changed(booking.occurrence, now)
    booking.history.append(
        BookingStatusChange(
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            actor_id=actor_id,
            changed_at=now,
        )
    )
    booking.status = to_status
    booking.updated_at = now


def _mark_lineup_changed(occurrence: Occurrence, now: datetime) -> None:
    """After the line-up was published, investors see that it changed."""
    if occurrence is not None and occurrence.lineup_published_at is not None:
        occurrence.lineup_changed_at = now


def _new_booking(occurrence: Occurrence, startup: StartupProfile, **fields: Any) -> Booking:
    booking = Booking(
        occurrence=occurrence,
        startup=startup,
        intake_snapshot=intake_snapshot(startup),
        history=[],
        **fields,
    )
    db.session.add(booking)
    return booking


def _flush_or_conflict(*, slot_race: bool = True) -> None:
    """Let the partial unique indexes decide a race, and name the loser's problem."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        text = str(exc.orig)
        if "uq_booking_startup_active" in text or "booking.startup_id" in text:
            raise AlreadyBooked() from exc
        if slot_race and ("uq_booking_slot_holding" in text or "booking.slot_id" in text):
            raise SlotTaken() from exc
        raise


# --- Startups: book, apply, wait, cancel, switch ---------------------------------------------


def _check_can_register(occurrence: Occurrence, startup: StartupProfile, now: datetime) -> None:
    if not occurrence.registration_is_open(now):
        raise RegistrationClosed()
    missing = intake_missing(startup)
    if missing:
        raise IntakeIncomplete()
    eligible = occurrence.series.eligible_industries
    if eligible and startup.industry not in eligible:
        raise NotEligible(
            _(
                "This investor day is open to these industries only: %(list)s.",
                list=", ".join(industry_label(code) for code in eligible),
            )
        )
    active = db.session.scalar(
        sa.select(Booking.id).where(
            Booking.occurrence_id == occurrence.id,
            Booking.startup_id == startup.id,
            Booking.status.in_(ACTIVE),
        )
    )
    if active is not None:
        raise AlreadyBooked()


def book_slot(
    slot: PitchSlot, *, startup: StartupProfile, actor_id: int | None, now: datetime
) -> Booking:
    """Confirm `startup` into `slot` (first come, first served), or raise why not."""
    slot = _slot_for_update(slot.id)
    occurrence = slot.occurrence
    if occurrence.series.booking_mode != BookingMode.first_come:
        raise InvalidInput(_("This investor day takes applications; apply instead."))
    _check_can_register(occurrence, startup, now)
    if slot.is_blocked:
        raise InvalidInput(_("This slot is blocked and cannot be booked."))
    if holders(occurrence.id).get(slot.id) is not None:
        raise SlotTaken()
    booking = _new_booking(occurrence, startup, slot=slot, status=BookingStatus.confirmed)
    _change(booking, BookingStatus.confirmed, actor_id=actor_id, now=now)
    _flush_or_conflict()
    _notify(booking, "confirmed", now=now, method="REQUEST")
    return booking


def apply_for(
    occurrence: Occurrence,
    *,
    startup: StartupProfile,
    preferred_slot_ids: Iterable[int] = (),
    actor_id: int | None,
    now: datetime,
) -> Booking:
    """Apply for an occurrence that screens its startups, optionally naming slots."""
    if occurrence.series.booking_mode != BookingMode.application:
        raise InvalidInput(_("This investor day books directly; choose a free slot instead."))
    _check_can_register(occurrence, startup, now)
    valid = {s.id for s in slots_of(occurrence.id)}
    preferred = [int(i) for i in preferred_slot_ids]
    if any(i not in valid for i in preferred):
        raise SlotNotFound()
    booking = _new_booking(
        occurrence, startup, status=BookingStatus.applied, preferred_slot_ids=preferred or None
    )
    _change(booking, BookingStatus.applied, actor_id=actor_id, now=now)
    _flush_or_conflict(slot_race=False)
    _notify(booking, "applied", now=now)
    return booking


def join_waitlist(
    occurrence: Occurrence, *, startup: StartupProfile, actor_id: int | None, now: datetime
) -> Booking:
    """Queue for a full occurrence."""
    _check_can_register(occurrence, startup, now)
    if free_slots(occurrence.id):
        raise InvalidInput(_("There are free slots: book one instead of waiting."))
    booking = _new_booking(occurrence, startup, status=BookingStatus.waitlisted, queued_at=now)
    _change(booking, BookingStatus.waitlisted, actor_id=actor_id, now=now)
    _flush_or_conflict(slot_race=False)
    _notify(booking, "waitlisted", now=now)
    return booking


def waitlist(occurrence_id: int) -> list[Booking]:
    """The waitlist in order: carried-over entries first, then by the time they joined."""
    return list(
        db.session.scalars(
            sa.select(Booking)
            .where(
                Booking.occurrence_id == occurrence_id, Booking.status == BookingStatus.waitlisted
            )
            .order_by(Booking.queue_priority, Booking.queued_at, Booking.id)
        )
    )


def waitlist_position(booking: Booking) -> int | None:
    """1 for the first in line; None when not waitlisted."""
    if booking.status != BookingStatus.waitlisted:
        return None
    return [b.id for b in waitlist(booking.occurrence_id)].index(booking.id) + 1


def get_booking(booking_id: int, *, startup: StartupProfile | None = None) -> Booking:
    """A booking by id; another startup's booking looks exactly like a missing one."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or (startup is not None and booking.startup_id != startup.id):
        raise BookingNotFound()
    return booking


def _lock(booking: Booking) -> Booking:
    if is_postgresql():
        db.session.execute(sa.select(Booking.id).where(Booking.id == booking.id).with_for_update())
        db.session.refresh(booking)
    return booking


def cancel_booking(
    booking: Booking,
    *,
    actor_id: int | None,
    now: datetime,
    by_organizer: bool = False,
    reason: str | None = None,
) -> Booking:
    """Cancel a booking, application or waitlist place; a freed slot goes to the waitlist."""
    booking = _lock(booking)
    occurrence = booking.occurrence
    if booking.status not in CANCELLABLE:
        raise WrongState()
    if occurrence.start_at <= now:
        raise WrongState(_("This investor day has started; bookings can no longer be cancelled."))
    if not by_organizer and now >= occurrence.cutoff_at:
        raise CutoffPassed()
    if by_organizer and not (reason or "").strip():
        raise InvalidInput(_("Give a reason; the startup will see it."))
    freed = booking.slot if booking.status in SLOT_HOLDING else None
    _change(booking, BookingStatus.cancelled, actor_id=actor_id, now=now, reason=reason)
    db.session.flush()
    _notify(booking, "cancelled", now=now, method="CANCEL" if freed else None)
    if freed is not None:
        fill_freed_slot(freed, actor_id=actor_id, now=now)
    return booking


def switch_slot(
    booking: Booking,
    new_slot: PitchSlot,
    *,
    actor_id: int | None,
    now: datetime,
    by_organizer: bool = False,
) -> Booking:
    """Move a confirmed booking to another free slot of the same occurrence, atomically:
    the startup holds the new slot, or keeps the old one."""
    booking = _lock(booking)
    new_slot = _slot_for_update(new_slot.id)
    occurrence = booking.occurrence
    if new_slot.occurrence_id != booking.occurrence_id:
        raise SlotNotFound()
    if booking.status != BookingStatus.confirmed:
        raise WrongState()
    if occurrence.start_at <= now:
        raise WrongState(_("This investor day has started; bookings can no longer be changed."))
    if not by_organizer and now >= occurrence.cutoff_at:
        raise CutoffPassed()
    if new_slot.is_blocked:
        raise InvalidInput(_("This slot is blocked and cannot be booked."))
    if new_slot.id == booking.slot_id:
        return booking
    if holders(occurrence.id).get(new_slot.id) is not None:
        raise SlotTaken()
    old_slot = booking.slot
    booking.slot = new_slot
    reason = _(
        "Moved from slot %(old)d to slot %(new)d.", old=old_slot.position, new=new_slot.position
    )
    _change(booking, BookingStatus.confirmed, actor_id=actor_id, now=now, reason=reason)
    _flush_or_conflict()
    _notify(booking, "moved", now=now, method="REQUEST")
    fill_freed_slot(old_slot, actor_id=actor_id, now=now)
    return booking


def accept_offer(booking: Booking, *, actor_id: int | None, now: datetime) -> Booking:
    """Take the slot a waitlist offer holds, before the offer expires."""
    booking = _lock(booking)
    if booking.status != BookingStatus.offered:
        raise WrongState()
    if booking.offer_expires_at is not None and booking.offer_expires_at <= now:
        raise WrongState(_("This offer has expired."))
    booking.offer_expires_at = None
    _change(booking, BookingStatus.confirmed, actor_id=actor_id, now=now)
    db.session.flush()
    _notify(booking, "confirmed", now=now, method="REQUEST")
    return booking


# --- The waitlist ----------------------------------------------------------------------------


def fill_freed_slot(slot: PitchSlot, *, actor_id: int | None, now: datetime) -> Booking | None:
    """Give a freed slot to the first eligible startup on the waitlist, exactly once.

    One conditional UPDATE per candidate decides: if a concurrent transaction took the same
    startup first, the UPDATE changes no row and the next one in line is tried.
    """
    occurrence = slot.occurrence
    if slot.is_blocked or occurrence.start_at <= now or occurrence.is_cancelled:
        return None
    if holders(occurrence.id).get(slot.id) is not None:
        return None
    series = occurrence.series
    eligible = series.eligible_industries
    offer = series.waitlist_mode == WaitlistMode.offer
    table = Booking.__table__
    for candidate in waitlist(occurrence.id):
        if eligible and candidate.startup.industry not in eligible:
            continue
        new_status = BookingStatus.offered if offer else BookingStatus.confirmed
        expires = now + timedelta(hours=series.offer_hold_hours) if offer else None
        result = db.session.execute(
            sa.update(table)
            .where(table.c.id == candidate.id, table.c.status == BookingStatus.waitlisted.value)
            .values(
                status=new_status.value,
                slot_id=slot.id,
                offer_expires_at=expires,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue
        db.session.refresh(candidate)
        request_planning(occurrence.id)
        _mark_lineup_changed(occurrence, now)
        candidate.history.append(
            BookingStatusChange(
                from_status=BookingStatus.waitlisted,
                to_status=new_status,
                reason=_("A slot became free."),
                actor_id=actor_id,
                changed_at=now,
            )
        )
        _flush_or_conflict()
        _notify(
            candidate, "offered" if offer else "confirmed", now=now,
            method=None if offer else "REQUEST",
        )  # fmt: skip
        return candidate
    return None


def offers_to_expire(*, now: datetime) -> list[int]:
    """The bookings whose waitlist offer ran out by `now`."""
    return list(
        db.session.scalars(
            sa.select(Booking.id)
            .where(Booking.status == BookingStatus.offered, Booking.offer_expires_at <= now)
            .order_by(Booking.offer_expires_at, Booking.id)
        )
    )


def expire_offer(booking_id: int, *, now: datetime) -> bool:
    """Expire one offer whose hold ran out; its slot goes to the next in line. False when it
    was taken or cancelled meanwhile."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        return False
    booking = _lock(booking)
    if booking.status != BookingStatus.offered or booking.offer_expires_at > now:
        return False
    slot = booking.slot
    _change(booking, BookingStatus.expired, actor_id=None, now=now,
            reason=_("The offer was not taken in time."))  # fmt: skip
    db.session.flush()
    _notify(booking, "expired", now=now)
    fill_freed_slot(slot, actor_id=None, now=now)
    return True


# --- Organizers ----------------------------------------------------------------------------


def approve(
    booking: Booking, *, slot: PitchSlot | None, actor_id: int | None, now: datetime
) -> Booking:
    """Accept an application, into a slot or (without one) as approved and waiting."""
    booking = _lock(booking)
    if booking.status not in SCREENABLE:
        raise WrongState()
    booking.screened_at, booking.screened_by_id = now, actor_id
    if slot is None:
        _change(booking, BookingStatus.approved, actor_id=actor_id, now=now)
        db.session.flush()
        _notify(booking, "approved", now=now)
        return booking
    slot = _slot_for_update(slot.id)
    if slot.occurrence_id != booking.occurrence_id:
        raise SlotNotFound()
    if slot.is_blocked:
        raise InvalidInput(_("This slot is blocked and cannot be booked."))
    if holders(booking.occurrence_id).get(slot.id) is not None:
        raise SlotTaken()
    booking.slot = slot
    _change(booking, BookingStatus.confirmed, actor_id=actor_id, now=now)
    _flush_or_conflict()
    _notify(booking, "confirmed", now=now, method="REQUEST")
    return booking


def reject(booking: Booking, *, reason: str, actor_id: int | None, now: datetime) -> Booking:
    """Turn an application down with a reason the startup sees."""
    booking = _lock(booking)
    if booking.status not in SCREENABLE:
        raise WrongState()
    if not reason.strip():
        raise InvalidInput(_("Give a reason; the startup will see it."))
    booking.screened_at, booking.screened_by_id = now, actor_id
    _change(booking, BookingStatus.rejected, actor_id=actor_id, now=now, reason=reason.strip())
    db.session.flush()
    _notify(booking, "rejected", now=now)
    return booking


def mark_attendance(
    booking: Booking, *, attended: bool, actor_id: int | None, now: datetime
) -> Booking:
    """After the event started: attended or no-show."""
    booking = _lock(booking)
    if booking.occurrence.start_at > now:
        raise InvalidInput(_("Attendance can be marked once the event has started."))
    if booking.status not in (BookingStatus.confirmed, *ATTENDANCE):
        raise WrongState()
    target = BookingStatus.attended if attended else BookingStatus.no_show
    if booking.status != target:
        _change(booking, target, actor_id=actor_id, now=now)
    return booking


def carry_over(booking: Booking, *, actor_id: int | None, now: datetime) -> Booking:
    """Move an approved application or a waitlist place to the next occurrence of the series,
    with its screening kept and its place at the head of that waitlist."""
    booking = _lock(booking)
    if booking.status not in (
        BookingStatus.approved,
        BookingStatus.waitlisted,
        BookingStatus.applied,
    ):
        raise WrongState()
    current = booking.occurrence
    following = db.session.scalar(
        sa.select(Occurrence)
        .where(
            Occurrence.series_id == current.series_id,
            Occurrence.start_at > max(current.start_at, now),
            Occurrence.status == OccurrenceStatus.scheduled,
        )
        .order_by(Occurrence.start_at)
    )
    if following is None:
        raise InvalidInput(_("This series has no next occurrence to carry the application to."))
    to_day = following.starts_at_local.strftime("%Y-%m-%d")
    reason = _("Carried over to %(date)s.", date=to_day)
    _change(booking, BookingStatus.carried_over, actor_id=actor_id, now=now, reason=reason)
    db.session.flush()
    new = _new_booking(
        following,
        booking.startup,
        status=BookingStatus.waitlisted,
        queue_priority=0,
        queued_at=booking.queued_at or booking.created_at,
        screened_at=booking.screened_at,
        screened_by_id=booking.screened_by_id,
        carried_from_id=booking.id,
        preferred_slot_ids=None,
    )
    new.intake_snapshot = dict(booking.intake_snapshot or {})
    reason = _("Carried over from %(date)s.", date=current.starts_at_local.strftime("%Y-%m-%d"))
    _change(new, BookingStatus.waitlisted, actor_id=actor_id, now=now, reason=reason)
    _flush_or_conflict(slot_race=False)
    _notify(new, "carried_over", now=now)
    free = free_slots(following.id)
    if free:
        fill_freed_slot(free[0], actor_id=actor_id, now=now)
    return new


def occurrence_bookings(occurrence_id: int) -> list[Booking]:
    """Every booking of an occurrence, in the order they were made."""
    return list(
        db.session.scalars(
            sa.select(Booking).where(Booking.occurrence_id == occurrence_id).order_by(Booking.id)
        )
    )


def active_booking_counts(occurrence_ids: Iterable[int]) -> dict[int, int]:
    """How many active bookings (applied, confirmed, waitlisted...) each occurrence has."""
    ids = list(occurrence_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Booking.occurrence_id, sa.func.count())
        .where(Booking.occurrence_id.in_(ids), Booking.status.in_(ACTIVE))
        .group_by(Booking.occurrence_id)
    )
    return dict(rows.tuples().all())


def has_any_booking(occurrence_id: int) -> bool:
    """True when any booking, whatever its status, refers to the occurrence."""
    return (
        db.session.scalar(sa.select(Booking.id).where(Booking.occurrence_id == occurrence_id))
        is not None
    )


def active_booking_of(occurrence_id: int, startup: StartupProfile) -> Booking | None:
    """The startup's live booking, application or waitlist place for an occurrence."""
    return db.session.scalar(
        sa.select(Booking).where(
            Booking.occurrence_id == occurrence_id,
            Booking.startup_id == startup.id,
            Booking.status.in_(ACTIVE),
        )
    )


def startup_of(user: Any) -> StartupProfile | None:
    """The startup profile of a signed-in startup user."""
    return getattr(user, "startup_profile", None)
