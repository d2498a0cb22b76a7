"""Calendar feeds (RFC 5545): which events each feed shows, the cache, personal tokens.

The events themselves are built in `eventhub.feeds.build`: a series is one master VEVENT with
its RRULE and EXDATEs plus one VEVENT per changed occurrence (same UID, RECURRENCE-ID).

Personal feeds list single VEVENTs: an investor's answer and a startup's slot are properties
of one date, which single events express without overriding a master that the person does not
otherwise see, and their UIDs are the UIDs of the emailed invitations, so calendars merge them.

Rendering is deterministic: DTSTAMP and LAST-MODIFIED are stored change times, components are
sorted, so two fetches without a change in between are byte-identical.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from icalendar import Calendar, Event

from eventhub.accounts.models import Role, User
from eventhub.bookings.labels import stage_label
from eventhub.bookings.models import SLOT_HOLDING, Booking, BookingStatus
from eventhub.centers.industries import industry_label
from eventhub.centers.models import Center
from eventhub.centers.services import centers_organized_by
from eventhub.core.ics import PlainUri, booking_uid, occurrence_uid
from eventhub.core.transactions import lock_row
from eventhub.core.urls import external_url
from eventhub.extensions import db
from eventhub.feeds import build, versioning
from eventhub.feeds.build import CANCELLED_PREFIX, put, text, title
from eventhub.feeds.models import FeedToken
from eventhub.invitations import services as invitations
from eventhub.invitations.models import Invitation, RsvpStatus
from eventhub.meetings import services as meetings
from eventhub.meetings.models import Side
from eventhub.series.models import EventSeries, Occurrence

# --- The feeds -------------------------------------------------------------------------------


class ScopeKind(StrEnum):
    """What a feed is about; the public kinds list listed series, the others are personal."""

    all = "all"
    center = "center"
    series = "series"
    organizer = "organizer"
    investor = "investor"
    startup = "startup"


PUBLIC_KINDS = (ScopeKind.all, ScopeKind.center, ScopeKind.series)
SERIES_KINDS = (*PUBLIC_KINDS, ScopeKind.organizer)


@dataclass(frozen=True)
class FeedScope:
    """What a feed shows: a kind and the id it is about."""

    kind: ScopeKind
    key: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ScopeKind(self.kind))


def _public_series(scope: FeedScope) -> list[EventSeries]:
    query = sa.select(EventSeries).order_by(EventSeries.id)
    if scope.kind in PUBLIC_KINDS:
        query = query.where(EventSeries.is_listed)
    if scope.kind == ScopeKind.center:
        query = query.where(EventSeries.center_id == scope.key)
    elif scope.kind == ScopeKind.series:
        query = query.where(EventSeries.id == scope.key)
    elif scope.kind == ScopeKind.organizer:
        query = query.where(EventSeries.center_id.in_(_organizer_center_ids(scope.key)))
    return list(db.session.scalars(query))


def _organizer_center_ids(user_id: int) -> list[int]:
    user = db.session.get(User, user_id)
    return [] if user is None else [c.id for c in centers_organized_by(user)]


def build_series_calendar(scope: FeedScope, *, locale: str) -> Calendar:
    """The calendar object of a public or organizer feed, before serialization."""
    series_list = _public_series(scope)
    name, description = _names(scope, series_list, locale)
    zones = {s.timezone for s in series_list}
    tz = series_list[0].timezone if len(zones) == 1 else "Asia/Seoul"
    document = build.calendar(name=name, description=description, timezone=tz)
    # A public feed has no owner whose language to use: it names the venue in both.
    return build.series_document(
        document, series_list, locale=locale, bilingual_venue=scope.kind in PUBLIC_KINDS
    )


def render(scope: FeedScope, *, locale: str) -> bytes:
    """The iCalendar document of a feed."""
    if scope.kind in SERIES_KINDS:
        return build_series_calendar(scope, locale=locale).to_ical()
    if scope.kind == ScopeKind.investor:
        return _investor_feed(scope.key, locale=locale)
    return _startup_feed(scope.key, locale=locale)


def _names(scope: FeedScope, series_list: list[EventSeries], locale: str) -> tuple[str, str]:
    ko = locale == "ko"
    if scope.kind == ScopeKind.series and series_list:
        name = title(series_list[0], locale)
        return f"{name} · EventHub", name
    if scope.kind == ScopeKind.center:
        center = db.session.get(Center, scope.key)
        name = center.name_ko if ko else center.name_en
        return f"{name} · EventHub", ("투자 설명회" if ko else "Investor days") + f": {name}"
    if scope.kind == ScopeKind.organizer:
        return ("내 센터 · EventHub" if ko else "My centers · EventHub"), (
            "운영하는 센터의 모든 일정" if ko else "Every date of the centers you organize"
        )
    return ("투자 설명회 · EventHub" if ko else "Investor days · EventHub"), (
        "창조경제혁신센터의 투자 설명회" if ko else "Investor days of the innovation centers"
    )


def _investor_feed(investor_id: int, *, locale: str) -> bytes:
    ko = locale == "ko"
    document = build.calendar(
        name="내 초대 · EventHub" if ko else "My invitations · EventHub",
        description="초대받은 투자 설명회" if ko else "Investor days you are invited to",
        timezone="Asia/Seoul",
    )
    events = []
    rows = db.session.scalars(
        sa.select(Invitation).where(
            Invitation.investor_id == investor_id, Invitation.status != RsvpStatus.declined
        )
    )
    for invitation in rows:
        occurrence = invitation.occurrence
        series = occurrence.series
        event = build.SeriesParts(series, locale).occurrence_event(occurrence)
        put(event, "uid", occurrence_uid(occurrence.id))
        if not occurrence.is_cancelled:
            accepted = invitation.status == RsvpStatus.accepted
            event["STATUS"] = build.CONFIRMED if accepted else build.TENTATIVE
        if invitations.sees_lineup(invitation):
            lines = [
                ("라인업" if ko else "Line-up")
                + (
                    " (변경됨)"
                    if ko and occurrence.lineup_changed_at
                    else " (changed)"
                    if occurrence.lineup_changed_at
                    else ""
                )
                + ":"
            ]
            for booking in invitations.lineup_entries(occurrence.id):
                a = booking.intake_snapshot or {}
                start = booking.slot.start_at.astimezone(series.tz).strftime("%H:%M")
                with force_locale(locale):  # labels, not stored codes, in the feed's language
                    industry = industry_label(a["industry"]) if a.get("industry") else ""
                    stage = stage_label(a.get("stage"))
                parts = [start, a.get("company_name") or "", industry, stage]
                if a.get("amount_sought_krw"):
                    parts.append(f"{a['amount_sought_krw']:,} KRW")
                parts += [a.get("one_liner") or "", a.get("deck_url") or ""]
                lines.append(" · ".join(p for p in parts if p))
            description = str(event.get("description", ""))
            del event["description"]
            put(event, "description", text("\n".join(lines) + "\n\n" + description))
        changed = max(
            occurrence.updated_at,  # it moves with the line-up, which this event shows
            series.changed_at,
            invitation.answered_at or invitation.invited_at,
        )
        del event["dtstamp"]
        del event["last-modified"]
        put(event, "dtstamp", changed)
        put(event, "last-modified", changed)
        events.append(event)
    events += _meeting_events(meetings.Person(Side.investor, investor_id), locale=locale)
    return build.finish(document, events)


def _meeting_events(person: meetings.Person, *, locale: str) -> list[Event]:
    """The person's published one-to-one meetings, with the UID and SEQUENCE of their mailed
    invitations, so that calendars merge the two (docs/meetings.md)."""
    events = []
    for meeting in meetings.published_meetings_of(person):
        session, request = meeting.session, meeting.request
        occurrence = session.occurrence
        parts = build.SeriesParts(occurrence.series, locale)
        event = Event()
        put(event, "uid", meetings.meeting_uid(request.id))
        put(event, "summary", text(meetings.meeting_summary(request)))
        event["DTSTART"] = parts.when(meeting.starts_at)
        event["DTEND"] = parts.when(meeting.ends_at)
        put(event, "sequence", request.calendar_sequence)
        event["STATUS"] = build.CONFIRMED
        put(event, "location", text(meetings.meeting_location(session, meeting.table_number,
                                                               locale=locale)))  # fmt: skip
        url = external_url("meetings.agenda", occurrence_id=occurrence.id)
        about = request.startup.one_liner if person.side is Side.investor else ""
        put(event, "description", text("\n".join(p for p in (about or "", url) if p)))
        put(event, "url", PlainUri(url))
        parts.stamp(event, max(meeting.updated_at, session.updated_at))
        events.append(event)
    return events


def _startup_feed(startup_id: int, *, locale: str) -> bytes:
    ko = locale == "ko"
    document = build.calendar(
        name="내 피칭 · EventHub" if ko else "My pitches · EventHub",
        description="예약한 피칭 슬롯" if ko else "Your booked pitch slots",
        timezone="Asia/Seoul",
    )
    events = []
    statuses = (*SLOT_HOLDING, BookingStatus.cancelled.value)
    rows = db.session.scalars(
        sa.select(Booking).where(
            Booking.startup_id == startup_id,
            Booking.status.in_(statuses),
            Booking.slot_id.is_not(None),
        )
    )
    for booking in rows:
        occurrence, slot = booking.occurrence, booking.slot
        series = occurrence.series
        parts = build.SeriesParts(series, locale)
        cancelled = booking.status == BookingStatus.cancelled or occurrence.is_cancelled
        event = Event()
        put(event, "uid", booking_uid(booking.id))
        prefix = CANCELLED_PREFIX[locale] if cancelled else ""
        label = "피칭" if ko else "Pitch"
        put(event, "summary", text(f"{prefix}{label}: {title(series, locale)}"))
        event["DTSTART"] = parts.when(slot.start_at)
        event["DTEND"] = parts.when(slot.end_at)
        put(event, "sequence", booking.calendar_sequence)
        event["STATUS"] = build.CANCELLED if cancelled else build.CONFIRMED
        location = parts.location_of(occurrence)
        if location:
            event["LOCATION"] = location
        url = external_url("series.occurrence", occurrence_id=occurrence.id)
        put(event, "description", text(url))
        put(event, "url", PlainUri(url))
        parts.stamp(event, max(booking.updated_at, occurrence.changed_at, series.changed_at))
        events.append(event)
    events += _meeting_events(meetings.Person(Side.startup, startup_id), locale=locale)
    return build.finish(document, events)


# --- Versions and the cache ------------------------------------------------------------------


def version() -> int:
    """The version every cached feed is checked against: the newest `feed_change` id."""
    return versioning.current_version()


@dataclass(frozen=True)
class Rendered:
    """A rendered feed and its strong ETag.

    No Last-Modified: a feed's newest change time can go backwards (a series leaves the feed,
    and with it the newest LAST-MODIFIED), and a client that sent If-Modified-Since would then
    be told "304" and keep what was removed. The ETag, a hash of the bytes, cannot be wrong
    that way; docs/calendar.md has the reasoning.
    """

    body: bytes
    etag: str


class FeedCache:
    """Rendered feeds keyed by (scope, locale) and stamped with the version they show."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple, tuple[str, Rendered]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, current: str) -> Rendered | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != current:
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: tuple, current: str, rendered: Rendered) -> None:
        with self._lock:
            self._items[key] = (current, rendered)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def feed_cache() -> FeedCache:
    cache = current_app.extensions.get("eventhub_feed_cache")
    if cache is None:
        cache = current_app.extensions["eventhub_feed_cache"] = FeedCache(
            current_app.config["FEED_CACHE_SIZE"]
        )
    return cache


def get_feed(
    scope: FeedScope | None = None,
    *,
    locale: str,
    key: tuple | None = None,
    resolve: Any = None,
) -> Rendered | None:
    """The rendered feed: from the cache while its version is current, else rendered now.

    Checking the version is the only database work of a cached request. `key` and `resolve`
    let a caller skip even the lookup of what the feed is about (`resolve()` returns the scope,
    or None for 404) until the cache misses.
    """
    current = version()
    cache = feed_cache()
    cache_key = (key or scope, locale)
    cached = cache.get(cache_key, current)
    if cached is not None:
        return cached
    if scope is None:
        scope = resolve()
        if scope is None:
            return None
    body = render(scope, locale=locale)
    rendered = Rendered(body=body, etag='"' + hashlib.sha256(body).hexdigest()[:40] + '"')
    cache.put(cache_key, current, rendered)
    return rendered


# --- Personal feed tokens ----------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def regenerate_token(user_id: int, *, now: datetime) -> str:
    """Revoke the user's feed token (its URL then answers 404) and issue a new one.

    The token has 256 bits from `secrets`; only its SHA-256 is stored, so it can be shown once.
    The user's row is locked first: two regenerations at once (a double click) would each
    revoke nothing yet and both insert a live token, which the unique index refuses (a 500).
    """
    lock_row(User, user_id)
    db.session.execute(
        sa.update(FeedToken)
        .where(FeedToken.user_id == user_id, FeedToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(FeedToken(user_id=user_id, token_hash=_hash(token), created_at=now))
    db.session.flush()
    return token


def revoke_token(user_id: int, *, now: datetime) -> None:
    db.session.execute(
        sa.update(FeedToken)
        .where(FeedToken.user_id == user_id, FeedToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def live_token(user_id: int) -> FeedToken | None:
    return db.session.scalar(
        sa.select(FeedToken).where(FeedToken.user_id == user_id, FeedToken.revoked_at.is_(None))
    )


def scope_for_token(token: str) -> tuple[FeedScope, str] | None:
    """The feed a personal token opens and its owner's language, or None (answer 404)."""
    digest = _hash(token)
    row = db.session.scalar(
        sa.select(FeedToken).where(FeedToken.token_hash == digest, FeedToken.revoked_at.is_(None))
    )
    # The lookup is by hash; compare again in constant time so no timing reveals a prefix.
    if row is None or not secrets.compare_digest(row.token_hash, digest):
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active_account:
        return None
    if user.role in (Role.organizer, Role.admin):
        return FeedScope(ScopeKind.organizer, user.id), user.locale
    if user.role == Role.investor and user.investor_profile is not None:
        return FeedScope(ScopeKind.investor, user.investor_profile.id), user.locale
    if user.role == Role.startup and user.startup_profile is not None:
        return FeedScope(ScopeKind.startup, user.startup_profile.id), user.locale
    return None


def single_occurrence(occurrence: Occurrence, *, locale: str) -> bytes:
    """One occurrence as a downloadable .ics (no METHOD: a plain file to import)."""
    series = occurrence.series
    document = build.calendar(
        name=title(series, locale), description=title(series, locale), timezone=series.timezone
    )
    # A file anyone may download: the venue in both languages, the page's first.
    event = build.SeriesParts(series, locale, bilingual_venue=True).occurrence_event(occurrence)
    put(event, "uid", occurrence_uid(occurrence.id))
    return build.finish(document, [event])
