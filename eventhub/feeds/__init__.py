"""Calendar feeds (tokens now; the feeds arrive with the calendar issue)."""
