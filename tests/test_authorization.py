"""The authorization matrix: every route and method, called as each role, answers exactly the
status written below (issue 14).

The routes come from `app.url_map`, so a new route (or a new method on one) without a row
here fails the test, and the failure shows what the route answered for every role, ready to
be reviewed and pasted. Each role gets a world of its own (the same objects, built afresh), so
what one role's POST changes cannot change another role's answers.

Requests are what a browser of that role would send: logged in through the login page, with
a valid CSRF token and otherwise empty forms. The objects named in URLs belong to center A
(daegu): an occurrence, a booking of startup A, an invitation of the investor, an outbox
message, a free slot. "other startup" is startup B; "other organizer" organizes center B
(busan) only, so center A's objects must look to them exactly like missing ones (404).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, clean_database, csrf_token
from tests.series.conftest import series_values

ROLES = (
    "anonymous",
    "startup",
    "other_startup",
    "investor",
    "organizer",
    "other_organizer",
    "admin",
)

LOGIN = 302  # anonymous users are sent to log in

# (method, rule): statuses in ROLES order.
# fmt: off
# (method, rule):                                                                                anon, start, other, inves, organ, other, admin
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    ("GET", "/"):                                                                              (  200,   200,   200,   200,   200,   200,   200),
    ("GET", "/account"):                                                                       (LOGIN,   200,   200,   200,   200,   200,   200),
    ("POST", "/account"):                                                                      (LOGIN,   302,   302,   302,   302,   302,   302),
    ("GET", "/account/calendar"):                                                              (LOGIN,   200,   200,   200,   200,   200,   200),
    ("POST", "/account/calendar"):                                                             (LOGIN,   200,   200,   200,   200,   200,   200),
    ("POST", "/account/logout-everywhere"):                                                    (  302,   302,   302,   302,   302,   302,   302),
    ("GET", "/account/verify"):                                                                (  302,   302,   302,   302,   302,   302,   302),
    ("POST", "/account/verify/resend"):                                                        (LOGIN,   303,   303,   303,   303,   303,   303),
    # issue 17: reports and admin screens (the public summary: daegu has not opted in; an
    # admin's POST of a center form without fields keeps the names, so it saves)
    ("GET", "/admin/"):                                                                        (LOGIN,   403,   403,   403,   403,   403,   302),
    ("GET", "/admin/centers"):                                                                 (LOGIN,   403,   403,   403,   403,   403,   200),
    ("GET", "/admin/centers/<slug>"):                                                          (LOGIN,   403,   403,   403,   403,   403,   200),
    ("POST", "/admin/centers/<slug>"):                                                         (LOGIN,   403,   403,   403,   403,   403,   303),
    ("GET", "/admin/users"):                                                                   (LOGIN,   403,   403,   403,   403,   403,   200),
    ("GET", "/admin/users/<int:user_id>"):                                                     (LOGIN,   403,   403,   403,   403,   403,   200),
    ("POST", "/admin/users/<int:user_id>"):                                                    (LOGIN,   403,   403,   403,   403,   403,   422),
    ("POST", "/admin/users/<int:user_id>/<any(deactivate, activate, resend):verb>"):           (LOGIN,   403,   403,   403,   403,   403,   303),
    ("GET", "/audit"):                                                                         (LOGIN,   403,   403,   403,   200,   200,   200),
    ("GET", "/audit.csv"):                                                                     (LOGIN,   403,   403,   403,   200,   200,   200),
    ("GET", "/centers/<slug>/summary"):                                                        (  404,   404,   404,   404,   404,   404,   404),
    ("GET", "/dashboard"):                                                                     (LOGIN,   403,   403,   403,   200,   200,   200),
    ("GET", "/dashboard/<slug>/<any(upcoming, attendance, outcomes):figure>.csv"):             (LOGIN,   403,   403,   403,   200,   404,   200),
    ("GET", "/dashboard/<slug>/report/<quarter>"):                                             (LOGIN,   403,   403,   403,   200,   404,   200),
    ("GET", "/national"):                                                                      (LOGIN,   403,   403,   403,   403,   403,   200),
    ("GET", "/national.csv"):                                                                  (LOGIN,   403,   403,   403,   403,   403,   200),
    # startup A already holds a slot there (409); startup B books the free one
    ("POST", "/api/occurrences/<int:occurrence_id>/bookings"):                                 (  401,   409,   201,   403,   403,   403,   403),
    ("GET", "/api/occurrences/<int:occurrence_id>/slots"):                                     (  200,   200,   200,   200,   200,   200,   200),
    ("GET", "/bookings"):                                                                      (LOGIN,   200,   200,   403,   403,   403,   403),
    ("POST", "/bookings/<int:booking_id>/accept"):                                             (LOGIN,   303,   303,   403,   403,   403,   403),
    # the empty form is asked to be confirmed (200); another startup's booking looks missing
    ("POST", "/bookings/<int:booking_id>/cancel"):                                             (LOGIN,   200,   404,   403,   403,   403,   403),
    ("POST", "/bookings/<int:booking_id>/switch"):                                             (LOGIN,   303,   303,   403,   403,   403,   403),
    ("GET", "/calendar/all.ics"):                                                              (  200,   200,   200,   200,   200,   200,   200),
    ("GET", "/healthz"):                                                                       (  200,   200,   200,   200,   200,   200,   200),
    ("GET", "/readyz"):                                                                        (  200,   200,   200,   200,   200,   200,   200),
    ("GET", "/metrics"):                                                                       (  200,   200,   200,   200,   200,   200,   200),
    ("GET", "/calendar/centers/<slug>.ics"):                                                   (  200,   200,   200,   200,   200,   200,   200),
    # the token is the investor's; their own POST /account/calendar (run before) replaced it
    ("GET", "/calendar/feed/<token>.ics"):                                                     (  200,   200,   200,   404,   200,   200,   200),
    ("GET", "/calendar/occurrences/<int:occurrence_id>.ics"):                                  (  200,   200,   200,   200,   200,   200,   200),
    ("GET", "/calendar/series/<slug>.ics"):                                                    (  200,   200,   200,   200,   200,   200,   200),
    ("GET", "/centers/<slug>"):                                                                (  200,   200,   200,   200,   200,   200,   200),
    ("GET", "/intake"):                                                                        (LOGIN,   200,   200,   403,   403,   403,   403),
    ("POST", "/intake"):                                                                       (LOGIN,   302,   302,   403,   403,   403,   403),
    ("GET", "/investor/invitations"):                                                          (LOGIN,   403,   403,   200,   403,   403,   200),
    # an admin has no directory entry of their own
    ("GET", "/investor/profile"):                                                              (LOGIN,   403,   403,   200,   403,   403,   404),
    # an admin has no directory entry of their own
    ("POST", "/investor/profile"):                                                             (LOGIN,   403,   403,   302,   403,   403,   404),
    ("POST", "/language"):                                                                     (  302,   302,   302,   302,   302,   302,   302),
    ("GET", "/login"):                                                                         (  200,   200,   200,   200,   200,   200,   200),
    ("POST", "/login"):                                                                        (  422,   422,   422,   422,   422,   422,   422),
    ("POST", "/logout"):                                                                       (  302,   302,   302,   302,   302,   302,   302),
    ("GET", "/notifications/preferences"):                                                     (  302,   302,   302,   302,   302,   302,   302),
    ("GET", "/notifications/preferences/<token>"):                                             (  200,   200,   200,   200,   200,   200,   200),
    ("POST", "/notifications/preferences/<token>"):                                            (  303,   303,   303,   303,   303,   303,   303),
    ("GET", "/notifications/unsubscribe/<token>"):                                             (  302,   302,   302,   302,   302,   302,   302),
    ("POST", "/notifications/unsubscribe/<token>"):                                            (  200,   200,   200,   200,   200,   200,   200),
    ("GET", "/occurrences/<int:occurrence_id>"):                                               (  200,   200,   200,   200,   200,   200,   200),
    ("POST", "/occurrences/<int:occurrence_id>/apply"):                                        (LOGIN,   303,   303,   403,   403,   403,   403),
    # an admin's empty form fails before the startup check: nothing is booked
    ("POST", "/occurrences/<int:occurrence_id>/book"):                                         (LOGIN,   303,   303,   403,   403,   403,   303),
    ("POST", "/occurrences/<int:occurrence_id>/waitlist"):                                     (LOGIN,   303,   303,   403,   403,   403,   403),
    # each role's start page: a founder without a booking reads it, the others are sent on
    ("GET", "/start"):                                                                         (LOGIN,   302,   302,   302,   302,   302,   302),  # the startup holds a booking: on to its bookings
    ("GET", "/organize"):                                                                      (LOGIN,   403,   403,   403,   200,   200,   200),
    ("POST", "/organize/bookings/<int:booking_id>/<any(approve, assign):verb>"):               (LOGIN,   403,   403,   403,   303,   404,   303),
    ("POST", "/organize/bookings/<int:booking_id>/<any(attended, no_show, carry_over):verb>"): (LOGIN,   403,   403,   403,   303,   404,   303),
    # asks for a confirmation first (issue 16): nothing changes yet
    ("POST", "/organize/bookings/<int:booking_id>/<any(reject, cancel):verb>"):                (LOGIN,   403,   403,   403,   200,   404,   200),
    # an empty score clears it; the note is optional
    ("POST", "/organize/bookings/<int:booking_id>/score"):                                     (LOGIN,   403,   403,   403,   303,   404,   303),
    ("GET", "/organize/centers/<slug>/outbox"):                                                (LOGIN,   403,   403,   403,   200,   404,   200),
    ("GET", "/organize/centers/<slug>/series/new"):                                            (LOGIN,   403,   403,   403,   200,   404,   200),
    ("POST", "/organize/centers/<slug>/series/new"):                                           (LOGIN,   403,   403,   403,   422,   404,   422),
    ("GET", "/organize/investors"):                                                            (LOGIN,   403,   403,   403,   200,   200,   200),
    ("GET", "/organize/investors/<int:investor_id>/edit"):                                     (LOGIN,   403,   403,   403,   200,   200,   200),
    ("POST", "/organize/investors/<int:investor_id>/edit"):                                    (LOGIN,   403,   403,   403,   302,   302,   302),
    ("GET", "/organize/investors/import"):                                                     (LOGIN,   403,   403,   403,   200,   200,   200),
    ("POST", "/organize/investors/import"):                                                    (LOGIN,   403,   403,   403,   422,   422,   422),
    # the directory is shared by all centers, like the import itself
    ("GET", "/organize/investors/import-template.<any(csv, xlsx):kind>"):                      (LOGIN,   403,   403,   403,   200,   200,   200),
    ("GET", "/organize/investors/new"):                                                        (LOGIN,   403,   403,   403,   200,   200,   200),
    ("POST", "/organize/investors/new"):                                                       (LOGIN,   403,   403,   403,   422,   422,   422),
    ("POST", "/organize/invitations/<int:invitation_id>/<any(resend, nudge):verb>"):           (LOGIN,   403,   403,   403,   303,   404,   303),
    ("GET", "/organize/occurrences/<int:occurrence_id>"):                                      (LOGIN,   403,   403,   403,   200,   404,   200),
    ("GET", "/organize/occurrences/<int:occurrence_id>/announce"):                             (LOGIN,   403,   403,   403,   200,   404,   200),
    ("POST", "/organize/occurrences/<int:occurrence_id>/announce"):                            (LOGIN,   403,   403,   403,   422,   404,   422),
    ("GET", "/organize/occurrences/<int:occurrence_id>/bookings"):                             (LOGIN,   403,   403,   403,   200,   404,   200),
    # nothing selected: a flash says so, nothing changes
    ("POST", "/organize/occurrences/<int:occurrence_id>/applications"):                        (LOGIN,   403,   403,   403,   303,   404,   303),
    ("POST", "/organize/occurrences/<int:occurrence_id>/cancel"):                              (LOGIN,   403,   403,   403,   422,   404,   422),
    ("GET", "/organize/occurrences/<int:occurrence_id>/follow-ups.<any(csv, xlsx):kind>"):     (LOGIN,   403,   403,   403,   200,   404,   200),
    ("GET", "/organize/occurrences/<int:occurrence_id>/invitations"):                          (LOGIN,   403,   403,   403,   200,   404,   200),
    ("POST", "/organize/occurrences/<int:occurrence_id>/invite"):                              (LOGIN,   403,   403,   403,   303,   404,   303),
    ("GET", "/organize/occurrences/<int:occurrence_id>/lineup.<any(csv, xlsx):kind>"):         (LOGIN,   403,   403,   403,   200,   404,   200),
    ("POST", "/organize/occurrences/<int:occurrence_id>/move"):                                (LOGIN,   403,   403,   403,   422,   404,   422),
    ("POST", "/organize/occurrences/<int:occurrence_id>/outcomes"):                            (LOGIN,   403,   403,   403,   303,   404,   303),
    ("POST", "/organize/occurrences/<int:occurrence_id>/publish"):                             (LOGIN,   403,   403,   403,   303,   404,   303),
    ("POST", "/organize/occurrences/<int:occurrence_id>/registration"):                        (LOGIN,   403,   403,   403,   302,   404,   302),
    ("POST", "/organize/occurrences/<int:occurrence_id>/restore"):                             (LOGIN,   403,   403,   403,   422,   404,   422),
    ("GET", "/organize/occurrences/<int:occurrence_id>/runsheet"):                             (LOGIN,   403,   403,   403,   200,   404,   200),
    ("POST", "/organize/occurrences/<int:occurrence_id>/slots/<any(add, shift):verb>"):        (LOGIN,   403,   403,   403,   303,   404,   303),
    ("POST", "/organize/occurrences/<int:occurrence_id>/venue"):                               (LOGIN,   403,   403,   403,   302,   404,   302),
    ("GET", "/organize/outbox/<int:message_id>"):                                              (LOGIN,   403,   403,   403,   200,   404,   200),
    # the memory mail backend in tests keeps no .eml copy
    ("GET", "/organize/outbox/<int:message_id>.eml"):                                          (LOGIN,   403,   403,   403,   404,   404,   404),
    # asks for a confirmation first (issue 16): nothing changes yet
    ("POST", "/organize/outbox/<int:message_id>/cancel"):                                      (LOGIN,   403,   403,   403,   200,   404,   200),
    # the message is pending, not cancelled: a flash says it cannot be restored
    ("POST", "/organize/outbox/<int:message_id>/restore"):                                     (LOGIN,   403,   403,   403,   303,   404,   303),
    ("GET", "/organize/outbox/<int:message_id>/html"):                                         (LOGIN,   403,   403,   403,   200,   404,   200),
    ("POST", "/organize/outbox/<int:message_id>/retry"):                                       (LOGIN,   403,   403,   403,   303,   404,   303),
    ("GET", "/organize/series/<slug>/edit"):                                                   (LOGIN,   403,   403,   403,   200,   404,   200),
    ("POST", "/organize/series/<slug>/edit"):                                                  (LOGIN,   403,   403,   403,   422,   404,   422),
    ("GET", "/organize/series/<slug>/reminders"):                                              (LOGIN,   403,   403,   403,   200,   404,   200),
    ("POST", "/organize/series/<slug>/reminders"):                                             (LOGIN,   403,   403,   403,   303,   404,   303),
    # remove asks for a confirmation first (issue 16): nothing changes yet
    ("POST", "/organize/slots/<int:slot_id>/<any(remove, block, unblock):verb>"):              (LOGIN,   403,   403,   403,   200,   404,   200),
    # issue 18: one-to-one meetings. The investor (accepted) and startup A have a published
    # meeting; startup B booked the free slot through the API first (routes run in order), so
    # it takes part too, but another's request or meeting looks missing (404). An admin has
    # no profile of their own (404). Empty forms: a flash says what is missing (303).
    ("POST", "/meeting-requests/<int:request_id>/<any(up, down, withdraw, decline, undecline):verb>"): (LOGIN, 303, 404, 303, 403, 403, 404),
    ("GET", "/meetings"):                                                                      (LOGIN,   200,   200,   200,   403,   403,   404),
    ("POST", "/meetings/<int:meeting_id>/outcome"):                                            (LOGIN,   303,   404,   303,   403,   403,   404),
    ("GET", "/occurrences/<int:occurrence_id>/meetings"):                                      (LOGIN,   200,   200,   200,   403,   403,   404),
    ("POST", "/occurrences/<int:occurrence_id>/meetings/request"):                             (LOGIN,   303,   303,   303,   403,   403,   404),
    ("POST", "/occurrences/<int:occurrence_id>/meetings/unavailable"):                         (LOGIN,   303,   303,   303,   403,   403,   404),
    ("POST", "/organize/meeting-requests/<int:request_id>/place"):                             (LOGIN,   403,   403,   403,   303,   404,   303),
    ("POST", "/organize/meetings/<int:meeting_id>/<any(pin, unpin):verb>"):                    (LOGIN,   403,   403,   403,   303,   404,   303),
    ("POST", "/organize/meetings/<int:meeting_id>/move"):                                      (LOGIN,   403,   403,   403,   303,   404,   303),
    ("GET", "/organize/occurrences/<int:occurrence_id>/meetings"):                             (LOGIN,   403,   403,   403,   200,   404,   200),
    ("POST", "/organize/occurrences/<int:occurrence_id>/meetings"):                            (LOGIN,   403,   403,   403,   422,   404,   422),
    ("POST", "/organize/occurrences/<int:occurrence_id>/meetings/<any(schedule, publish, clear):verb>"): (LOGIN, 403, 403, 403, 303, 404, 303),
    ("GET", "/organize/occurrences/<int:occurrence_id>/meetings/plan"):                        (LOGIN,   403,   403,   403,   200,   404,   200),
    ("GET", "/password/forgot"):                                                               (  200,   200,   200,   200,   200,   200,   200),
    ("POST", "/password/forgot"):                                                              (  422,   422,   422,   422,   422,   422,   422),
    ("GET", "/password/reset/<token>"):                                                        (  410,   410,   410,   410,   410,   410,   410),
    ("POST", "/password/reset/<token>"):                                                       (  410,   410,   410,   410,   410,   410,   410),
    ("GET", "/rsvp/<token>"):                                                                  (  200,   200,   200,   200,   200,   200,   200),
    ("POST", "/rsvp/<token>"):                                                                 (  400,   400,   400,   400,   400,   400,   400),
    ("POST", "/rsvp/<token>/follow-up"):                                                       (  400,   400,   400,   400,   400,   400,   400),
    ("GET", "/series/<slug>"):                                                                 (  200,   200,   200,   200,   200,   200,   200),
    ("GET", "/signup"):                                                                        (  200,   200,   200,   200,   200,   200,   200),
    ("POST", "/signup"):                                                                       (  422,   422,   422,   422,   422,   422,   422),
    ("GET", "/signup/check-mail"):                                                             (  200,   200,   200,   200,   200,   200,   200),
    ("GET", "/static/<path:filename>"):                                                        (  200,   200,   200,   200,   200,   200,   200),
    ("GET", "/verify-email/<token>"):                                                          (  410,   410,   410,   410,   410,   410,   410),
    ("POST", "/verify-email/<token>"):                                                         (  410,   410,   410,   410,   410,   410,   410),
}
# fmt: on


@dataclass
class World:
    center_slug: str
    series_slug: str
    occurrence_id: int
    booking_id: int
    invitation_id: int
    message_id: int
    slot_id: int
    investor_id: int
    rsvp_token: str
    feed_token: str
    preference_token: str
    user_id: int  # startup A's account (the admin screens)
    request_id: int = 0  # a meeting request between the investor and startup A
    meeting_id: int = 0  # its meeting, published
    quarter: str = "2026-Q4"


def build_world(app, db) -> World:
    """Two centers, their organizers, two startups, an invited investor and an admin."""
    from eventhub.accounts import services as accounts
    from eventhub.accounts.models import InvestorProfile, Role, Stage, StartupProfile
    from eventhub.bookings import services as bookings
    from eventhub.centers.models import Center, OrganizerMembership
    from eventhub.core.outbox import OutboxMessage
    from eventhub.feeds import services as feeds
    from eventhub.invitations import services as invitations
    from eventhub.meetings import services as meetings
    from eventhub.meetings.models import Side
    from eventhub.notifications import services as notifications
    from eventhub.scheduling import services as series_services

    now = datetime.now(UTC)
    with app.app_context():
        clean_database(db.engine)
        centers = {}
        for slug in ("daegu", "busan"):
            centers[slug] = Center(
                slug=slug, name_ko=slug, name_en=slug, region_ko=slug, region_en=slug,
                partner_company_ko="삼성", partner_company_en="Samsung",
                industries=["electronics"],
            )  # fmt: skip
            db.session.add(centers[slug])
        db.session.flush()

        def user(email: str, role: Role, *center_slugs: str):
            created = accounts.create_user(
                email=email, password=PASSWORD, display_name=email.split("@")[0], role=role,
                locale="en", now=now,
            )  # fmt: skip
            for slug in center_slugs:
                db.session.add(OrganizerMembership(user_id=created.id, center_id=centers[slug].id))
            return created

        user("organizer@example.com", Role.organizer, "daegu")
        user("other_organizer@example.com", Role.organizer, "busan")
        user("admin@example.com", Role.admin)
        profiles = []
        for name in ("startup", "other_startup"):
            owner = user(f"{name}@example.com", Role.startup)
            profile = StartupProfile(
                user=owner, company_name=name, industry="materials", stage=Stage.seed,
                one_liner="one line", contact_name="대표", contact_email=owner.email,
                amount_sought_krw=1_000_000_000, team_size=3,
                description="what we do", business_registration_number=None,
            )  # fmt: skip
            db.session.add(profile)
            profiles.append(profile)
        investor_user = user("investor@example.com", Role.investor)
        investor = InvestorProfile(
            email="investor@example.com", firm="Hanbit", person_name="김", user=investor_user
        )
        db.session.add(investor)
        db.session.flush()

        start = (now + timedelta(days=10)).date()
        series = series_services.create_series(
            centers["daegu"],
            values=series_values(start_date=start, rrule="FREQ=WEEKLY;COUNT=3"),
            actor_id=None,
            now=now,
            horizon_days=60,
        )
        occurrence = min(series.occurrences, key=lambda o: o.start_at)
        slots = bookings.slots_of(occurrence.id)
        booking = bookings.book_slot(slots[0], startup=profiles[0], actor_id=None, now=now)
        [invitation] = invitations.invite(
            [occurrence], investors=[investor], actor_id=None, now=now
        )
        feed_token = feeds.regenerate_token(investor_user.id, now=now)
        # Issue 18: the investor accepted, the line-up is out, and the date has a published
        # meeting session with one meeting between the investor and startup A.
        invitations.answer(invitation, status=invitations.ANSWERS[0], now=now)
        invitations.publish_lineup(occurrence, actor_id=None, now=now)
        session = meetings.save_session(
            occurrence,
            values=meetings.SessionValues(
                starts_at=occurrence.start_at + timedelta(hours=3),
                ends_at=occurrence.start_at + timedelta(hours=5), meeting_minutes=20,
                break_minutes=5, table_count=4, table_links=[],
                requests_close_at=occurrence.start_at - timedelta(days=1), max_meetings=4,
            ),
            actor_id=None, now=now,
        )  # fmt: skip
        meeting_request = meetings.request_meeting(
            session, investor=investor, startup=profiles[0], side=Side.investor, now=now
        )
        meeting = meetings.place_meeting(
            meeting_request, slot_index=0, table=1, actor_id=None, now=now
        )
        meetings.publish_schedule(session, actor_id=None, now=now)
        db.session.flush()
        message_id = db.session.scalar(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.center_id == centers["daegu"].id)
            .order_by(OutboxMessage.id)
        )
        world = World(
            center_slug="daegu",
            series_slug=series.slug,
            occurrence_id=occurrence.id,
            booking_id=booking.id,
            invitation_id=invitation.id,
            message_id=message_id,
            slot_id=slots[1].id,
            investor_id=investor.id,
            rsvp_token=invitations.rsvp_token(invitation),
            feed_token=feed_token,
            preference_token=notifications.preference_token("investor@example.com"),
            user_id=profiles[0].user_id,
            request_id=meeting_request.id,
            meeting_id=meeting.id,
        )
        db.session.commit()
        return world


def _argument(endpoint: str, name: str, converter: str, world: World) -> str:
    if converter.startswith("any("):
        return converter[4:-1].split(",")[0].strip()
    if name == "slug":
        center_pages = (
            "pages.center",
            "feeds.center_feed",
            "notifications.outbox_list",
            "series.create",
            "reports.dashboard_csv",
            "reports.quarterly",
            "reports.public_summary",
            "admin.center",
        )
        return world.center_slug if endpoint.startswith(center_pages) else world.series_slug
    if name == "token":
        return {
            "invitations.rsvp": world.rsvp_token,
            "invitations.follow_up": world.rsvp_token,
            "feeds.personal_feed": world.feed_token,
            "notifications.preferences": world.preference_token,
            "notifications.unsubscribe": world.preference_token,
        }.get(endpoint, "not-a-valid-token")
    if name == "filename":
        return "style.css"
    return str(getattr(world, name))


ARGUMENT_RE = re.compile(r"<(?:(?P<converter>[^:<>]+):)?(?P<name>\w+)>")


def url_of(rule, world: World) -> str:
    return ARGUMENT_RE.sub(
        lambda m: _argument(rule.endpoint, m["name"], m["converter"] or "", world), rule.rule
    )


# Requests that end the session go last, so that the role's other requests see it logged in.
SESSION_ENDING = ("accounts.logout", "accounts.logout_everywhere")


def routes(app) -> list[tuple[str, object]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, rule))
    return sorted(
        found, key=lambda item: (item[1].endpoint in SESSION_ENDING, item[1].rule, item[0])
    )


def answers_of(app, db, role: str) -> dict[tuple[str, str], int]:
    world = build_world(app, db)
    client = app.test_client()
    headers = {"Accept-Language": "en"}
    if role != "anonymous":
        token = csrf_token(client, "/login")
        response = client.post(
            "/login",
            data={"csrf_token": token, "email": f"{role}@example.com", "password": PASSWORD},
        )
        assert response.status_code == 302, (role, response.get_data(as_text=True))
    token = csrf_token(client, "/login")
    answers = {}
    for method, rule in routes(app):
        url = url_of(rule, world)
        if method == "GET":
            response = client.get(url, headers=headers)
        elif rule.rule.startswith("/api/"):
            response = client.post(url, json={"slot_id": world.slot_id}, headers=headers)
        else:
            response = client.open(url, method=method, data={"csrf_token": token}, headers=headers)
        answers[(method, rule.rule)] = response.status_code
    return answers


def test_every_route_answers_each_role_exactly_as_the_matrix_says(app, db):
    observed: dict[tuple[str, str], list[int]] = {}
    for role in ROLES:
        for key, status in answers_of(app, db, role).items():
            observed.setdefault(key, []).append(status)
    missing = [
        f"    {key!r}: {tuple(statuses)!r},"
        for key, statuses in observed.items()
        if key not in MATRIX
    ]
    stale = sorted(set(MATRIX) - set(observed))
    wrong = [
        f"{key}: expected {MATRIX[key]}, got {tuple(statuses)}"
        for key, statuses in observed.items()
        if key in MATRIX and tuple(statuses) != MATRIX[key]
    ]
    assert missing == [], "routes without a row in MATRIX:\n" + "\n".join(missing)
    assert stale == [], "rows for routes that no longer exist"
    assert wrong == [], "\n".join(wrong)


def test_matrix_rows_name_every_role():
    assert {len(statuses) for statuses in MATRIX.values()} == {len(ROLES)}


@pytest.mark.parametrize("role", ["startup", "other_organizer"])
def test_matrix_world_is_what_the_table_assumes(app, db, role):
    """The world's objects belong to center A and startup A, as the docstring says."""
    from eventhub.bookings.models import Booking
    from eventhub.series.models import Occurrence

    world = build_world(app, db)
    with app.app_context():
        occurrence = db.session.get(Occurrence, world.occurrence_id)
        booking = db.session.get(Booking, world.booking_id)
        assert (occurrence.series.center.slug, booking.startup.company_name) == (
            "daegu",
            "startup",
        )
