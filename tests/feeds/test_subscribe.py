"""The subscribe box: a copy button, Outlook 365 beside Outlook.com, and a QR code as SVG."""

from __future__ import annotations

import re
from urllib.parse import quote


def test_subscribe_box_has_copy_outlook_365_and_a_qr_svg(app, db, client, create_series):
    create_series(title_en="Link Day")
    page = client.get("/series/link-day", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    feed = "https://eventhub.test/calendar/series/link-day.ics"
    assert "https://outlook.office.com/calendar/0/addfromweb?url=" + quote(feed, safe="") in html
    assert re.search(r"<button type=\"button\"[^>]*data-copy[^>]*hidden>Copy</button>", html)
    svg = re.search(r"<svg [^>]*class=\"qr\"[^>]*>.*?</svg>", html, re.S)
    assert svg is not None
    assert "<title>QR code of the feed address</title>" in svg.group(0)
    assert "<script" not in svg.group(0)
    assert "style=" not in svg.group(0)
