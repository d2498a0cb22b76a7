"""Pages that show what several areas know: the home page, a center's page, an organizer's
centers and a startup's bookings. They sit above every area (nothing imports them), so that the
areas themselves depend downward only (docs/architecture.md)."""

from flask import Blueprint

bp = Blueprint("pages", __name__)
