"""Building the events of a feed with the icalendar library.

A series is one master VEVENT (RRULE, EXDATE for dates the rule gives that are not stored:
skipped holidays, dates removed by an edit) plus one VEVENT per changed occurrence with the same
UID and a RECURRENCE-ID equal to its original start. Stored occurrences that the rule does not
give (kept one-offs) are VEVENTs of their own. The document is exactly the stored rows: the
feed tests expand it with three parsers and compare with the database.

A center's feed holds a thousand occurrences, so this module is written for speed where a
feed repeats work per event: what every event of a series shares is computed once per series
(`SeriesParts`), property values are set with their iCalendar types directly instead of through
icalendar's type detection, and values that cannot change (texts, integers, parameter
mappings) are shared between events. docs/benchmarks.md has the figures.
"""

from __future__ import annotations

import re
from collections import OrderedDict, namedtuple
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
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

from eventhub.centers.models import Center
from eventhub.core.ics import (
    NO_PARAMETERS,
    PRODID,
    PlainUri,
    SafeText,
    clean,
    occurrence_uid,
    uid_domain,
)
from eventhub.core.urls import external_url, external_url_maker
from eventhub.extensions import db
from eventhub.series.models import EventSeries, Occurrence, OccurrenceStatus
from eventhub.series.recurrence import expand

CANCELLED_PREFIX = {"ko": "[취소] ", "en": "[Cancelled] "}
CANCEL_REASON_LABEL = {"ko": "취소 사유: ", "en": "Reason for the cancellation: "}

_ZERO = timedelta(0)

CONFIRMED = SafeText("CONFIRMED")
CANCELLED = SafeText("CANCELLED")
TENTATIVE = SafeText("TENTATIVE")


# --- Values --------------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def text(value: str | None) -> SafeText:
    """Cleaned, escaped-on-output text. Memoized: a feed repeats its titles, contacts and
    places on every event, and SafeText values are never changed once made."""
    return SafeText(clean(value))


@lru_cache(maxsize=1024)
def integer(value: int) -> vInt:
    """A shared INTEGER value (SEQUENCE): vInt builds a parameter mapping per value."""
    return vInt(value)


class Instant:
    """A DATE-TIME value for DTSTART, DTEND, RECURRENCE-ID, DTSTAMP and LAST-MODIFIED.

    icalendar's vDDDTypes builds a parameter mapping for every value; ours share one per
    time zone (read-only), which matters with a thousand events in a feed.
    """

    __slots__ = ("dt", "params")
    _params: ClassVar[dict[str, Parameters]] = {}

    def __init__(self, value: datetime) -> None:
        self.dt = value
        key = getattr(value.tzinfo, "key", None)
        if value.utcoffset() == _ZERO and key in (None, "UTC"):
            self.params = NO_PARAMETERS
        else:
            self.params = self.zone_params(key)

    @classmethod
    def zone_params(cls, key: str) -> Parameters:
        params = cls._params.get(key)
        if params is None:
            params = cls._params[key] = Parameters({"TZID": key})
        return params

    @classmethod
    def local(cls, value: datetime, params: Parameters) -> Instant:
        """A wall-clock time in a zone whose parameters the caller already has."""
        self = cls.__new__(cls)
        self.dt = value
        self.params = params
        return self

    @classmethod
    def utc(cls, value: datetime) -> Instant:
        """An aware instant, written in UTC."""
        self = cls.__new__(cls)
        self.dt = value
        self.params = NO_PARAMETERS
        return self

    def to_ical(self) -> bytes:
        if self.params is NO_PARAMETERS:
            return self.dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ").encode()
        return self.dt.strftime("%Y%m%dT%H%M%S").encode()


# Set a property whose name is upper-case already. Components are case-insensitive
# OrderedDicts that store names upper-cased; with the name given so, their own __setitem__
# would only upper-case it again, at three times the cost, for a dozen properties per event.
_set = OrderedDict.__setitem__


def put(component: Any, name: str, value: Any) -> None:
    """Set a property with its iCalendar type given directly.

    icalendar's ``add`` detects the type of every value, which is most of the cost of
    building a large feed; our values' types are known, so they are set as they are.
    """
    kind = type(value)
    if kind is SafeText or kind is vInt or kind is PlainUri or kind is Instant:
        component[name.upper()] = value
        return
    if kind is datetime and value.tzinfo is not None:
        component[name.upper()] = Instant(value)
        return
    if isinstance(value, vText | vRecur | vDuration | vDDDTypes | vInt | vUri):
        prop = value
    elif isinstance(value, datetime) and value.tzinfo is not None:
        prop = Instant(value)
    elif isinstance(value, datetime):
        prop = vDDDTypes(value)
    elif isinstance(value, timedelta):
        prop = vDuration(value)
    elif isinstance(value, bool | int):
        prop = integer(int(value))
    elif isinstance(value, str):
        prop = SafeText(value)
    else:
        component.add(name, value)
        return
    component[name.upper()] = prop


def title(series: EventSeries, locale: str) -> str:
    first, second = (series.title_ko, series.title_en)
    return (first or second) if locale == "ko" else (second or first)


def calendar(*, name: str, description: str, timezone: str) -> Calendar:
    ttl = timedelta(seconds=current_app.config["FEED_TTL_SECONDS"])
    document = Calendar()
    document.add("prodid", PRODID)
    document.add("version", "2.0")
    document.add("calscale", "GREGORIAN")
    document.add("x-wr-calname", text(name))
    document.add("x-wr-caldesc", text(description))
    document.add("x-wr-timezone", timezone)
    document.add("refresh-interval", ttl, parameters={"VALUE": "DURATION"})
    document.add("x-published-ttl", vDuration(ttl))
    return document


def contact(center: Center) -> SafeText:
    email = center.contact_email or ""
    return text(f"{center.name_ko} / {center.name_en}" + (f" <{email}>" if email else ""))


def _location(name: str | None, address: str | None, link: str | None) -> SafeText:
    return text(", ".join(part for part in (name, address, link) if part))


OTHER_LOCALE = {"ko": "en", "en": "ko"}


def _place(occurrence: Any, series: EventSeries, locale: str) -> str:
    """The venue's name and address in `locale`, field by field from the date's own venue or
    else the series': English falls back to the Korean of the same source, so a date's own
    Korean venue is never paired with the series' English one (`Occurrence.venue_in`)."""
    parts = []
    for field in ("venue_name", "venue_address"):
        source = occurrence if occurrence is not None and getattr(occurrence, field) else series
        korean = getattr(source, field)
        parts.append((getattr(source, f"{field}_en") or korean) if locale == "en" else korean)
    return ", ".join(part for part in parts if part)


def _venue_text(occurrence: Any, series: EventSeries, locales: tuple[str, ...]) -> str:
    """The venue in each of `locales` (one, or both with the first one first), each once."""
    texts: list[str] = []
    for locale in locales:
        place = _place(occurrence, series, locale)
        if place and place not in texts:
            texts.append(place)
    return " / ".join(texts)


def _until_in_utc(rule: str, tz: ZoneInfo) -> str:
    """Our stored UNTIL is wall-clock time; with a TZID'd DTSTART RFC 5545 wants it in UTC."""

    def convert(match: re.Match) -> str:
        local = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=tz)
        return "UNTIL=" + local.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    return re.sub(r"UNTIL=(\d{8}T\d{6})(?!Z)", convert, rule)


# --- Time ----------------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _rule_dates(
    rule: str, *, dtstart: datetime, until: datetime, tz: ZoneInfo, duration: timedelta
) -> tuple[tuple[datetime, datetime, bool], ...]:
    """The rule's dates up to `until` in time order: the UTC instant, the wall-clock time, and
    whether clients could disagree about it (`_dst_sensitive`). A pure function of its
    arguments, kept per process: feeds are rendered again after every change, mostly for the
    same rules."""
    by_instant = {}
    for local in expand(rule, dtstart=dtstart, until=until):
        # The first reading of the wall-clock time (fold 0), as clients read an RRULE's dates.
        by_instant[_utc(local - tz.utcoffset(_first(local)))] = local
    return tuple(
        (instant, local, _dst_sensitive(local, duration, tz))
        for instant, local in sorted(by_instant.items())
    )


def _utc(naive: datetime) -> datetime:
    """A naive UTC time made aware (the constructor is several times cheaper than `replace`,
    which matters for the thousands of dates of a center's feed)."""
    return datetime(
        naive.year, naive.month, naive.day, naive.hour, naive.minute, naive.second,
        naive.microsecond, UTC,
    )  # fmt: skip


def _first(naive: datetime) -> datetime:
    return naive.replace(fold=0) if naive.fold else naive


def _ambiguous_or_missing(naive: datetime, tz: ZoneInfo) -> bool:
    """True when the wall-clock time exists twice (a fold) or not at all (a gap): the two
    readings PEP 495 gives it have different offsets."""
    second = datetime(
        naive.year, naive.month, naive.day, naive.hour, naive.minute, naive.second,
        naive.microsecond, tz, fold=1,
    )  # fmt: skip
    return tz.utcoffset(_first(naive)) != second.utcoffset()


def _dst_sensitive(local: datetime, duration: timedelta, tz: ZoneInfo) -> bool:
    """True when clients could disagree about this date's times: its wall-clock start or end
    does not exist or exists twice, or adding the duration in wall-clock time (as some
    expanders do) gives another end than elapsed time. Such dates get an explicit override.

    Written with offsets rather than conversions, as it runs for every date of every rule;
    a property test compares it with the plain definition (`dst_sensitive_reference`)."""
    local = _first(local)
    if _ambiguous_or_missing(local, tz):
        return True
    wall_end = local + duration
    offset = tz.utcoffset(local)
    if tz.utcoffset(wall_end) != offset:
        return True  # elapsed time and wall-clock time give different ends
    if not _ambiguous_or_missing(wall_end, tz):
        return False  # the end is `wall_end` itself, with the start's offset
    return dst_sensitive_reference(local, duration, tz)  # an end at a transition: rare


def dst_sensitive_reference(local: datetime, duration: timedelta, tz: ZoneInfo) -> bool:
    """`_dst_sensitive` by its definition, with conversions: the start, the elapsed-time end
    and the wall-clock end, compared."""

    def unclear(naive: datetime) -> bool:
        first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
        if first.utcoffset() != second.utcoffset():
            return True
        return first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive

    start = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    end_local = (start + duration).astimezone(tz).replace(tzinfo=None)
    wall_end = (local + duration).replace(tzinfo=tz, fold=0).astimezone(UTC)
    return unclear(local) or unclear(end_local) or wall_end != start + duration


# --- One series ----------------------------------------------------------------------------------

# What a feed reads of an occurrence. A feed of a center holds a thousand of them: plain rows of
# these columns load several times faster than ORM objects with all of theirs.
FEED_COLUMNS = (
    Occurrence.id, Occurrence.series_id, Occurrence.original_start_at, Occurrence.start_at,
    Occurrence.end_at, Occurrence.status, Occurrence.cancel_reason, Occurrence.venue_name,
    Occurrence.venue_address, Occurrence.venue_name_en, Occurrence.venue_address_en,
    Occurrence.online_url, Occurrence.is_detached,
    Occurrence.sequence, Occurrence.changed_at,
)  # fmt: skip


# A plain named tuple: reading a field by name is ten times cheaper than on a result row.
FeedRow = namedtuple("FeedRow", [column.key for column in FEED_COLUMNS])  # type: ignore[misc]


def occurrences_by_series(series_ids: list[int]) -> dict[int, list[FeedRow]]:
    """Every stored occurrence of the given series (as `FeedRow`s), in one query."""
    grouped: dict[int, list[FeedRow]] = {i: [] for i in series_ids}
    # All rows in one fetch: iterating the result would fetch them one by one.
    rows = (
        db.session.connection()
        .execute(
            sa.select(*FEED_COLUMNS)
            .where(Occurrence.series_id.in_(series_ids))
            .order_by(Occurrence.series_id, Occurrence.original_start_at, Occurrence.id)
        )
        .all()
    )
    make = FeedRow._make
    for row in rows:
        grouped[row[1]].append(make(row))
    return grouped


class Links:
    """The pages events link back to, for one render: building a URL per event through the
    router is a sixth of an event's cost, so the occurrence link is made once and formatted."""

    def __init__(self) -> None:
        self.occurrence = external_url_maker("series.occurrence", "occurrence_id")

    @staticmethod
    def series(series: EventSeries) -> str:
        return external_url("series.detail", slug=series.slug)


class SeriesParts:
    """What every event of one series shares, computed once per series and render.

    `tzids` collects the zones the events are written in, for the document's VTIMEZONEs.
    A feed with an owner (`bilingual_venue=False`) names the venue in the owner's language; a
    public one, read by anyone, in `locale` first and then in the other language.
    """

    def __init__(
        self,
        series: EventSeries,
        locale: str,
        links: Links | None = None,
        tzids: set[str] | None = None,
        *,
        bilingual_venue: bool = False,
    ) -> None:
        self.series = series
        self.locale = locale
        self.venue_locales = (locale, OTHER_LOCALE[locale]) if bilingual_venue else (locale,)
        self.links = links or Links()
        self.tzids = set() if tzids is None else tzids
        self.tz = series.tz
        self.zone = Instant.zone_params(series.timezone)
        self.uid = SafeText(f"series-{series.id}@{uid_domain()}")
        self.duration = timedelta(minutes=series.duration_minutes)
        self.summary = text(title(series, locale))
        self.cancelled_summary = text(CANCELLED_PREFIX[locale] + title(series, locale))
        self.contact = contact(series.center)
        self.location = _location(
            _venue_text(None, series, self.venue_locales), None, series.online_url
        )
        self.changed_at = series.changed_at.astimezone(UTC)
        description = series.description_ko if locale == "ko" else series.description_en
        # Cleaned once here; the parts joined to it per event are cleaned on their own, and
        # cleaning is per character, so the result is the cleaned whole.
        self.description = clean(description) if description else ""

    def when(self, instant: datetime) -> Instant:
        """An instant as local time with its TZID, or in UTC when the local time exists twice (a
        fall-back fold): written as local time, every parser would read the first of the two."""
        local = instant.astimezone(self.tz)
        # The same wall-clock time on the other side of a fold (the constructor is twice as
        # fast as `replace`, and this runs twice per event).
        other = datetime(
            local.year, local.month, local.day, local.hour, local.minute, local.second,
            local.microsecond, self.tz, fold=1 - local.fold,
        )  # fmt: skip
        if other.utcoffset() != local.utcoffset():
            return Instant(instant.astimezone(UTC))
        self.tzids.add(self.series.timezone)
        return Instant.local(local, self.zone)

    def location_of(self, occurrence: Any) -> SafeText:
        """Where one date takes place: its own venue, else the series', and the online link."""
        if not (occurrence.venue_name or occurrence.venue_address or occurrence.online_url):
            return self.location
        series = self.series
        return _location(
            _venue_text(occurrence, series, self.venue_locales),
            None,
            occurrence.online_url or series.online_url,
        )

    def describe(self, event: Event, url: str, extra: str = "") -> None:
        extra = clean(extra) if extra else ""
        body = "\n\n".join(part for part in (extra, self.description, url) if part)
        _set(event, "DESCRIPTION", SafeText(body))
        _set(event, "URL", PlainUri(url))

    def stamp(self, event: Event, changed_at: datetime) -> None:
        """DTSTAMP and LAST-MODIFIED from when the event last changed, and the center's contact.

        A feed is a published snapshot, not a message: stamping it with the time of the render
        (or of bookkeeping such as the horizon job) would change its bytes, and every
        subscriber would download it again, when nothing in it changed."""
        stamp = Instant.utc(changed_at)
        _set(event, "DTSTAMP", stamp)
        _set(event, "LAST-MODIFIED", stamp)
        _set(event, "CONTACT", self.contact)

    def occurrence_event(self, occurrence: Any) -> Event:
        """One date as its own VEVENT; `occurrence` is an Occurrence or a row of its columns."""
        cancelled = occurrence.status == OccurrenceStatus.cancelled
        event = Event()
        _set(event, "SUMMARY", self.cancelled_summary if cancelled else self.summary)
        _set(event, "DTSTART", self.when(occurrence.start_at))
        _set(event, "DTEND", self.when(occurrence.end_at))
        _set(event, "SEQUENCE", integer(occurrence.sequence))
        _set(event, "STATUS", CANCELLED if cancelled else CONFIRMED)
        location = self.location_of(occurrence)
        if location:  # no empty LOCATION: a series may have no venue
            _set(event, "LOCATION", location)
        extra = ""
        if cancelled and occurrence.cancel_reason:
            extra = CANCEL_REASON_LABEL[self.locale] + occurrence.cancel_reason
        self.describe(event, self.links.occurrence(occurrence.id), extra)
        self.stamp(event, max(occurrence.changed_at, self.changed_at))
        return event

    def master(self, missing: list[datetime]) -> Event:
        """The VEVENT with the rule; EXDATE for the rule's dates that are not stored."""
        series, tz = self.series, self.tz
        dtstart = datetime.combine(series.start_date, series.start_time)
        master = Event()
        master["UID"] = self.uid
        master["SUMMARY"] = self.summary
        master["DTSTART"] = Instant.local(dtstart.replace(tzinfo=tz), self.zone)
        self.tzids.add(series.timezone)
        master["DURATION"] = vDuration(self.duration)
        master["RRULE"] = vRecur.from_ical(_until_in_utc(series.rrule, tz))
        if missing:
            master.add("exdate", [local.replace(tzinfo=tz) for local in sorted(missing)])
        master["SEQUENCE"] = integer(series.sequence)
        master["STATUS"] = CONFIRMED
        self.describe(master, self.links.series(series))
        if self.location:
            master["LOCATION"] = self.location
        self.stamp(master, self.changed_at)
        return master

    def entries(self, rows: list[FeedRow]) -> list[tuple[tuple[str, str], Event]]:
        """The master VEVENT, its overrides and the one-off occurrences, each with its place in
        the document (UID, then RECURRENCE-ID).

        `rows` are in the order of their original start, as are the rule's dates, so one walk
        through both pairs each stored date with the rule's (comparing instants is much
        cheaper than hashing a thousand fresh ones).
        """
        series, tz, duration = self.series, self.tz, self.duration
        uid = str(self.uid)
        dates: tuple[tuple[datetime, datetime, bool], ...] = ()
        if series.rrule:
            horizon = series.materialized_until_at or datetime.now(UTC)
            dates = _rule_dates(
                series.rrule,
                dtstart=datetime.combine(series.start_date, series.start_time),
                until=horizon.astimezone(tz).replace(tzinfo=None),
                tz=tz,
                duration=duration,
            )
        missing: list[datetime] = []  # the rule's dates with no stored row: EXDATE
        entries = []
        scheduled = OccurrenceStatus.scheduled
        i, count = 0, len(dates)
        for row in rows:
            # Unpacked rather than read by name: this loop runs for every stored date.
            _, _, original, start, end, status, _, *places, detached, _, _ = row
            if detached:
                entries.append(self._own_event(row))
                continue
            while i < count and dates[i][0] < original:
                missing.append(dates[i][1])
                i += 1
            if i == count or dates[i][0] != original:  # not a date of the rule
                if series.rrule:
                    entries.append(self._own_event(row))
                else:
                    entries.append(((uid, ""), self._event_with_uid(row)))
                continue
            _, local, sensitive = dates[i]
            i += 1
            if (
                start == original
                and end == start + duration
                and status == scheduled
                and not any(places)
                and not sensitive
            ):
                # Exactly what the master says for this date. Its SEQUENCE may have grown
                # with edits of the whole series; those changed the master (and its SEQUENCE),
                # and an override per date would only repeat it, a thousand times in a
                # center's feed.
                continue
            event = self._event_with_uid(row)
            # The rule's own wall-clock time, as clients compute it (even inside a DST gap).
            recurrence = local.replace(tzinfo=tz)
            _set(event, "RECURRENCE-ID", Instant.local(recurrence, self.zone))
            entries.append(((uid, recurrence.isoformat()), event))
        if series.rrule:
            missing.extend(date[1] for date in dates[i:])
            entries.insert(0, ((uid, ""), self.master(missing)))
        return entries

    def _event_with_uid(self, row: Any) -> Event:
        event = self.occurrence_event(row)
        _set(event, "UID", self.uid)
        return event

    def _own_event(self, row: Any) -> tuple[tuple[str, str], Event]:
        """A stored date the rule does not give (a kept one-off): an event with its own UID."""
        event = self.occurrence_event(row)
        own = occurrence_uid(row.id)
        _set(event, "UID", SafeText(own))
        return (own, ""), event


# --- Documents -----------------------------------------------------------------------------------


def series_document(
    document: Calendar,
    series_list: list[EventSeries],
    *,
    locale: str,
    bilingual_venue: bool = False,
) -> Calendar:
    """The master events, overrides and one-offs of all the series, in one document."""
    rows = occurrences_by_series([s.id for s in series_list])
    links, tzids = Links(), set()
    entries = []
    for series in series_list:
        parts = SeriesParts(series, locale, links, tzids, bilingual_venue=bilingual_venue)
        entries.extend(parts.entries(rows[series.id]))
    entries.sort(key=lambda entry: entry[0])
    return _add(document, [event for _, event in entries], tzids)


def assemble(document: Calendar, events: Iterable[Event]) -> Calendar:
    """Events in a stable order (UID, then RECURRENCE-ID) and the VTIMEZONEs they use."""

    def key(event: Event) -> tuple:
        recurrence = event.get("recurrence-id")
        return (str(event["uid"]), recurrence.dt.isoformat() if recurrence else "")

    events = sorted(events, key=key)
    return _add(document, events, _tzids(events))


def _add(document: Calendar, events: list[Event], tzids: set[str]) -> Calendar:
    for tzid in sorted(tzids):
        document.add_component(vtimezone(tzid))
    document.subcomponents.extend(events)
    return document


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


def vtimezone(tzid: str) -> Timezone:
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


def finish(document: Calendar, events: Iterable[Event]) -> bytes:
    return assemble(document, events).to_ical()
