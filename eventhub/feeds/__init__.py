"""Calendar feeds: public and personal iCalendar feeds, single-event downloads, invitations."""

from flask import Blueprint

bp = Blueprint("feeds", __name__)
