"""Public pages of a series and an occurrence."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template
from flask_login import current_user

from eventhub.core.auth import can_organize
from eventhub.core.clock import utcnow
from eventhub.extensions import db
from eventhub.series import bp
from eventhub.series.models import EventSeries, Occurrence, SeriesStatus


def _visible(series: EventSeries) -> bool:
    if series.status == SeriesStatus.published and series.is_public:
        return True
    return can_organize(current_user, series.center_id)


@bp.route("/series/<slug>")
def detail(slug: str):
    series = db.session.scalar(sa.select(EventSeries).where(EventSeries.slug == slug))
    if series is None or not _visible(series):
        abort(404)
    now = utcnow()
    upcoming = [o for o in series.occurrences if o.end_at >= now][:12]
    past = [o for o in series.occurrences if o.end_at < now][-12:][::-1]
    return render_template("series/detail.html", series=series, upcoming=upcoming, past=past)


@bp.route("/occurrences/<int:occurrence_id>")
def occurrence(occurrence_id: int):
    occ = db.session.get(Occurrence, occurrence_id)
    if occ is None or not _visible(occ.series):
        abort(404)
    return render_template("series/occurrence.html", occurrence=occ, series=occ.series)
