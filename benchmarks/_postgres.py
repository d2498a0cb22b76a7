"""A throwaway PostgreSQL database for a benchmark (a helper, not a benchmark itself).

The server comes from EVENTHUB_BENCH_POSTGRES_URL, else EVENTHUB_TEST_POSTGRES_URL, else
postgresql://postgres@127.0.0.1:5432/postgres; a database with a random name is created beside
the one named there and dropped afterwards, so nothing existing is touched.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def throwaway_database() -> tuple[str, Callable[[], None]]:
    """The URL of a new empty database, and the function that drops it."""
    base = (
        os.environ.get("EVENTHUB_BENCH_POSTGRES_URL")
        or os.environ.get("EVENTHUB_TEST_POSTGRES_URL")
        or "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"eventhub_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def database_targets(sqlite_file: Path) -> tuple[list[tuple[str, str]], list[Callable[[], None]]]:
    """SQLite at `sqlite_file`, then a throwaway PostgreSQL database if a server answers: the
    (label, URL) pairs to measure on, and the functions that drop what was created."""
    targets = [("sqlite", f"sqlite:///{sqlite_file}")]
    drops = []
    try:
        url, drop = throwaway_database()
    except Exception as exc:
        print(f"  PostgreSQL not reachable, measured on SQLite only: {exc}")
    else:
        targets.append(("postgresql", url))
        drops.append(drop)
    return targets, drops
