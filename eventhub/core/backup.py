"""Backups of a SQLite database: consistent while the app runs, through SQLite's online
backup API (the copy is one snapshot: every committed transaction up to a moment, none after).
PostgreSQL has pg_dump and pg_restore for this (docs/deploy.md)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from eventhub.core.errors import InvalidInput

PAGES_PER_STEP = 256  # copy in steps, so writers wait at most one step for the file


def sqlite_path(engine: sa.Engine) -> Path:
    """The database file behind `engine`; InvalidInput for anything but a SQLite file."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise InvalidInput(
            "backup and restore work on a SQLite file; for PostgreSQL use pg_dump and "
            "pg_restore (docs/deploy.md)"
        )
    return Path(url.database)


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy the live database `source` into a new file `target`; returns its size in bytes."""
    if target.exists():
        raise InvalidInput(f"{target} exists already; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy, pages=PAGES_PER_STEP)
    return target.stat().st_size


def restore_sqlite(backup: Path, target: Path) -> None:
    """Replace the database `target` by the backup's content (stop the app and workers first).

    The backup is checked first (an SQLite file that passes its integrity check); the target is
    overwritten through the backup API, so its WAL and shared memory stay consistent."""
    if not backup.is_file():
        raise InvalidInput(f"{backup} does not exist")
    try:
        with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as source:
            (result,) = source.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{backup} is not an SQLite database: {exc}") from exc
    if result != "ok":
        raise InvalidInput(f"{backup} is damaged: {result}")
    with sqlite3.connect(backup) as source, sqlite3.connect(target) as live:
        source.backup(live)
