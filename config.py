"""Settings for EventHub.

Pick a class with ``EVENTHUB_ENV`` (development, testing, production). Every setting can then be
overridden by an ``EVENTHUB_<KEY>`` environment variable (values are parsed as JSON when they can
be, so ``EVENTHUB_FEED_TTL_SECONDS=7200`` is an int), and ``DATABASE_URL`` sets the database.
"""

from __future__ import annotations

from typing import ClassVar


class Config:
    """Defaults shared by every environment."""

    ENV_NAME = "base"
    SECRET_KEY: str | None = None
    # The database URL. ``DATABASE_URL`` in the environment wins; empty means the SQLite file
    # ``instance/eventhub.sqlite3``.
    DATABASE_URL = ""
    # No pool_pre_ping: a PostgreSQL connection is checked at checkout without a round trip,
    # and pinged only after it sat idle (core/db.py, `_check_postgresql`).
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {}
    # Every link in an email or a calendar feed is built from this, never from the request's
    # Host header: a forged Host must not reach a password-reset email, and the scheduler has
    # no request at all.
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    DEFAULT_LOCALE = "ko"
    DEFAULT_TIMEZONE = "Asia/Seoul"
    SUPPORTED_LOCALES = ("ko", "en")
    BABEL_DEFAULT_LOCALE = "ko"
    BABEL_DEFAULT_TIMEZONE = "Asia/Seoul"
    # Mail: "file" writes .eml files under instance/mail, "console" prints, "smtp" sends,
    # "memory" keeps messages in a list (tests).
    MAIL_BACKEND = "file"
    MAIL_FILE_PATH = ""  # empty: instance/mail
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_TIMEOUT = 10
    # STARTTLS and SSL check the server's certificate against the system's trust store, or
    # against this CA file (PEM) for a relay with a private CA.
    MAIL_CA_FILE = ""
    MAIL_DEFAULT_SENDER = "EventHub <no-reply@eventhub.example>"
    # Occurrences are stored rows up to this many days ahead (about 18 months).
    RECURRENCE_HORIZON_DAYS = 548
    PASSWORD_RESET_TTL_MINUTES = 60
    # Email verification: how long a confirmation link works, and how many account emails
    # (confirmation links, "someone tried to sign up") one account gets: one a minute, this
    # many a day.
    EMAIL_VERIFY_TTL_HOURS = 48
    VERIFY_EMAILS_PER_DAY = 5
    VERIFY_RESEND_INTERVAL_SECONDS = 60
    # Investor directory imports: the upload, what an XLSX may unpack to (a zip bomb is refused
    # from the sizes it declares), rows after the header, and rows the preview page lists.
    INVESTOR_IMPORT_MAX_BYTES = 2 * 1024 * 1024
    INVESTOR_IMPORT_MAX_UNZIPPED_BYTES = 20 * 1024 * 1024
    INVESTOR_IMPORT_MAX_ROWS = 5000
    INVESTOR_IMPORT_PREVIEW_ROWS = 100
    RSVP_TOKEN_MAX_AGE_DAYS = 400
    # Calendar feeds: how often clients should refresh (REFRESH-INTERVAL, X-PUBLISHED-TTL,
    # Cache-Control max-age), and how many rendered feeds each process keeps.
    FEED_TTL_SECONDS = 3600
    FEED_CACHE_SIZE = 256
    # PostgreSQL: each process keeps the feed version in memory, kept current by LISTEN/NOTIFY
    # (off in tests unless a test turns it on; SQLite always asks the database).
    FEED_VERSION_LISTEN = True
    # /readyz fails when a due message has waited longer than this (no worker is sending).
    READY_OUTBOX_MAX_AGE_SECONDS = 900
    # /metrics answers loopback only, or `Authorization: Bearer <token>` when this is set.
    METRICS_TOKEN = ""
    PASSWORD_MIN_LENGTH = 10
    # Run the scheduler (outbox dispatch, horizons, offers, reminders) inside the web process:
    # the single-command default. Production runs `eventhub worker` processes instead.
    SCHEDULER_EMBEDDED = False
    DISPATCH_INTERVAL_SECONDS = 30
    # The dispatcher claims this many due messages at a time, over one SMTP connection.
    OUTBOX_BATCH_SIZE = 50
    # A claim a crashed dispatcher left behind is taken over after this long. A dispatcher
    # stops using its batch after half of it, so keep it above twice a batch's sending time.
    OUTBOX_LEASE_SECONDS = 300
    # Attempts before a message that keeps failing temporarily is marked failed; the wait
    # between attempts doubles from the base (with jitter), capped at an hour.
    # Outcomes are committed once per this many messages: a crash may send up to this many
    # twice (same Message-ID). 1 = one commit per message, at a cost in throughput.
    OUTBOX_MARK_EVERY = 20
    OUTBOX_MAX_ATTEMPTS = 8
    OUTBOX_RETRY_BASE_SECONDS = 60
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = 3600 * 8
    LOG_LEVEL = "INFO"
    # The largest request body accepted (413 above it): room for an investor import file.
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024
    # Form fields other than files, together (Flask's default, written down).
    MAX_FORM_MEMORY_SIZE = 500_000
    # Behind a reverse proxy: how many proxies set each X-Forwarded-* header (0: do not trust
    # it). With TLS ended at the proxy, set PROXY_FIX_X_FOR and PROXY_FIX_X_PROTO to 1 so the
    # app sees the client's address and knows the request came over HTTPS.
    PROXY_FIX_X_FOR = 0
    PROXY_FIX_X_PROTO = 0
    PROXY_FIX_X_HOST = 0
    PROXY_FIX_X_PORT = 0
    PROXY_FIX_X_PREFIX = 0
    # Unsafe requests (POST...) must come from this site: the request's own origin and the
    # origin of PUBLIC_BASE_URL are trusted, plus these (e.g. ["https://events.ccei.kr"]).
    TRUSTED_ORIGINS: ClassVar[list[str]] = []
    # Host names this site answers to (env: a comma list, e.g.
    # "events.ccei.kr,.ccei.kr"; a leading dot admits every subdomain). A request for another
    # Host (or X-Forwarded-Host, with PROXY_FIX_X_HOST) gets a plain 400. Empty: any host,
    # the development default.
    TRUSTED_HOSTS: ClassVar[list[str]] = []
    # Strict-Transport-Security max-age on HTTPS responses; 0 sends none.
    HSTS_SECONDS = 0
    # Rate limits (Flask-Limiter). "memory://" counts per process; a redis:// URL makes the
    # limits hold across every process and machine that shares it.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    # Redis down: count in this process's memory meanwhile and log it, rather than answer
    # every limited request with a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_LOGIN_PER_ADDRESS = "30 per 15 minutes"
    RATELIMIT_LOGIN_PER_ACCOUNT = "10 per 15 minutes"  # failed attempts only
    RATELIMIT_SIGNUP = "10 per hour"
    RATELIMIT_PASSWORD_RESET = "10 per hour"  # noqa: S105 - a rate, not a password
    RATELIMIT_RSVP = "30 per hour"
    RATELIMIT_FEED = "60 per hour"
    RATELIMIT_EXPORT = "30 per 10 minutes"
    RATELIMIT_API = "120 per minute"


class DevelopmentConfig(Config):
    """`make run`: SQLite under instance/, mail into instance/mail, scheduler embedded."""

    ENV_NAME = "development"
    DEBUG = False
    SCHEDULER_EMBEDDED = True


class TestingConfig(Config):
    """The test suite: in-memory mail, no scheduler, a throwaway secret."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production-use"  # noqa: S105 - test only
    MAIL_BACKEND = "memory"
    PUBLIC_BASE_URL = "https://eventhub.test"
    SCHEDULER_EMBEDDED = False
    # One listener connection per app would outlive each test's app; the tests that prove the
    # listener turn it on.
    FEED_VERSION_LISTEN = False
    # The suite sends many requests from one address; the rate-limit tests build their own
    # app with limits on and low.
    RATELIMIT_ENABLED = False
    # Fast hashing keeps the suite quick; production uses Werkzeug's default (scrypt).
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a method name, not a secret


class ProductionConfig(Config):
    """A deployed instance: refuses to start without a real secret key and a database URL."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    MAIL_BACKEND = "smtp"
    HSTS_SECONDS = 31_536_000  # a year; sent only on HTTPS requests


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
