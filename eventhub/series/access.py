"""Loading a series or an occurrence for a view: 404 when it does not exist, and 404 as well
for an organizer of another center (who must not learn which ids exist). Every area's
organizer pages about one of them start here."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from sqlalchemy.orm import joinedload

from eventhub.accounts.auth import can_organize, require_organizer_of
from eventhub.extensions import db
from eventhub.series.models import EventSeries, Occurrence


def visible_to_current_user(series: EventSeries) -> bool:
    """Listed series are public; a draft or unlisted one is seen by its organizers only."""
    return series.is_listed or can_organize(current_user, series.center_id)


def visible_occurrence(occurrence_id: int) -> Occurrence:
    """The occurrence if the current user may see it; 404 otherwise (whether it exists or not)."""
    occurrence = occurrence_or_404(occurrence_id)
    if not visible_to_current_user(occurrence.series):
        abort(404)
    return occurrence


# Every page about a date shows its series and center: one round trip for the three. Built
# once with a bound parameter, as the public lists' statements are (`series.rows.run`):
# building and keying the statement anew cost a fifth of the date page (issue 13).
_OCCURRENCE = (
    sa.select(Occurrence)
    .where(Occurrence.id == sa.bindparam("occurrence_id"))
    .options(joinedload(Occurrence.series).joinedload(EventSeries.center))
)
# With its center: every page of a series names it (one query instead of two).
_SERIES = (
    sa.select(EventSeries)
    .where(EventSeries.slug == sa.bindparam("slug"))
    .options(joinedload(EventSeries.center))
)


def occurrence_or_404(occurrence_id: int) -> Occurrence:
    occurrence = db.session.scalar(_OCCURRENCE, {"occurrence_id": occurrence_id})
    if occurrence is None:
        abort(404)
    return occurrence


def managed_occurrence(occurrence_id: int) -> Occurrence:
    """The occurrence, if the current user organizes its center."""
    occurrence = occurrence_or_404(occurrence_id)
    require_organizer_of(occurrence.series.center_id)
    return occurrence


def series_or_404(slug: str) -> EventSeries:
    series = db.session.scalar(_SERIES, {"slug": slug})
    if series is None:
        abort(404)
    return series


def managed_series(slug: str) -> EventSeries:
    """The series, if the current user organizes its center."""
    series = series_or_404(slug)
    require_organizer_of(series.center_id)
    return series
