"""Accounts: sign-up, log in and out, password reset, personal settings."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
