"""The `eventhub` command: Flask's commands (run, db, shell) plus EventHub's own.

Each command imports what it uses when it runs, so that `eventhub --help` and a bad setting
answer without loading every area.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, run_command, with_appcontext
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from eventhub import create_app
from eventhub.core.errors import ConfigError, DomainError


def _app_factory():
    return create_app()


cli = FlaskGroup(
    create_app=_app_factory,
    help="EventHub: investor days for regional startup innovation centers.",
)


def _run(**kwargs):
    """Serve the app; in development the outbox scheduler runs inside this process."""
    os.environ["EVENTHUB_SERVING"] = "1"
    if kwargs.get("reload"):
        os.environ["EVENTHUB_RELOAD"] = "1"
    return click.get_current_context().invoke(run_command.callback, **kwargs)


cli.add_command(
    click.Command("run", params=run_command.params, callback=_run, help=run_command.help)
)


def ensure_schema_current() -> None:
    """Refuse to work on a database whose migrations are missing or behind the code."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    # Imported when the command runs (see the module's docstring).
    from eventhub.extensions import db, migrate

    config = migrate.get_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        raise click.ClickException(
            f"The database schema is not up to date (database at {current or 'nothing'}, "
            f"code expects {head}). Run: eventhub db upgrade"
        )


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo data (17 centers, three investor days, startups, VCs). Safe to repeat."""
    # Imported when the command runs (see the module's docstring).
    from eventhub.core.clock import utcnow
    from eventhub.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_demo
    from eventhub.extensions import db

    ensure_schema_current()
    added = seed_demo(now=utcnow(), horizon_days=current_app.config["RECURRENCE_HORIZON_DAYS"])
    db.session.commit()
    if any(added.values()):
        summary = ", ".join(f"{count} {kind}" for kind, count in added.items())
        click.echo(f"Demo data added: {summary}.")
    else:
        click.echo("Demo data already present; nothing changed.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for login in DEMO_LOGINS:
        click.echo(f"  {login.email:<38} {login.role:<10} {login.note}")


@click.command("create-user")
@click.option("--email", required=True, help="Login email (stored lower-cased).")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Password; asked for when not given.",
)
@click.option("--name", "display_name", default="", help="Display name (default: the email).")
@click.option(
    "--role",
    type=click.Choice(["admin", "organizer", "startup", "investor"]),
    required=True,
)
@click.option(
    "--center",
    "center_slugs",
    multiple=True,
    help="For organizers: slug of a center they organize (repeat for several).",
)
@click.option("--locale", type=click.Choice(["ko", "en"]), default="ko")
@with_appcontext
def create_user_command(
    email: str,
    password: str,
    display_name: str,
    role: str,
    center_slugs: tuple[str, ...],
    locale: str,
) -> None:
    """Create a user, for example the first admin: eventhub create-user --role admin ..."""
    import sqlalchemy as sa

    # Imported when the command runs (see the module's docstring).
    from eventhub.accounts import services as accounts
    from eventhub.accounts.models import Role
    from eventhub.centers.models import Center, OrganizerMembership
    from eventhub.core.clock import utcnow
    from eventhub.extensions import db

    ensure_schema_current()
    if center_slugs and role != "organizer":
        raise click.UsageError("--center only applies to --role organizer")
    centers = []
    for slug in center_slugs:
        center = db.session.scalar(sa.select(Center).where(Center.slug == slug))
        if center is None:
            raise click.BadParameter(f"no center with slug {slug!r}", param_hint="--center")
        centers.append(center)
    now = utcnow()
    try:
        user = accounts.create_user(
            email=email,
            password=password,
            display_name=display_name or email,
            role=Role(role),
            locale=locale,
            now=now,
        )
        for center in centers:
            db.session.add(
                OrganizerMembership(user_id=user.id, center_id=center.id, created_at=now)
            )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from exc
    click.echo(f"Created {role} {user.email} (id {user.id}).")


@click.command("send-mail")
@with_appcontext
def send_mail_command() -> None:
    """Send the outbox messages that are due now, once, and exit."""
    # Imported when the command runs (see the module's docstring).
    from eventhub.core.jobs import dispatch_job
    from eventhub.notifications.jobs import plan_reminders_job

    ensure_schema_current()
    app = current_app._get_current_object()
    plan_reminders_job(app)  # reminders asked for by recent changes are due too
    sent = dispatch_job(app)
    click.echo(f"Sent {sent} message(s).")


@click.command("worker")
@with_appcontext
def worker_command() -> None:
    """Run the scheduler in this process: send due mail, plan reminders, expire offers, extend
    horizons. Run one or more next to the web processes; stop with SIGTERM."""
    # Imported when the command runs (see the module's docstring).
    from eventhub.core.scheduler import run_worker

    ensure_schema_current()
    run_worker(current_app._get_current_object())


@click.command("extend-horizon")
@with_appcontext
def extend_horizon_command() -> None:
    """Store the occurrences of every series up to the rolling horizon."""
    # Imported when the command runs (see the module's docstring).
    from eventhub.scheduling.jobs import horizon_job

    ensure_schema_current()
    added = horizon_job(current_app._get_current_object())
    click.echo(f"Added {added} occurrence(s).")


@click.command("expire-offers")
@with_appcontext
def expire_offers_command() -> None:
    """Expire waitlist offers whose hold ran out; each slot passes to the next in line."""
    # Imported when the command runs (see the module's docstring).
    from eventhub.bookings.jobs import expire_offers_job

    ensure_schema_current()
    click.echo(f"Expired {expire_offers_job(current_app._get_current_object())} offer(s).")


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Copy the SQLite database into TARGET while the app runs (a consistent snapshot)."""
    # Imported when the command runs (see the module's docstring).
    from eventhub.core.backup import backup_sqlite, sqlite_path
    from eventhub.core.errors import DomainError
    from eventhub.extensions import db

    try:
        size = backup_sqlite(sqlite_path(db.engine), target)
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    click.echo(f"Backed up to {target} ({size:,} bytes).")


@click.command("restore")
@click.argument("backup", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@with_appcontext
def restore_command(backup: Path, yes: bool) -> None:
    """Replace the SQLite database by BACKUP. Stop the web processes and workers first."""
    # Imported when the command runs (see the module's docstring).
    from eventhub.core.backup import restore_sqlite, sqlite_path
    from eventhub.core.errors import DomainError
    from eventhub.extensions import db

    try:
        target = sqlite_path(db.engine)
        if not yes:
            click.confirm(f"Replace {target} by {backup}?", abort=True)
        db.engine.dispose()
        restore_sqlite(backup, target)
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    click.echo(f"Restored {target} from {backup}. Run: eventhub db upgrade")


def _audited_as_command(command: click.Command) -> click.Command:
    """Entries a command writes to the audit log name it as the actor ("cli:seed-demo")."""
    # Imported when the commands are registered (see the module's docstring).
    from eventhub.core.audit import acting_as

    callback = command.callback
    if callback is None or getattr(callback, "audited", False):
        return command

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        with acting_as(f"cli:{command.name}"):
            return callback(*args, **kwargs)

    run.audited = True  # type: ignore[attr-defined]
    command.callback = run
    return command


def register_commands(app) -> None:
    """Attach EventHub's commands to the app, so `eventhub` and `flask --app eventhub` see them."""
    for command in (
        seed_demo_command,
        create_user_command,
        send_mail_command,
        worker_command,
        extend_horizon_command,
        expire_offers_command,
        backup_command,
        restore_command,
    ):
        app.cli.add_command(_audited_as_command(command))


def main() -> None:
    """Entry point of the `eventhub` console script: clear messages instead of tracebacks."""
    try:
        cli.main(prog_name="eventhub")
    except ConfigError as exc:
        click.echo(f"Configuration error: {exc}", err=True)
        sys.exit(2)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        click.echo(f"Cannot use the database: {reason}", err=True)
        click.echo("Check DATABASE_URL and that the database server is running.", err=True)
        sys.exit(1)
    except SQLAlchemyError as exc:
        click.echo(f"Database error: {exc.__class__.__name__}: {exc}", err=True)
        sys.exit(1)
