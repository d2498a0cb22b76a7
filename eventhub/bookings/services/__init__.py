"""Booking use cases, one module per job: `startups` (book, apply, wait, cancel, switch),
`waitlist`, `screening` and `slot_admin` (organizers), `slots` (layout and grid), `messages`
(what a booking sends), `lifecycle` (the one place a status changes) and `errors`. The intake
questionnaire lives next to the startup profile: use `eventhub.accounts.intake` for it.

Callers use this package's names (`from eventhub.bookings import services as bookings`).

Concurrency: every use case runs in a write transaction begun before it read anything (by the
request hook in `core.web` or a job's `unit_of_work`: BEGIN IMMEDIATE on SQLite); on
PostgreSQL rows are locked with SELECT ... FOR UPDATE where a decision reads a row it then
changes. The partial unique indexes on `booking` are the last guard: one slot-holding booking
per slot, one active booking per startup per occurrence. A request that loses a race gets
`SlotTaken` or `AlreadyBooked` (409) and changes nothing.
"""

from __future__ import annotations

from eventhub.bookings.services.errors import (
    AlreadyBooked,
    BookingNotFound,
    CutoffPassed,
    IntakeIncomplete,
    NotEligible,
    NotListed,
    RegistrationClosed,
    SlotNotFound,
    SlotTaken,
    WrongState,
)
from eventhub.bookings.services.lifecycle import (
    active_booking_counts,
    active_booking_of,
    get_booking,
    has_any_booking,
    occurrence_bookings,
    startup_of,
)
from eventhub.bookings.services.messages import (
    booking_context,
    notify_occurrence_change,
)
from eventhub.bookings.services.screening import (
    BULK_VERBS,
    approve,
    carry_over,
    mark_attendance,
    preferred_free_slot,
    reject,
    score_application,
    screen_many,
    waitlist_application,
)
from eventhub.bookings.services.slot_admin import (
    add_slot,
    block_slot,
    remove_slot,
    shift_session,
    unblock_slot,
)
from eventhub.bookings.services.slots import (
    SlotState,
    SlotView,
    create_slots,
    free_slots,
    holders,
    is_held,
    layout_times,
    shift_slots,
    slot_grid,
    slot_rows,
    slots_of,
    taken_on_listed_date,
)
from eventhub.bookings.services.startups import (
    accept_offer,
    apply_for,
    book_slot,
    bookings_of_startup,
    cancel_booking,
    join_waitlist,
    switch_slot,
)
from eventhub.bookings.services.waitlist import (
    expire_offer,
    fill_freed_slot,
    offers_to_expire,
    waitlist,
    waitlist_position,
)

__all__ = [
    "BULK_VERBS",
    "AlreadyBooked",
    "BookingNotFound",
    "CutoffPassed",
    "IntakeIncomplete",
    "NotEligible",
    "NotListed",
    "RegistrationClosed",
    "SlotNotFound",
    "SlotState",
    "SlotTaken",
    "SlotView",
    "WrongState",
    "accept_offer",
    "active_booking_counts",
    "active_booking_of",
    "add_slot",
    "apply_for",
    "approve",
    "block_slot",
    "book_slot",
    "booking_context",
    "bookings_of_startup",
    "cancel_booking",
    "carry_over",
    "create_slots",
    "expire_offer",
    "fill_freed_slot",
    "free_slots",
    "get_booking",
    "has_any_booking",
    "holders",
    "is_held",
    "join_waitlist",
    "layout_times",
    "mark_attendance",
    "notify_occurrence_change",
    "occurrence_bookings",
    "offers_to_expire",
    "preferred_free_slot",
    "reject",
    "remove_slot",
    "score_application",
    "screen_many",
    "shift_session",
    "shift_slots",
    "slot_grid",
    "slot_rows",
    "slots_of",
    "startup_of",
    "switch_slot",
    "taken_on_listed_date",
    "unblock_slot",
    "waitlist",
    "waitlist_application",
    "waitlist_position",
]
