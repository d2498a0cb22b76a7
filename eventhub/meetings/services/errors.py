"""What the meeting rules refuse, with messages fit for a person."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from eventhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class RequestsClosed(Conflict):
    message = _l(
        "Meeting requests are not open: they open when the line-up is published and close "
        "at the session's request deadline."
    )


class NotParticipant(PermissionDenied):
    message = _l(
        "Only investors who accepted the invitation and startups registered for this date "
        "take part in its meetings."
    )


class RequestNotFound(NotFound):
    message = _l("This meeting request does not exist.")


class SessionNotFound(NotFound):
    message = _l("This date has no one-to-one meetings.")


class CannotPlace(Conflict):
    message = _l("The meeting cannot go there: a person or the table is already taken then.")


class ScheduleLocked(Conflict):
    message = _l("The meetings have started: the schedule can no longer change.")


class SessionShapeLocked(InvalidInput):
    message = _l(
        "Meetings are already scheduled: remove them (clear the schedule) before changing "
        "the times, the meeting length or the number of tables."
    )


class NotSolved(Conflict):
    message = _l("The solver found no schedule in time. Please try again.")
