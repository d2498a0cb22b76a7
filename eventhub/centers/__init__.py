"""Centers: the seventeen regional innovation centers that own event series."""

from flask import Blueprint

bp = Blueprint("centers", __name__)

from eventhub.centers import views  # noqa: E402,F401 - registers the routes
