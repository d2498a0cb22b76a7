"""What every email about an occurrence shows, whichever area sends it."""

from __future__ import annotations

from typing import Any

from eventhub.core.urls import external_url
from eventhub.series.models import Occurrence


def occurrence_mail_context(occurrence: Occurrence) -> dict[str, Any]:
    """The occurrence part of a message's data: titles, start, zone, venue and its page."""
    series = occurrence.series
    return {
        "series_title_ko": series.title_ko,
        "series_title_en": series.title_en,
        "start_at": occurrence.start_at.isoformat(),
        "timezone": series.timezone,
        "venue": occurrence.effective_venue_name or "",
        "occurrence_url": external_url("series.occurrence", occurrence_id=occurrence.id),
    }
