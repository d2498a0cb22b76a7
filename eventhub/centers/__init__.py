"""Centers: the seventeen regional innovation centers that own event series."""

from flask import Blueprint

bp = Blueprint("centers", __name__)
