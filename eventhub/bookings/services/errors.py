"""What a booking use case answers when a rule says no (each with a message fit for a
person and an HTTP status)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from eventhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied


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


class NotListed(NotFound):
    message = _l("This investor day does not exist or is not open to the public.")


class WrongState(Conflict):
    message = _l("This booking cannot be changed that way any more.")
