"""Reports: the organizer dashboard, the national view, the public summary and the audit log
pages. It reads every area, so it sits at the top beside notifications and feeds."""

from flask import Blueprint

bp = Blueprint("reports", __name__)
