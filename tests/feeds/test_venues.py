"""Where a date takes place, in the reader's language: the LOCATION of emailed calendar
invitations follows the recipient's language, a personal feed its owner's, and a public feed
(no owner) names the venue in both languages, the feed's own first. Read back with real
parsers (icalendar, ical, recurring-ical-events)."""

from __future__ import annotations

from datetime import datetime

import recurring_ical_events
import sqlalchemy as sa
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from eventhub.accounts.models import InvestorProfile, StartupProfile
from eventhub.bookings import services as bookings
from eventhub.core.outbox import OutboxMessage
from eventhub.feeds import services as feeds
from eventhub.invitations import services as invitations
from eventhub.scheduling import services as series_services
from eventhub.series.models import Occurrence

KO = "대구창조경제혁신센터 8층, 대구 북구 호암로 51"
EN = "Daegu CCEI 8F, 51 Hoam-ro, Buk-gu, Daegu"


def _with_venue(app, db, occurrence_id: int) -> None:
    with app.app_context():
        series = db.session.get(Occurrence, occurrence_id).series
        series.venue_name, series.venue_address = "대구창조경제혁신센터 8층", "대구 북구 호암로 51"
        series.venue_name_en, series.venue_address_en = "Daegu CCEI 8F", "51 Hoam-ro, Buk-gu, Daegu"
        db.session.commit()


def _locations(messages: list[OutboxMessage]) -> list[tuple[str, str]]:
    """(recipient, LOCATION of the calendar part) of each message, read by icalendar."""
    found = []
    for message in messages:
        [event] = Calendar.from_ical(message.attachments[0]["content"]).walk("VEVENT")
        found.append((message.recipient, str(event["LOCATION"])))
    return found


def test_emailed_invitations_name_the_venue_in_each_recipient_s_language(
    app, db, create_user, make_occurrence, make_startup, clock
):
    occurrence_id = make_occurrence()
    _with_venue(app, db, occurrence_id)
    english_user = create_user("vc@hanbit.example", role="investor", locale="en")
    founder_user = create_user("ceo@glowlab.example", role="startup", locale="en")
    korean_startup = make_startup("Carbonix")  # no account: Korean mail
    english_startup = make_startup("Glowlab", user_id=founder_user)
    with app.app_context():
        occ = db.session.get(Occurrence, occurrence_id)
        english = InvestorProfile(
            email="vc@hanbit.example", firm="Hanbit", person_name="Lee", user_id=english_user
        )
        korean = InvestorProfile(email="vc@nuri.example", firm="Nuri", person_name="김")
        db.session.add_all([english, korean])
        db.session.flush()
        invitations.invite([occ], investors=[english, korean], actor_id=None, now=clock)
        slots = bookings.slots_of(occurrence_id)
        for slot, startup_id in zip(slots, (korean_startup, english_startup), strict=False):
            startup = db.session.get(StartupProfile, startup_id)
            bookings.book_slot(slot, startup=startup, actor_id=None, now=clock)
        db.session.commit()
        messages = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind == "transactional")
            .order_by(OutboxMessage.recipient)
        ).all()
        assert _locations(messages) == [
            ("carbonix@startup.example", KO),
            ("glowlab@startup.example", EN),
            ("vc@hanbit.example", EN),
            ("vc@nuri.example", KO),
        ]


def test_a_date_with_a_venue_of_its_own_never_borrows_the_series_english(
    app, db, create_user, make_occurrence, clock
):
    occurrence_id = make_occurrence()
    _with_venue(app, db, occurrence_id)
    user_id = create_user("vc@hanbit.example", role="investor", locale="en")
    with app.app_context():
        occ = db.session.get(Occurrence, occurrence_id)
        series_services.change_venue(
            occ, venue_name="포항 테크노파크", venue_address="포항시 남구 지곡로 394",
            online_url=None, actor_id=None, now=clock,
        )  # fmt: skip
        investor = InvestorProfile(
            email="vc@hanbit.example", firm="Hanbit", person_name="Lee", user_id=user_id
        )
        db.session.add(investor)
        db.session.flush()
        invitations.invite([occ], investors=[investor], actor_id=None, now=clock)
        db.session.commit()
        messages = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.template == "invitations/invite")
        ).all()
        assert _locations(messages) == [
            ("vc@hanbit.example", "포항 테크노파크, 포항시 남구 지곡로 394")
        ]
        body = feeds.render(feeds.FeedScope("investor", investor.id), locale="en")
        [event] = Calendar.from_ical(body).walk("VEVENT")
        assert str(event["LOCATION"]) == "포항 테크노파크, 포항시 남구 지곡로 394"


def test_personal_feeds_name_the_venue_in_their_owner_s_language(
    app, db, make_occurrence, make_startup, clock
):
    occurrence_id = make_occurrence()
    _with_venue(app, db, occurrence_id)
    startup_id = make_startup("Carbonix")
    with app.app_context():
        occ = db.session.get(Occurrence, occurrence_id)
        investor = InvestorProfile(email="vc@hanbit.example", firm="Hanbit", person_name="Lee")
        db.session.add(investor)
        db.session.flush()
        invitations.invite([occ], investors=[investor], actor_id=None, now=clock)
        bookings.book_slot(
            bookings.slots_of(occurrence_id)[0],
            startup=db.session.get(StartupProfile, startup_id), actor_id=None, now=clock,
        )  # fmt: skip
        db.session.commit()
        seen = {}
        for kind, key in (("investor", investor.id), ("startup", startup_id)):
            for locale in ("ko", "en"):
                body = feeds.render(feeds.FeedScope(kind, key), locale=locale)
                # A second parser (the `ical` package) reads the same property.
                [event] = IcsCalendarStream.calendar_from_ics(body.decode()).events
                seen[kind, locale] = event.location
        assert seen == {
            ("investor", "ko"): KO,
            ("investor", "en"): EN,
            ("startup", "ko"): KO,
            ("startup", "en"): EN,
        }


def test_public_feeds_name_the_venue_in_both_languages_the_feed_s_own_first(
    app, db, client, make_occurrence, clock
):
    occurrence_id = make_occurrence()
    _with_venue(app, db, occurrence_id)
    with app.app_context():
        slug = db.session.get(Occurrence, occurrence_id).series.slug
    until = datetime(2027, 3, 1, tzinfo=clock.tzinfo)
    for query, expected in (("", f"{KO} / {EN}"), ("?lang=en", f"{EN} / {KO}")):
        body = client.get(f"/calendar/series/{slug}.ics{query}").data
        dates = recurring_ical_events.of(Calendar.from_ical(body)).between(clock, until)
        assert len(dates) >= 3
        assert {str(event["LOCATION"]) for event in dates} == {expected}
        single = client.get(f"/calendar/occurrences/{occurrence_id}.ics{query}").data
        [event] = Calendar.from_ical(single).walk("VEVENT")
        assert str(event["LOCATION"]) == expected


def test_a_venue_given_in_korean_only_is_named_once_in_a_public_feed(
    app, db, client, make_occurrence, clock
):
    occurrence_id = make_occurrence()
    with app.app_context():
        series = db.session.get(Occurrence, occurrence_id).series
        series.venue_name, series.venue_address = "대구창조경제혁신센터", None
        db.session.commit()
        slug = series.slug
    body = client.get(f"/calendar/series/{slug}.ics?lang=en").data
    events = Calendar.from_ical(body).walk("VEVENT")
    assert {str(event["LOCATION"]) for event in events} == {"대구창조경제혁신센터"}
