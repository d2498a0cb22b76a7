"""Bookings: pitch slots, the intake questionnaire, bookings, applications and the waitlist."""

from flask import Blueprint

bp = Blueprint("bookings", __name__)
