"""Every model, imported in one place so that SQLAlchemy and Alembic see the whole schema."""

from __future__ import annotations

from sqlalchemy.orm import joinedload

from eventhub.accounts.models import (
    InvestorProfile,
    PasswordResetToken,
    Role,
    StartupProfile,
    User,
    investor_center,
)
from eventhub.bookings.models import Booking, BookingStatusChange, PitchSlot
from eventhub.centers.models import Center, OrganizerMembership
from eventhub.core.audit import AuditLog
from eventhub.core.outbox import OutboxMessage
from eventhub.core.security import is_id
from eventhub.extensions import db
from eventhub.feeds.models import FeedChange, FeedToken
from eventhub.invitations.models import FollowUp, Invitation, Outcome
from eventhub.meetings.models import (
    Meeting,
    MeetingRequest,
    MeetingSession,
    PersonalLimit,
    Unavailability,
)
from eventhub.notifications.models import Announcement, NotificationPreference
from eventhub.series.models import (
    EventSeries,
    Occurrence,
    OccurrenceChange,
    PlanningRequest,
    ReminderRule,
    SkippedOccurrence,
)

__all__ = [
    "Announcement",
    "AuditLog",
    "Booking",
    "BookingStatusChange",
    "Center",
    "EventSeries",
    "FeedChange",
    "FeedToken",
    "FollowUp",
    "InvestorProfile",
    "Invitation",
    "Meeting",
    "MeetingRequest",
    "MeetingSession",
    "NotificationPreference",
    "Occurrence",
    "OccurrenceChange",
    "OrganizerMembership",
    "OutboxMessage",
    "Outcome",
    "PasswordResetToken",
    "PersonalLimit",
    "PitchSlot",
    "PlanningRequest",
    "ReminderRule",
    "Role",
    "SkippedOccurrence",
    "StartupProfile",
    "Unavailability",
    "User",
    "investor_center",
]


def load_user(session_id: str) -> User | None:
    """Flask-Login's loader. The id is `<user id>.<session version>.<password fingerprint>`:
    log-out raises the version and a reset changes the fingerprint, so an old cookie (or a
    copy of it) stops working on the server side."""
    user_id, _, rest = session_id.partition(".")
    version, _, fingerprint = rest.partition(".")
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()):
        return None
    if not is_id(int(user_id)):
        return None
    # A startup's or an investor's pages all use their profile: loaded with the user.
    user = db.session.get(
        User,
        int(user_id),
        options=[joinedload(User.startup_profile), joinedload(User.investor_profile)],
    )
    if (
        user is None
        or str(user.session_version) != version
        or user.session_fingerprint != fingerprint
    ):
        return None
    return user
