"""Meeting pages: the organizer's session, schedule and table plan; each participant's
requests and agenda."""

from __future__ import annotations

from flask import abort

from eventhub.accounts.auth import require_role
from eventhub.accounts.models import Role
from eventhub.meetings import bp


@bp.route("/occurrences/<int:occurrence_id>/meetings")
@require_role(Role.investor, Role.startup)
def agenda(occurrence_id: int):
    abort(404)
