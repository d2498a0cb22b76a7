"""/metrics: what Prometheus reads, counted per request, per conflict and from the outbox."""

from __future__ import annotations

import re


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in the exposition text (0 when it is not there yet)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match and match[1] == name:
            found = ",".join(sorted((match[2] or "").split(","))) if match[2] else ""
            if found == wanted:
                return float(match[3])
    return 0.0


def test_metrics_count_requests_by_endpoint_and_status(client):
    before = client.get("/metrics").get_data(as_text=True)
    for _ in range(3):
        assert client.get("/").status_code == 200
    assert client.get("/occurrences/999999").status_code == 404
    after = client.get("/metrics").get_data(as_text=True)
    home = {"endpoint": "pages.index", "method": "GET", "status": "200"}
    missing = {"endpoint": "series.occurrence", "method": "GET", "status": "404"}
    assert (
        sample(after, "eventhub_http_requests_total", **home)
        - sample(before, "eventhub_http_requests_total", **home)
        == 3
    )
    assert (
        sample(after, "eventhub_http_requests_total", **missing)
        - sample(before, "eventhub_http_requests_total", **missing)
        == 1
    )
    assert sample(after, "eventhub_http_request_seconds_count", endpoint="pages.index") >= 3
    assert sample(after, "eventhub_outbox_pending") == 0
    assert "eventhub_outbox_oldest_pending_seconds 0.0" in after


def test_metrics_are_not_for_everyone(app, client):
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=remote).status_code == 404
    app.config["METRICS_TOKEN"] = "s3cret-token"
    try:
        assert client.get("/metrics").status_code == 404  # a token is set: loopback is not enough
        wrong = {"Authorization": "Bearer nope"}
        assert client.get("/metrics", headers=wrong, environ_base=remote).status_code == 404
        right = {"Authorization": "Bearer s3cret-token"}
        assert client.get("/metrics", headers=right, environ_base=remote).status_code == 200
    finally:
        app.config["METRICS_TOKEN"] = ""
