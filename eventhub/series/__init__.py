"""Event series and their occurrences: recurrence, holidays, one-off changes."""

from flask import Blueprint

bp = Blueprint("series", __name__)

from eventhub.series import views  # noqa: E402,F401 - registers the routes
