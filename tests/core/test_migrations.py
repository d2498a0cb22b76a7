"""The migrations build exactly the models' schema, and take it all down again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from tests.conftest import make_test_app


@pytest.fixture
def empty_database_url(backend, database_url, tmp_path) -> Iterator[str]:
    """A database of its own, so that upgrading and downgrading leaves the suite's alone."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    url = make_url(database_url).set(drivername="postgresql+psycopg")
    name = f"eventhub_migrations_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _differences(db) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _tables(db) -> list[str]:
    return sorted(sa.inspect(db.engine).get_table_names())


def test_migrations_produce_exactly_the_models_schema(empty_database_url, tmp_path):
    from eventhub.extensions import db

    app = make_test_app(empty_database_url, tmp_path / "instance")
    with app.app_context():
        upgrade()
        assert _differences(db) == []
        assert _tables(db) == sorted(
            [*(t.name for t in db.metadata.sorted_tables), "alembic_version"]
        )
        db.engine.dispose()


def test_migrations_downgrade_to_base_and_up_again(empty_database_url, tmp_path):
    from eventhub.extensions import db

    app = make_test_app(empty_database_url, tmp_path / "instance")
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert _tables(db) == ["alembic_version"]
        upgrade()
        assert _differences(db) == []
        db.engine.dispose()


def test_migrations_keep_every_check_constraint(empty_database_url, tmp_path):
    """Alembic does not compare CHECK constraints, and SQLite rebuilds tables in batch
    migrations: this makes sure none is lost on the way."""
    from eventhub.extensions import db

    app = make_test_app(empty_database_url, tmp_path / "instance")
    with app.app_context():
        upgrade()
        inspector = sa.inspect(db.engine)
        for table in db.metadata.sorted_tables:
            expected = sorted(
                c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)
            )
            actual = sorted(c["name"] for c in inspector.get_check_constraints(table.name))
            assert (table.name, actual) == (table.name, expected)
        db.engine.dispose()


def test_migration_marks_existing_users_verified(empty_database_url, tmp_path):
    """Users from before email verification (admins' organizers, demo accounts, earlier
    sign-ups) are verified as of their creation, so the upgrade locks nobody out."""
    from eventhub.extensions import db

    app = make_test_app(empty_database_url, tmp_path / "instance")
    with app.app_context():
        upgrade(revision="b396a3f1b276")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    'INSERT INTO "user" (email, password_hash, display_name, role, locale, '
                    "timezone, is_active_account, created_at, password_changed_at) VALUES "
                    "('old@example.com', 'x', 'Old', 'startup', 'ko', 'Asia/Seoul', true, "
                    ":created, :created)"
                ),
                {"created": "2026-01-02 03:04:05"},
            )
        upgrade(revision="ceda09494f2f")
        with db.engine.connect() as connection:
            row = connection.execute(
                sa.text('SELECT email_verified_at = created_at, session_version FROM "user"')
            ).one()
        assert tuple(row) == (True, 1)
        db.engine.dispose()
