"""Calendar feeds (RFC 5545), built with the icalendar library.

A series is one master VEVENT (RRULE, EXDATE for dates the rule gives that are not stored:
skipped holidays, dates removed by an edit) plus one VEVENT per changed occurrence with the same
UID and a RECURRENCE-ID equal to its original start. Stored occurrences that the rule does not
give (kept one-offs) are VEVENTs of their own. The document is exactly the stored rows: the
feed tests expand it with three parsers and compare with the database.

Personal feeds list single VEVENTs: an investor's answer and a startup's slot are properties
of one date, which single events express without overriding a master that the person does not
otherwise see, and their UIDs are the UIDs of the emailed invitations, so calendars merge them.

Rendering is deterministic: DTSTAMP and LAST-MODIFIED are stored change times, components are
sorted, so two fetches without a change in between are byte-identical.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from icalendar import (
    Calendar,
    Event,
    Parameters,
    Timezone,
    vDDDTypes,
    vDuration,
    vInt,
    vRecur,
    vText,
    vUri,
)

from eventhub.accounts.models import Role
from eventhub.bookings.models import SLOT_HOLDING, Booking, BookingStatus
from eventhub.centers.models import Center
from eventhub.core.urls import external_url
from eventhub.extensions import db
from eventhub.feeds.ics import (
    NO_PARAMETERS,
    PRODID,
    SafeText,
    booking_sequence,
    booking_uid,
    clean,
    occurrence_uid,
    uid_domain,
)
from eventhub.feeds.models import FeedToken
from eventhub.invitations.models import Invitation, RsvpStatus
from eventhub.series.models import (
    EventSeries,
    Occurrence,
    OccurrenceStatus,
    SeriesStatus,
)
from eventhub.series.recurrence import expand

CANCELLED_PREFIX = {"ko": "[취소] ", "en": "[Cancelled] "}


# --- Text --------------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _text(value: str | None) -> SafeText:
    """Cleaned, escaped-on-output text. Memoized: a feed repeats its titles, contacts and
    places on every event, and SafeText values are never changed once made."""
    return SafeText(clean(value))


class _Instant:
    """A DATE-TIME value for DTSTART, DTEND, RECURRENCE-ID, DTSTAMP and LAST-MODIFIED.

    icalendar's vDDDTypes builds a parameter mapping for every value; ours share one per
    time zone (read-only), which matters with a thousand events in a feed.
    """

    __slots__ = ("dt", "params")
    _params: ClassVar[dict[str, Parameters]] = {}

    def __init__(self, value: datetime) -> None:
        self.dt = value
        key = getattr(value.tzinfo, "key", None)
        if value.utcoffset() == timedelta(0) and key in (None, "UTC"):
            self.params = NO_PARAMETERS
        else:
            params = self._params.get(key)
            if params is None:
                params = self._params[key] = Parameters({"TZID": key})
            self.params = params

    def to_ical(self) -> bytes:
        if self.params is NO_PARAMETERS:
            return self.dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ").encode()
        return self.dt.strftime("%Y%m%dT%H%M%S").encode()


def _put(component: Any, name: str, value: Any) -> None:
    """Set a property with its iCalendar type given directly.

    icalendar's ``add`` detects the type of every value, which is most of the cost of
    building a large feed; our values' types are known, so they are set as they are.
    """
    kind = type(value)
    if kind is SafeText or kind is vInt or kind is vUri:  # the most common, checked first
        component[name.upper()] = value
        return
    if kind is datetime and value.tzinfo is not None:
        component[name.upper()] = _Instant(value)
        return
    if isinstance(value, vText | vRecur | vDuration | vDDDTypes | vInt | vUri):
        prop = value
    elif isinstance(value, datetime) and value.tzinfo is not None:
        prop = _Instant(value)
    elif isinstance(value, datetime):
        prop = vDDDTypes(value)
    elif isinstance(value, timedelta):
        prop = vDuration(value)
    elif isinstance(value, bool | int):
        prop = vInt(int(value))
    elif isinstance(value, str):
        prop = SafeText(value)
    else:
        component.add(name, value)
        return
    component[name.upper()] = prop


def _title(series: EventSeries, locale: str) -> str:
    first, second = (series.title_ko, series.title_en)
    return (first or second) if locale == "ko" else (second or first)


# --- Building blocks ---------------------------------------------------------------------------


def _calendar(*, name: str, description: str, timezone: str) -> Calendar:
    ttl = timedelta(seconds=current_app.config["FEED_TTL_SECONDS"])
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _text(name))
    calendar.add("x-wr-caldesc", _text(description))
    calendar.add("x-wr-timezone", timezone)
    calendar.add("refresh-interval", ttl, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(ttl))
    return calendar


def _contact(center: Center) -> SafeText:
    email = center.contact_email or ""
    return _text(f"{center.name_ko} / {center.name_en}" + (f" <{email}>" if email else ""))


def _common(event: Event, *, series: EventSeries, locale: str, changed_at: datetime) -> None:
    _put(event, "dtstamp", changed_at.astimezone(UTC))
    _put(event, "last-modified", changed_at.astimezone(UTC))
    _put(event, "contact", _contact(series.center))


def _location(name: str | None, address: str | None, link: str | None) -> str:
    return ", ".join(part for part in (name, address, link) if part)


def _occurrence_location(occurrence: Any, series: EventSeries) -> SafeText:
    """Where one date takes place: its own venue, else the series', and the online link."""
    return _text(
        _location(
            occurrence.venue_name or series.venue_name,
            occurrence.venue_address or series.venue_address,
            occurrence.online_url or series.online_url,
        )
    )


def _until_in_utc(rule: str, tz: ZoneInfo) -> str:
    """Our stored UNTIL is wall-clock time; with a TZID'd DTSTART RFC 5545 wants it in UTC."""

    def convert(match: re.Match) -> str:
        local = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=tz)
        return "UNTIL=" + local.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    return re.sub(r"UNTIL=(\d{8}T\d{6})(?!Z)", convert, rule)


def _summary(
    series: EventSeries, occurrence_status: OccurrenceStatus | None, locale: str
) -> SafeText:
    prefix = CANCELLED_PREFIX[locale] if occurrence_status == OccurrenceStatus.cancelled else ""
    return _text(prefix + _title(series, locale))


# What a feed reads of an occurrence. A feed of a center holds a thousand of them: plain rows of
# these columns load several times faster than ORM objects with all of theirs.
_FEED_COLUMNS = (
    Occurrence.id, Occurrence.series_id, Occurrence.original_start_at, Occurrence.start_at,
    Occurrence.end_at, Occurrence.status, Occurrence.cancel_reason, Occurrence.venue_name,
    Occurrence.venue_address, Occurrence.online_url, Occurrence.is_detached,
    Occurrence.sequence, Occurrence.updated_at,
)  # fmt: skip


def _occurrences_by_series(series_ids: list[int]) -> dict[int, list[Any]]:
    """Every stored occurrence of the given series (as rows of `_FEED_COLUMNS`), one query."""
    grouped: dict[int, list[Any]] = {i: [] for i in series_ids}
    rows = db.session.execute(
        sa.select(*_FEED_COLUMNS)
        .where(Occurrence.series_id.in_(series_ids))
        .order_by(Occurrence.series_id, Occurrence.original_start_at, Occurrence.id)
    )
    for row in rows:
        grouped[row.series_id].append(row)
    return grouped


def series_events(
    series: EventSeries, *, locale: str, rows: list[Any] | None = None
) -> list[Event]:
    """The master VEVENT of a series, its overrides and its one-off occurrences."""
    tz = series.tz
    uid = f"series-{series.id}@{uid_domain()}"
    if rows is None:
        rows = _occurrences_by_series([series.id])[series.id]
    dtstart = datetime.combine(series.start_date, series.start_time)
    duration = timedelta(minutes=series.duration_minutes)
    horizon = series.materialized_until_at or datetime.now(UTC)
    horizon_local = horizon.astimezone(tz).replace(tzinfo=None)
    instants = (
        _rule_instants(series.rrule, dtstart=dtstart, until=horizon_local, tz=tz)
        if series.rrule
        else {}
    )
    by_original = {r.original_start_at: r for r in rows if not r.is_detached}
    events: list[Event] = []

    if series.rrule:
        master = Event()
        _put(master, "uid", uid)
        _put(master, "summary", _summary(series, None, locale))
        _put(master, "dtstart", dtstart.replace(tzinfo=tz))
        _put(master, "duration", duration)
        _put(master, "rrule", _text_rrule(_until_in_utc(series.rrule, tz)))
        missing = sorted(local for instant, local in instants.items() if instant not in by_original)
        if missing:
            master.add("exdate", [local.replace(tzinfo=tz) for local in missing])
        _put(master, "sequence", series.sequence)
        _put(master, "status", "CONFIRMED")
        _describe(
            master,
            series=series,
            locale=locale,
            url=external_url("series.detail", slug=series.slug),
        )
        _put(
            master,
            "location",
            _text(_location(series.venue_name, series.venue_address, series.online_url)),
        )
        _common(master, series=series, locale=locale, changed_at=series.updated_at)
        events.append(master)

    for occurrence in rows:
        in_rule = (
            series.rrule and not occurrence.is_detached and occurrence.original_start_at in instants
        )
        if (
            in_rule
            and not _differs(occurrence, series, duration)
            and not _dst_sensitive(instants[occurrence.original_start_at], duration, tz)
        ):
            continue
        event = _occurrence_event(occurrence, series=series, locale=locale)
        if in_rule:
            _put(event, "uid", uid)
            # The rule's own wall-clock time, as clients compute it (even inside a DST gap).
            _put(event, "recurrence-id", instants[occurrence.original_start_at].replace(tzinfo=tz))
        elif not series.rrule and not occurrence.is_detached:
            _put(event, "uid", uid)
        else:
            _put(event, "uid", occurrence_uid(occurrence))
        events.append(event)
    return events


@lru_cache(maxsize=512)
def _rule_instants(
    rule: str, *, dtstart: datetime, until: datetime, tz: ZoneInfo
) -> Mapping[datetime, datetime]:
    """The rule's dates up to `until`, by UTC instant, with their wall-clock time. A pure
    function of its arguments, kept per process: feeds are rendered again after every change,
    mostly for the same rules."""
    return MappingProxyType(
        {
            local.replace(tzinfo=tz, fold=0).astimezone(UTC): local
            for local in expand(rule, dtstart=dtstart, until=until)
        }
    )


def _text_rrule(rule: str) -> Any:
    from icalendar import vRecur

    return vRecur.from_ical(rule)


def _when(instant: datetime, tz: ZoneInfo) -> datetime:
    """An instant as local time with its TZID, or in UTC when the local time exists twice (a
    fall-back fold): written as local time, every parser would read the first of the two."""
    local = instant.astimezone(tz)
    naive = local.replace(tzinfo=None)
    if naive.replace(tzinfo=tz, fold=0).utcoffset() != naive.replace(tzinfo=tz, fold=1).utcoffset():
        return instant.astimezone(UTC)
    return local


def _ambiguous_or_missing(naive: datetime, tz: ZoneInfo) -> bool:
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        return True
    return first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive


@lru_cache(maxsize=65536)
def _dst_sensitive(local: datetime, duration: timedelta, tz: ZoneInfo) -> bool:
    """True when clients could disagree about this date's times: its wall-clock start or end
    does not exist or exists twice, or adding the duration in wall-clock time (as some
    expanders do) gives another end than elapsed time. Such dates get an explicit override."""
    start = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    end_local = (start + duration).astimezone(tz).replace(tzinfo=None)
    wall_end = (local + duration).replace(tzinfo=tz, fold=0).astimezone(UTC)
    return (
        _ambiguous_or_missing(local, tz)
        or _ambiguous_or_missing(end_local, tz)
        or wall_end != start + duration
    )


def _differs(occurrence: Any, series: EventSeries, duration: timedelta) -> bool:
    """True when the occurrence is not exactly what the master event says for its date."""
    return (
        occurrence.start_at != occurrence.original_start_at
        or occurrence.end_at != occurrence.start_at + duration
        or occurrence.status != OccurrenceStatus.scheduled
        or occurrence.sequence != 0
        or any((occurrence.venue_name, occurrence.venue_address, occurrence.online_url))
    )


def _occurrence_event(occurrence: Any, *, series: EventSeries, locale: str) -> Event:
    """One date as its own VEVENT; `occurrence` is an Occurrence or a row of its columns."""
    tz = series.tz
    cancelled = occurrence.status == OccurrenceStatus.cancelled
    event = Event()
    _put(event, "summary", _summary(series, occurrence.status, locale))
    _put(event, "dtstart", _when(occurrence.start_at, tz))
    _put(event, "dtend", _when(occurrence.end_at, tz))
    _put(event, "sequence", occurrence.sequence)
    _put(event, "status", "CANCELLED" if cancelled else "CONFIRMED")
    _put(event, "location", _occurrence_location(occurrence, series))
    url = external_url("series.occurrence", occurrence_id=occurrence.id)
    extra = ""
    if cancelled and occurrence.cancel_reason:
        extra = (
            "취소 사유: " if locale == "ko" else "Reason for the cancellation: "
        ) + occurrence.cancel_reason
    _describe(event, series=series, locale=locale, url=url, extra=extra)
    _common(
        event,
        series=series,
        locale=locale,
        changed_at=max(occurrence.updated_at, series.updated_at),
    )
    return event


def _describe(event: Event, *, series: EventSeries, locale: str, url: str, extra: str = "") -> None:
    description = series.description_ko if locale == "ko" else series.description_en
    text = "\n\n".join(part for part in (extra, description or "", url) if part)
    _put(event, "description", _text(text))
    _put(event, "url", vUri(url))


def _finish(calendar: Calendar, events: Iterable[Event]) -> bytes:
    return _assemble(calendar, events).to_ical()


def _assemble(calendar: Calendar, events: Iterable[Event]) -> Calendar:
    def key(event: Event) -> tuple:
        recurrence = event.get("recurrence-id")
        return (str(event["uid"]), recurrence.dt.isoformat() if recurrence else "")

    events = sorted(events, key=key)
    for tzid in sorted(_tzids(events)):
        calendar.add_component(_vtimezone(tzid))
    for event in events:
        calendar.add_component(event)
    return calendar


def _tzids(events: Iterable[Event]) -> set[str]:
    found = set()
    for event in events:
        for name in ("dtstart", "dtend", "recurrence-id"):
            value = event.get(name)
            if value is not None and getattr(value.dt, "tzinfo", None) is not None:
                key = getattr(value.dt.tzinfo, "key", None)
                if key:
                    found.add(key)
    return found


_VTIMEZONES: dict[str, Timezone] = {}


def _vtimezone(tzid: str) -> Timezone:
    """A VTIMEZONE for `tzid` with one RDATE per line.

    icalendar writes a transition list as one comma-separated RDATE; ical.js (Thunderbird)
    reads only the first value of such a property, and would then get every later offset
    wrong. One value per RDATE reads the same in every parser.
    """
    cached = _VTIMEZONES.get(tzid)
    if cached is not None:
        return cached
    timezone = Timezone.from_tzinfo(ZoneInfo(tzid), tzid=tzid)
    for sub in timezone.subcomponents:
        rdates = sub.get("rdate")
        if rdates is None:
            continue
        values = []
        for entry in rdates if isinstance(rdates, list) else [rdates]:
            values.extend(d.dt for d in entry.dts)
        del sub["rdate"]
        for value in values:
            sub.add("rdate", value)
    _VTIMEZONES[tzid] = timezone
    return timezone


# --- The feeds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedScope:
    """What a feed shows: a kind and the id it is about."""

    kind: str  # "all", "center", "series", "organizer", "investor", "startup"
    key: int | None = None


def _public_series(scope: FeedScope) -> list[EventSeries]:
    query = sa.select(EventSeries).order_by(EventSeries.id)
    if scope.kind in ("all", "center", "series"):
        query = query.where(
            EventSeries.status == SeriesStatus.published, EventSeries.is_public.is_(True)
        )
    if scope.kind == "center":
        query = query.where(EventSeries.center_id == scope.key)
    elif scope.kind == "series":
        query = query.where(EventSeries.id == scope.key)
    elif scope.kind == "organizer":
        query = query.where(EventSeries.center_id.in_(_organizer_center_ids(scope.key)))
    return list(db.session.scalars(query))


def _organizer_center_ids(user_id: int) -> list[int]:
    from eventhub.accounts.models import User

    user = db.session.get(User, user_id)
    if user is None:
        return []
    if user.role == Role.admin:
        return list(db.session.scalars(sa.select(Center.id)))
    return [c.id for c in user.centers]


def build_series_calendar(scope: FeedScope, *, locale: str) -> Calendar:
    """The calendar object of a public or organizer feed, before serialization."""
    series_list = _public_series(scope)
    name, description = _names(scope, series_list, locale)
    zones = {s.timezone for s in series_list}
    tz = series_list[0].timezone if len(zones) == 1 else "Asia/Seoul"
    calendar = _calendar(name=name, description=description, timezone=tz)
    rows = _occurrences_by_series([s.id for s in series_list])
    events = [e for s in series_list for e in series_events(s, locale=locale, rows=rows[s.id])]
    return _assemble(calendar, events)


def render(scope: FeedScope, *, locale: str) -> bytes:
    """The iCalendar document of a feed."""
    if scope.kind in ("all", "center", "series", "organizer"):
        return build_series_calendar(scope, locale=locale).to_ical()
    if scope.kind == "investor":
        return _investor_feed(scope.key, locale=locale)
    return _startup_feed(scope.key, locale=locale)


def _names(scope: FeedScope, series_list: list[EventSeries], locale: str) -> tuple[str, str]:
    ko = locale == "ko"
    if scope.kind == "series" and series_list:
        title = _title(series_list[0], locale)
        return f"{title} · EventHub", title
    if scope.kind == "center":
        center = db.session.get(Center, scope.key)
        name = center.name_ko if ko else center.name_en
        return f"{name} · EventHub", ("투자 설명회" if ko else "Investor days") + f": {name}"
    if scope.kind == "organizer":
        return ("내 센터 · EventHub" if ko else "My centers · EventHub"), (
            "운영하는 센터의 모든 일정" if ko else "Every date of the centers you organize"
        )
    return ("투자 설명회 · EventHub" if ko else "Investor days · EventHub"), (
        "창조경제혁신센터의 투자 설명회" if ko else "Investor days of the innovation centers"
    )


def _investor_feed(investor_id: int, *, locale: str) -> bytes:
    from eventhub.invitations import services as invitations

    ko = locale == "ko"
    calendar = _calendar(
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
        event = _occurrence_event(occurrence, series=series, locale=locale)
        _put(event, "uid", occurrence_uid(occurrence))
        if not occurrence.is_cancelled:
            event["status"] = (
                "CONFIRMED" if invitation.status == RsvpStatus.accepted else "TENTATIVE"
            )
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
                parts = [
                    start,
                    a.get("company_name") or "",
                    a.get("industry") or "",
                    a.get("stage") or "",
                ]
                if a.get("amount_sought_krw"):
                    parts.append(f"{a['amount_sought_krw']:,} KRW")
                parts += [a.get("one_liner") or "", a.get("deck_url") or ""]
                lines.append(" · ".join(p for p in parts if p))
            description = str(event.get("description", ""))
            del event["description"]
            _put(event, "description", _text("\n".join(lines) + "\n\n" + description))
        changed = max(
            occurrence.updated_at,
            series.updated_at,
            invitation.answered_at or invitation.invited_at,
        )
        del event["dtstamp"]
        del event["last-modified"]
        _put(event, "dtstamp", changed)
        _put(event, "last-modified", changed)
        events.append(event)
    return _finish(calendar, events)


def _startup_feed(startup_id: int, *, locale: str) -> bytes:
    ko = locale == "ko"
    calendar = _calendar(
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
        tz = series.tz
        cancelled = booking.status == BookingStatus.cancelled or occurrence.is_cancelled
        event = Event()
        _put(event, "uid", booking_uid(booking.id))
        prefix = CANCELLED_PREFIX[locale] if cancelled else ""
        label = "피칭" if ko else "Pitch"
        _put(event, "summary", _text(f"{prefix}{label}: {_title(series, locale)}"))
        _put(event, "dtstart", slot.start_at.astimezone(tz))
        _put(event, "dtend", slot.end_at.astimezone(tz))
        _put(event, "sequence", booking_sequence(booking))
        _put(event, "status", "CANCELLED" if cancelled else "CONFIRMED")
        _put(
            event,
            "location",
            _occurrence_location(occurrence, series),
        )
        url = external_url("series.occurrence", occurrence_id=occurrence.id)
        _put(event, "description", _text(url))
        _put(event, "url", vUri(url))
        _common(
            event,
            series=series,
            locale=locale,
            changed_at=max(booking.updated_at, occurrence.updated_at),
        )
        events.append(event)
    return _finish(calendar, events)


# --- Versions and the cache ------------------------------------------------------------------


def version() -> int:
    """The version every cached feed is checked against: the newest `feed_change` id."""
    # The raw pooled DBAPI connection: no ORM session, no transaction bookkeeping, one query.
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute("SELECT max(id) FROM feed_change")
            row = cursor.fetchone()
        finally:
            cursor.close()
    finally:
        connection.close()
    return (row[0] if row else None) or 0


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str
    last_modified: datetime

    @property
    def last_modified_http(self) -> str:
        from werkzeug.http import http_date

        return http_date(self.last_modified)


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


def _last_modified(body: bytes) -> datetime:
    stamps = re.findall(rb"LAST-MODIFIED:(\d{8}T\d{6})Z", body)
    if not stamps:
        return datetime(2026, 1, 1, tzinfo=UTC)
    return datetime.strptime(max(stamps).decode(), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


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
    rendered = Rendered(
        body=body,
        etag='"' + hashlib.sha256(body).hexdigest()[:40] + '"',
        last_modified=_last_modified(body),
    )
    cache.put(cache_key, current, rendered)
    return rendered


# --- Personal feed tokens ----------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def regenerate_token(user_id: int, *, now: datetime) -> str:
    """Revoke the user's feed token (its URL then answers 404) and issue a new one.

    The token has 256 bits from `secrets`; only its SHA-256 is stored, so it can be shown once.
    """
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
    from eventhub.accounts.models import User

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
        return FeedScope("organizer", user.id), user.locale
    if user.role == Role.investor and user.investor_profile is not None:
        return FeedScope("investor", user.investor_profile.id), user.locale
    if user.role == Role.startup and user.startup_profile is not None:
        return FeedScope("startup", user.startup_profile.id), user.locale
    return None


def single_occurrence(occurrence: Occurrence, *, locale: str) -> bytes:
    """One occurrence as a downloadable .ics (no METHOD: a plain file to import)."""
    series = occurrence.series
    calendar = _calendar(
        name=_title(series, locale), description=_title(series, locale), timezone=series.timezone
    )
    event = _occurrence_event(occurrence, series=series, locale=locale)
    _put(event, "uid", occurrence_uid(occurrence))
    return _finish(calendar, [event])
