"""One-to-one meetings after the pitches: a meeting session on a date, requests from both
sides, the solved schedule (`solver.py`), agendas, calendar invitations and outcomes."""

from flask import Blueprint

bp = Blueprint("meetings", __name__)
