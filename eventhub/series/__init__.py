"""Event series and their occurrences: recurrence, holidays, one-off changes."""

from flask import Blueprint

bp = Blueprint("series", __name__)
