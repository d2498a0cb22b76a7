"""Bookings: pitch slots, bookings and their history (flows arrive with the booking issue)."""
