"""Settings: environment overrides, the database URL, secrets, the public base URL."""

from __future__ import annotations

import pytest

from eventhub import create_app
from eventhub.core.errors import ConfigError


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTHUB_INSTANCE_PATH", str(tmp_path))
    for key in ("DATABASE_URL", "EVENTHUB_SECRET_KEY", "EVENTHUB_ENV"):
        monkeypatch.delenv(key, raising=False)
    return tmp_path


def test_prefixed_environment_variable_overrides_a_setting(instance, monkeypatch):
    monkeypatch.setenv("EVENTHUB_PASSWORD_RESET_TTL_MINUTES", "15")
    monkeypatch.setenv("EVENTHUB_PUBLIC_BASE_URL", "https://events.ccei.example")
    app = create_app("testing")
    assert app.config["PASSWORD_RESET_TTL_MINUTES"] == 15
    assert app.config["PUBLIC_BASE_URL"] == "https://events.ccei.example"


def test_database_url_environment_variable_is_honoured(instance, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://eventhub:s3cret@db.internal:5433/eventhub")
    app = create_app("testing")
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"]
        == "postgresql+psycopg://eventhub:s3cret@db.internal:5433/eventhub"
    )


def test_default_database_is_sqlite_under_instance(instance):
    app = create_app("development")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'eventhub.sqlite3'}"


def test_malformed_database_url_is_refused_with_a_message(instance, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "not a url at all")
    with pytest.raises(ConfigError, match="DATABASE_URL is not a database URL"):
        create_app("testing")


def test_unsupported_database_backend_is_refused(instance, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/eventhub")
    with pytest.raises(ConfigError, match="supports sqlite and postgresql"):
        create_app("testing")


def test_production_refuses_to_start_without_a_secret_key(instance, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://localhost/eventhub")
    with pytest.raises(ConfigError, match="EVENTHUB_SECRET_KEY"):
        create_app("production")


def test_production_refuses_a_short_secret_key(instance, monkeypatch):
    monkeypatch.setenv("EVENTHUB_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="at least 32"):
        create_app("production")


def test_production_starts_with_a_real_secret_key(instance, monkeypatch):
    monkeypatch.setenv("EVENTHUB_SECRET_KEY", "k" * 20 + "Q9x" * 10)
    app = create_app("production")
    assert app.config["SECRET_KEY"] == "k" * 20 + "Q9x" * 10
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_development_keeps_its_generated_secret_key_in_instance(instance):
    first = create_app("development").config["SECRET_KEY"]
    second = create_app("development").config["SECRET_KEY"]
    assert first == second
    assert (instance / "secret_key").read_text() == first
    assert len(first) >= 48


def test_unknown_environment_name_is_refused(instance, monkeypatch):
    monkeypatch.setenv("EVENTHUB_ENV", "staging")
    with pytest.raises(ConfigError, match="EVENTHUB_ENV must be one of"):
        create_app()


def test_unknown_mail_backend_is_refused(instance, monkeypatch):
    monkeypatch.setenv("EVENTHUB_MAIL_BACKEND", "pigeon")
    with pytest.raises(ConfigError, match="MAIL_BACKEND must be one of"):
        create_app("testing")
