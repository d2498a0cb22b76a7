"""No secret reaches a log line: every route with a token, in werkzeug's and gunicorn's shape."""

from __future__ import annotations

import logging

import pytest

SECRET = "Zx9.SECRET-part_two.sig"
PATHS = [
    (f"/calendar/feed/{SECRET}.ics", "/calendar/feed/[redacted].ics"),
    (f"/rsvp/{SECRET}", "/rsvp/[redacted]"),
    (f"/rsvp/{SECRET}/follow-up", "/rsvp/[redacted]/follow-up"),
    (f"/password/reset/{SECRET}", "/password/reset/[redacted]"),
    (f"/verify-email/{SECRET}", "/verify-email/[redacted]"),
    (f"/notifications/unsubscribe/{SECRET}", "/notifications/unsubscribe/[redacted]"),
    (f"/notifications/preferences/{SECRET}?x=1", "/notifications/preferences/[redacted]?x=1"),
]


@pytest.mark.parametrize(("path", "shown"), PATHS)
def test_a_secret_path_is_redacted_in_the_development_servers_access_log(app, caplog, path, shown):
    caplog.set_level(logging.INFO, logger="werkzeug")
    logging.getLogger("werkzeug").info('%s - "%s" %s', "127.0.0.1", f"GET {path} HTTP/1.1", 200)
    assert [r.getMessage() for r in caplog.records if r.name == "werkzeug"] == [
        f'127.0.0.1 - "GET {shown} HTTP/1.1" 200'
    ]
    assert "SECRET" not in caplog.text


@pytest.mark.parametrize(("path", "shown"), PATHS)
def test_a_secret_path_is_redacted_in_gunicorns_access_log(app, caplog, path, shown):
    caplog.set_level(logging.INFO, logger="gunicorn.access")
    # gunicorn logs its access line with one mapping of "atoms" as the arguments.
    atoms = {"h": "10.0.0.7", "r": f"GET {path} HTTP/1.1", "s": "200", "U": path.split("?")[0]}
    logging.getLogger("gunicorn.access").info('%(h)s "%(r)s" %(s)s %(U)s', atoms)
    (line,) = [r.getMessage() for r in caplog.records if r.name == "gunicorn.access"]
    assert line == f'10.0.0.7 "GET {shown} HTTP/1.1" 200 {shown.split("?")[0]}'
    assert "SECRET" not in caplog.text


def test_paths_without_a_secret_are_logged_as_they_are(app, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    for path in ("/calendar/all.ics", "/rsvp", "/occurrences/12", "/calendar/centers/daegu.ics"):
        logging.getLogger("werkzeug").info('"GET %s HTTP/1.1"', path)
    assert [r.getMessage() for r in caplog.records] == [
        '"GET /calendar/all.ics HTTP/1.1"',
        '"GET /rsvp HTTP/1.1"',
        '"GET /occurrences/12 HTTP/1.1"',
        '"GET /calendar/centers/daegu.ics HTTP/1.1"',
    ]
