"""EventHub: investor days for regional startup innovation centers.

Everything of the package is imported inside the functions here, when the app is built: every
area imports `eventhub.extensions`, so importing an area while this package initializes would
be circular.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

from flask import Flask
from flask_login import user_logged_in
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: str | dict[str, Any] | None = None) -> Flask:
    """Build the application. `config` names a settings class or gives overrides (tests)."""
    # Imported on use (see the module's docstring).
    from config import CONFIGS
    from eventhub.core.errors import ConfigError

    overrides = config if isinstance(config, dict) else {}
    env_name = config if isinstance(config, str) else None
    env_name = (
        env_name or overrides.get("ENV_NAME") or os.environ.get("EVENTHUB_ENV", "development")
    )
    if env_name not in CONFIGS:
        raise ConfigError(f"EVENTHUB_ENV must be one of {', '.join(CONFIGS)}, not {env_name!r}")

    instance_path = os.environ.get("EVENTHUB_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_object(CONFIGS[env_name])
    app.config.from_prefixed_env("EVENTHUB")
    if os.environ.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    _configure_secret_key(app, env_name)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(app)
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Sessions in UTC, whatever the server's default: psycopg then returns its own UTC
        # instants (datetime.timezone.utc, its fast path), which need no conversion.
        connect_args = dict(options.get("connect_args", {}))
        connect_args.setdefault("options", "-c timezone=UTC")
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    _configure_mail(app)
    _init_extensions(app)
    return app


def database_uri(app: Flask) -> str:
    """The SQLAlchemy URL from DATABASE_URL, with PostgreSQL routed to psycopg 3."""
    # Imported on use (see the module's docstring).
    from eventhub.core.errors import ConfigError

    raw = (app.config.get("DATABASE_URL") or "").strip()
    if not raw:
        return f"sqlite:///{Path(app.instance_path) / 'eventhub.sqlite3'}"
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise ConfigError(
            f"DATABASE_URL is not a database URL: {raw!r}. "
            "Expected e.g. postgresql://user@host:5432/eventhub or sqlite:///path/to/file"
        ) from exc
    if url.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"DATABASE_URL uses {url.get_backend_name()!r}; EventHub supports sqlite and postgresql"
        )
    return url.render_as_string(hide_password=False)


def _configure_secret_key(app: Flask, env_name: str) -> None:
    # Imported on use (see the module's docstring).
    from eventhub.core.errors import ConfigError

    key = app.config.get("SECRET_KEY")
    if env_name == "production":
        if not key or len(str(key)) < 32 or "change-me" in str(key).lower():
            raise ConfigError(
                "Production needs a real secret key: set EVENTHUB_SECRET_KEY to at least 32 "
                "random characters (for example: python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')"
            )
        return
    if key:
        return
    # Development: a random key generated once and kept in instance/, so sessions survive
    # restarts without anyone committing a secret.
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def _configure_mail(app: Flask) -> None:
    # Imported on use (see the module's docstring).
    from eventhub.core.errors import ConfigError
    from eventhub.core.mailfile import FILE_BACKEND
    from eventhub.core.mailsmtp import SMTP_BACKEND

    backends = {
        "smtp": SMTP_BACKEND,
        "file": FILE_BACKEND,
        "console": "console",
        "memory": "locmem",
    }
    name = app.config["MAIL_BACKEND"]
    if name not in backends:
        raise ConfigError(f"MAIL_BACKEND must be one of {', '.join(backends)}, not {name!r}")
    app.config["MAIL_BACKEND"] = backends[name]
    if name == "file":
        path = app.config.get("MAIL_FILE_PATH") or str(Path(app.instance_path) / "mail")
        Path(path).mkdir(parents=True, exist_ok=True)
        app.config["MAIL_FILE_PATH"] = path


def _init_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext

    # Imported on use (see the module's docstring).
    from eventhub import (
        accounts,
        admin,
        bookings,
        feeds,
        invitations,
        meetings,
        notifications,
        pages,
        reports,
        scheduling,
    )

    # Views register their routes on import; importing them here (not in each package's
    # __init__) keeps the packages free of import cycles.
    from eventhub.accounts import views as _accounts_views  # noqa: F401
    from eventhub.admin import views as _admin_views  # noqa: F401
    from eventhub.bookings import views as _bookings_views  # noqa: F401
    from eventhub.cli import register_commands
    from eventhub.core import health, metrics
    from eventhub.core.errors import ConfigError
    from eventhub.core.i18n import remember_locale_at_login, select_locale, select_timezone
    from eventhub.core.logs import configure_logging, install_redaction
    from eventhub.core.scheduler import JOBS_KEY
    from eventhub.core.security import init_rate_limits, init_security
    from eventhub.core.web import register_error_handlers, register_request_hooks
    from eventhub.extensions import babel, csrf, db, login, mail, migrate
    from eventhub.feeds import versioning as _feed_versioning  # noqa: F401 - listeners
    from eventhub.feeds import views as _feeds_views  # noqa: F401
    from eventhub.invitations import views as _invitations_views  # noqa: F401
    from eventhub.meetings import services as meetings_services
    from eventhub.meetings import views as _meetings_views  # noqa: F401
    from eventhub.models import load_user
    from eventhub.notifications import views as _notifications_views  # noqa: F401
    from eventhub.pages import views as _pages_views  # noqa: F401
    from eventhub.reports import views as _reports_views  # noqa: F401
    from eventhub.scheduling import views as _series_views  # noqa: F401
    from eventhub.series.signals import occurrence_changed
    from eventhub.templating import register_template_helpers

    configure_logging(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    mail.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    login.init_app(app)
    login.login_view = "accounts.login"
    login.login_message = lazy_gettext("Please log in to continue.")
    login.login_message_category = "info"
    login.user_loader(load_user)
    user_logged_in.connect(remember_locale_at_login, app)
    # A moved or cancelled date carries its meeting session along (series/signals.py); the
    # receiver is a module-level function, so blinker's weak reference keeps it, and
    # connecting it again for another app is a no-op.
    occurrence_changed.connect(meetings_services.follow_date_change)

    init_security(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(scheduling.bp)
    app.register_blueprint(bookings.bp)
    app.register_blueprint(invitations.bp)
    app.register_blueprint(meetings.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    register_request_hooks(app)
    metrics.register_request_metrics(app)
    register_error_handlers(app)
    register_commands(app)
    register_template_helpers(app)
    install_redaction(app)
    init_rate_limits(app)

    app.extensions[JOBS_KEY] = _job_table(app)
    if app.config.get("SCHEDULER_EMBEDDED") and "gunicorn" in sys.modules:
        # Under gunicorn the embedded scheduler would run in every worker process (or in
        # none): refuse plainly instead of sending nothing and saying nothing.
        raise ConfigError(
            "SCHEDULER_EMBEDDED is for the development server (eventhub run). Under gunicorn set "
            "EVENTHUB_SCHEDULER_EMBEDDED=false and run `eventhub worker` beside it (make serve "
            "and the Procfile do both)."
        )
    if app.config.get("SCHEDULER_EMBEDDED") and os.environ.get("EVENTHUB_SERVING") == "1":
        # Imported on use (see the module's docstring).
        from eventhub.core.scheduler import start_embedded

        start_embedded(app)


def _job_table(app: Flask) -> list[Any]:
    """Every periodic job and how often it runs; `eventhub worker` and the embedded scheduler
    run this table."""
    from datetime import timedelta

    # Imported on use (see the module's docstring).
    from eventhub.bookings.jobs import expire_offers_job
    from eventhub.core.jobs import dispatch_job
    from eventhub.core.scheduler import Job
    from eventhub.feeds.jobs import prune_feed_changes_job
    from eventhub.notifications.jobs import plan_reminders_job, reminders_job
    from eventhub.scheduling.jobs import horizon_job

    every_dispatch = timedelta(seconds=int(app.config["DISPATCH_INTERVAL_SECONDS"]))
    return [
        Job(plan_reminders_job, every_dispatch, run_at_start=True),
        Job(dispatch_job, every_dispatch, run_at_start=True),
        Job(expire_offers_job, timedelta(minutes=1)),
        Job(reminders_job, timedelta(minutes=15), run_at_start=True),
        Job(horizon_job, timedelta(days=1), run_at_start=True),
        Job(prune_feed_changes_job, timedelta(days=1)),
    ]
