"""Notifications: reminder rules, announcements, preferences, and the organizers' outbox page."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)
