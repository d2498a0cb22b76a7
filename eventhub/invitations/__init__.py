"""Invitations of investors to occurrences (flows arrive with the invitations issue)."""
