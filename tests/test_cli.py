"""The `eventhub` command: clear messages and exit codes, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from eventhub.accounts.models import Role, User
from eventhub.centers.models import OrganizerMembership

EVENTHUB = str(Path(sys.executable).parent / "eventhub")


def _run(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("EVENTHUB_") and k != "DATABASE_URL"
    }
    environment.update({"EVENTHUB_INSTANCE_PATH": str(tmp_path), "EVENTHUB_ENV": "testing", **env})
    return subprocess.run(  # noqa: S603 - our own console script
        [EVENTHUB, *args], capture_output=True, text=True, env=environment, timeout=120, check=False
    )


def test_malformed_database_url_gives_a_message_and_exit_2(tmp_path):
    result = _run("db", "upgrade", tmp_path=tmp_path, DATABASE_URL="::not a url::")
    assert result.returncode == 2
    assert "Configuration error: DATABASE_URL is not a database URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_postgresql_gives_a_message_and_exit_1(tmp_path):
    result = _run(
        "db",
        "upgrade",
        tmp_path=tmp_path,
        DATABASE_URL="postgresql://postgres@127.0.0.1:1/eventhub?connect_timeout=3",
    )
    assert result.returncode == 1
    assert "Cannot use the database:" in result.stderr
    assert "Check DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_commands_refuse_a_database_without_migrations(tmp_path):
    result = _run("seed-demo", tmp_path=tmp_path)
    assert result.returncode == 1
    assert "The database schema is not up to date" in result.stderr
    assert "Run: eventhub db upgrade" in result.stderr


def test_upgrade_then_seed_demo_prints_the_demo_logins(tmp_path):
    assert _run("db", "upgrade", tmp_path=tmp_path).returncode == 0
    result = _run("seed-demo", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Demo data added: 17 centers" in result.stdout
    assert "admin@eventhub.example" in result.stdout
    again = _run("seed-demo", tmp_path=tmp_path)
    assert "Demo data already present; nothing changed." in again.stdout


def test_create_user_makes_the_first_admin(app, db, runner):
    result = runner.invoke(
        args=[
            "create-user",
            "--role",
            "admin",
            "--email",
            "Root@Center.example",
            "--password",
            "long-enough-9",
            "--name",
            "센터 관리자",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created admin root@center.example" in result.output
    with app.app_context():
        users = db.session.execute(sa.select(User.email, User.role, User.display_name)).all()
    assert users == [("root@center.example", Role.admin, "센터 관리자")]


def test_create_user_organizer_with_centers(app, db, runner, create_center):
    daegu = create_center("daegu")
    result = runner.invoke(
        args=[
            "create-user",
            "--role",
            "organizer",
            "--email",
            "staff@daegu.example",
            "--password",
            "long-enough-9",
            "--center",
            "daegu",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        memberships = db.session.execute(sa.select(OrganizerMembership.center_id)).scalars().all()
    assert memberships == [daegu]


def test_create_user_refuses_a_duplicate_email(app, db, runner, create_user, monkeypatch):
    # Outside a request the CLI speaks the shell's language.
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    create_user("root@center.example")
    result = runner.invoke(
        args=[
            "create-user",
            "--role",
            "admin",
            "--email",
            "ROOT@center.example",
            "--password",
            "long-enough-9",
        ]
    )
    assert result.exit_code == 1
    assert result.output == "Error: An account with this email address already exists.\n"


def test_create_user_refuses_an_unknown_center(app, db, runner):
    result = runner.invoke(
        args=[
            "create-user",
            "--role",
            "organizer",
            "--email",
            "staff@x.example",
            "--password",
            "long-enough-9",
            "--center",
            "atlantis",
        ]
    )
    assert result.exit_code == 2
    assert "no center with slug 'atlantis'" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
