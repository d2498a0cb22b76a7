"""Bookings: pitch slots, the intake questionnaire, bookings, applications and the waitlist."""

from flask import Blueprint

bp = Blueprint("bookings", __name__)

from eventhub.bookings import views  # noqa: E402,F401 - registers the routes
