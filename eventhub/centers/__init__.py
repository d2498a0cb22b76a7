"""Centers: the seventeen regional innovation centers that own event series. Their pages are
in eventhub/pages (they list the centers' series, which sit above centers)."""
