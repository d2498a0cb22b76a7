"""The shortcuts the feed builder takes for speed give what the plain definitions give."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from eventhub.core.urls import external_url, external_url_maker
from eventhub.feeds.build import _dst_sensitive, dst_sensitive_reference
from tests.conftest import EXAMPLES

# Zones with yearly DST, a half-hour DST (Lord Howe), DST changes by decree (Santiago, Apia),
# negative DST (Dublin), a two-hour DST (Troll) and none (Seoul).
ZONES = [
    "Asia/Seoul", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
    "America/Santiago", "Pacific/Apia", "Europe/Dublin", "Antarctica/Troll",
]  # fmt: skip

BERLIN = ZoneInfo("Europe/Berlin")


@settings(max_examples=EXAMPLES or 2000, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    local=st.datetimes(datetime(1990, 1, 1), datetime(2040, 12, 31)).map(
        lambda d: d.replace(second=0, microsecond=0, minute=d.minute // 15 * 15)
    ),
    minutes=st.sampled_from([15, 30, 60, 90, 120, 180, 240, 600, 1440, 1500]),
)
# A start in the spring gap; a start in the autumn fold; an end in the gap; an end in the fold;
# an event spanning the change; a plain day.
@example(zone="Europe/Berlin", local=datetime(2026, 3, 29, 2, 30), minutes=60)
@example(zone="Europe/Berlin", local=datetime(2026, 10, 25, 2, 30), minutes=60)
@example(zone="Europe/Berlin", local=datetime(2026, 3, 28, 23, 30), minutes=180)
@example(zone="Europe/Berlin", local=datetime(2026, 10, 25, 0, 30), minutes=120)
@example(zone="Europe/Berlin", local=datetime(2026, 3, 29, 1, 0), minutes=180)
@example(zone="Europe/Berlin", local=datetime(2026, 6, 1, 14, 0), minutes=180)
def test_dst_sensitivity_by_offsets_matches_the_definition(zone, local, minutes):
    tz, duration = ZoneInfo(zone), timedelta(minutes=minutes)
    assert _dst_sensitive(local, duration, tz) == dst_sensitive_reference(local, duration, tz)


def test_dst_sensitive_dates_are_those_at_a_clock_change():
    hours = timedelta(hours=3)
    assert _dst_sensitive(datetime(2026, 3, 29, 2, 30), hours, BERLIN)  # starts in the gap
    assert _dst_sensitive(datetime(2026, 10, 25, 2, 30), hours, BERLIN)  # starts twice
    assert _dst_sensitive(datetime(2026, 3, 29, 1, 0), hours, BERLIN)  # spans the change
    assert not _dst_sensitive(datetime(2026, 6, 1, 14, 0), hours, BERLIN)
    assert not _dst_sensitive(datetime(2026, 3, 29, 14, 0), hours, ZoneInfo("Asia/Seoul"))


def test_occurrence_links_made_once_match_the_router(app):
    with app.app_context():
        link = external_url_maker("series.occurrence", "occurrence_id")
        for occurrence_id in (1, 42, 8675309123, 10**12):
            assert link(occurrence_id) == external_url(
                "series.occurrence", occurrence_id=occurrence_id
            )
        assert link(42) == "https://eventhub.test/occurrences/42"


def test_occurrence_links_fall_back_to_the_router_when_the_base_url_holds_the_marker(
    app, monkeypatch
):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://8675309123.example")
    with app.app_context():
        link = external_url_maker("series.occurrence", "occurrence_id")
        assert link(7) == "https://8675309123.example/occurrences/7"
