"""A series' reminder rules: which audience hears how long before. Series configuration, like
the slot layout; the notifications area plans and sends the reminders they ask for."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.series.models import DEFAULT_RULES, Audience, EventSeries, ReminderRule


def rules_of(series_id: int) -> dict[Audience, list[int]]:
    """Minutes before, longest first, for every audience (empty when it has no reminder)."""
    rules: dict[Audience, list[int]] = {audience: [] for audience in Audience}
    rows = db.session.execute(
        sa.select(ReminderRule.audience, ReminderRule.offset_minutes).where(
            ReminderRule.series_id == series_id
        )
    )
    for audience, minutes in rows:
        rules[Audience(audience)].append(minutes)
    return {audience: sorted(offsets, reverse=True) for audience, offsets in rules.items()}


def store_rules(series_id: int, rules: dict[Audience, Iterable[int]]) -> None:
    """Replace the reminder rules of a series."""
    db.session.execute(sa.delete(ReminderRule).where(ReminderRule.series_id == series_id))
    for audience, offsets in rules.items():
        for minutes in offsets:
            db.session.add(
                ReminderRule(series_id=series_id, audience=audience, offset_minutes=minutes)
            )


def add_default_rules(series: EventSeries) -> None:
    """A new series starts with the default reminders."""
    store_rules(series.id, DEFAULT_RULES)


def copy_rules(series: EventSeries, *, to: EventSeries) -> None:
    """A series split off by an edit keeps the reminders of the one it came from."""
    store_rules(to.id, rules_of(series.id))
