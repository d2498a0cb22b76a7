"""What one request for each public page costs, in CPU instructions, against the static file.

The load benchmark (`load.py`) measures the public pages over HTTP against a static file; on a
shared two-core machine its rates move by a factor of two between runs of the same code. This
script measures what does not move: the instructions one request executes in-process (the WSGI
app through the test client), counted by valgrind's callgrind, for the static stylesheet and the
home, center, series and date pages on the demo data (SQLite). Each page is run twice in a
fresh process, with 5 and with 25 requests after a warm-up; the difference divided by 20 is one
request, without the start-up. The garbage collector's long-lived objects are frozen after the
warm-up, as gunicorn's workers do (eventhub/gunicorn_conf.py), so a full collection landing in
one run and not the other does not count as a page's cost.

Printed: instructions per request and the ratio to the static file. Over HTTP both sides also
pay the server's and the client's share (about the static file's own cost again), so a page at
5x here runs at about 0.3x the static file's rate there; issue 13's goal is 0.2x.

Slow (about two minutes per page under valgrind), so it runs only with
EVENTHUB_BENCH_CALLGRIND=1, and only where valgrind is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("static", "home", "center", "series", "date")

# Run inside valgrind: warm up, freeze, then `count` requests for one page.
CHILD = """
import gc, os, sys
sys.path.insert(0, {root!r})
os.environ["EVENTHUB_INSTANCE_PATH"] = {instance!r}
from eventhub import create_app
app = create_app({{"ENV_NAME": "testing", "DATABASE_URL": {url!r}, "LOG_LEVEL": "WARNING"}})
client = app.test_client()
path, count = sys.argv[1], int(sys.argv[2])
for _ in range(3):
    assert client.get(path).status_code == 200, path
gc.collect()
gc.freeze()
for _ in range(count):
    client.get(path).data
"""


def _prepare(instance: str, url: str) -> dict[str, str]:
    """Migrate, load the demo data; the path of each page."""
    os.environ["EVENTHUB_INSTANCE_PATH"] = instance
    sys.path.insert(0, str(ROOT))
    from datetime import UTC, datetime

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from eventhub import create_app
    from eventhub.centers.models import Center
    from eventhub.demo import seed_demo
    from eventhub.extensions import db
    from eventhub.series.models import EventSeries, Occurrence

    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        now = datetime.now(UTC)
        seed_demo(now=now, horizon_days=548)
        db.session.commit()
        center = db.session.scalar(sa.select(Center.slug).order_by(Center.id).limit(1))
        series = db.session.scalar(sa.select(EventSeries.slug).order_by(EventSeries.id).limit(1))
        date = db.session.scalar(
            sa.select(Occurrence.id)
            .where(Occurrence.start_at > now)
            .order_by(Occurrence.start_at)
            .limit(1)
        )
        db.engine.dispose()
    return {
        "static": "/static/style.css",
        "home": "/",
        "center": f"/centers/{center}",
        "series": f"/series/{series}",
        "date": f"/occurrences/{date}",
    }


def _instructions(script: Path, path: str, count: int) -> int:
    result = subprocess.run(
        [
            shutil.which("valgrind") or "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            str(script),
            path,
            str(count),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", result.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no total for {path}: {result.stderr[-500:]}")
    return int(found.group(1))


def main() -> int:
    if os.environ.get("EVENTHUB_BENCH_CALLGRIND") != "1":
        print("  skipped: set EVENTHUB_BENCH_CALLGRIND=1 to run (about ten minutes, valgrind)")
        return 0
    if shutil.which("valgrind") is None:
        print("  skipped: valgrind is not installed")
        return 0
    instance = tempfile.mkdtemp(prefix="eventhub-page-cost-")
    url = f"sqlite:///{instance}/pages.sqlite3"
    paths = _prepare(instance, url)
    script = Path(instance) / "child.py"
    script.write_text(CHILD.format(root=str(ROOT), instance=instance, url=url))
    print("page_cost: instructions per request in-process (callgrind), demo data, SQLite")
    cost = {}
    for page in PAGES:
        few = _instructions(script, paths[page], 5)
        many = _instructions(script, paths[page], 25)
        cost[page] = (many - few) / 20
        ratio = cost[page] / cost["static"]
        print(
            f"    {page:7s} {cost[page] / 1e6:7.2f} M instructions  {ratio:5.2f}x the static file"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
