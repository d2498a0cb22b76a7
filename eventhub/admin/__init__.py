"""Admin screens: users (role, organizer memberships, deactivate, resend verification) and
centers. It uses accounts and centers; nothing uses it."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
