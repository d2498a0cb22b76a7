"""Accounts: sign-up, log in and out, password reset, personal settings."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from eventhub.accounts import views  # noqa: E402,F401 - registers the routes
