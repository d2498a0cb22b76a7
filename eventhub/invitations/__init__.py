"""Invitations: the investor directory, one-click RSVP, the line-up, follow-up interest."""

from flask import Blueprint

bp = Blueprint("invitations", __name__)
