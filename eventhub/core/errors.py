"""Domain errors: raised by services, carrying a message fit for a person."""

from __future__ import annotations

from flask_babel import lazy_gettext


class DomainError(Exception):
    """A rule said no. ``message`` is shown to the person; ``status`` is the HTTP answer."""

    status = 400
    message = lazy_gettext("That could not be done.")

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        # Not str(): translating reads the person's language, and a rule may say no right
        # after a failed flush, while the session cannot be used until it is rolled back.
        super().__init__(self.message)


class InvalidInput(DomainError):
    """What was entered cannot be used; the message says why."""

    status = 422
    message = lazy_gettext("Please check what you entered.")


class TextTooLong(InvalidInput):
    """Text longer than its column allows (the forms say so first; this is the last guard)."""

    def __init__(self, longest: int) -> None:
        super().__init__(
            lazy_gettext("This text is too long: at most %(max)s characters.", max=longest)
        )


class NotFound(DomainError):
    status = 404
    message = lazy_gettext("This page does not exist.")


class PermissionDenied(DomainError):
    status = 403
    message = lazy_gettext("You do not have permission to do this.")


class Conflict(DomainError):
    status = 409
    message = lazy_gettext("Someone else changed this at the same time. Please try again.")


class ConfigError(Exception):
    """The configuration cannot work; the message says what to fix."""
