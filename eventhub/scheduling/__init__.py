"""Scheduling: the use cases that create and change series and their dates (create and edit a
series, extend its horizon, move, cancel or change one date) and their pages. They sit above
bookings and invitations because a change shifts slots and tells the people booked and invited;
what a series and a date *are* lives below, in eventhub/series. The blueprint keeps the name
"series", so URLs and endpoint names (`series.detail`, ...) read as the product's words."""

from flask import Blueprint

bp = Blueprint("series", __name__)
