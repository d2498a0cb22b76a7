"""The dispatcher against a real SMTP server (aiosmtpd): what arrives, and the faults."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from eventhub.core.clock import utcnow
from eventhub.core.dispatch import claim_batch, dispatch_batch
from eventhub.core.mailsmtp import SMTP_BACKEND
from eventhub.core.outbox import MessageKind, OutboxMessage, OutboxStatus
from eventhub.extensions import mail
from tests.conftest import EXAMPLES, RecordingHandler, free_port, smtp_sink


def add_messages(db: Any, count: int, *, now, recipients=None, **fields: Any) -> None:
    """`count` due messages, written straight into the outbox (what is sent, not how)."""
    rows = [
        {
            "key": f"test:{n}",
            "kind": MessageKind.transactional.value,
            "recipient": (recipients[n] if recipients else f"person{n}@example.com"),
            "locale": "en",
            "template": "test",
            "data": {},
            "subject": f"Message {n}",
            "body_text": f"Body {n}\n",
            "body_html": f"<p>Body {n}</p>",
            "headers": {},
            "attachments": [],
            "status": OutboxStatus.pending.value,
            "due_at": now,
            "attempts": 0,
            "created_at": now,
            **fields,
        }
        for n in range(count)
    ]
    db.session.execute(sa.insert(OutboxMessage.__table__), rows)
    db.session.commit()


def smtp(port: int) -> Any:
    return mail.get_connection(backend=SMTP_BACKEND, host="127.0.0.1", port=port, timeout=5)


def statuses(db: Any) -> dict[str, tuple[str, int]]:
    return {
        m.recipient: (m.status.value, m.attempts)
        for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
    }


def test_dispatch_sends_a_batch_over_one_connection_with_row_message_ids(
    app, db, smtp_server, clock
):
    with app.app_context():
        add_messages(db, 3, now=clock)
        result = dispatch_batch(now=clock, connection=smtp(smtp_server.port))
        rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert (result.sent, result.claimed) == (3, 3)
        assert [m.status for m in rows] == [OutboxStatus.sent] * 3
        assert smtp_server.message_ids() == [m.message_id for m in rows]
    first = smtp_server.messages[0]
    assert first["Subject"] == "Message 0"
    assert first["To"] == "person0@example.com"
    parts = {
        part.get_content_type(): part.get_content().replace("\r\n", "\n")
        for part in first.walk()
        if not part.is_multipart()
    }
    assert parts["text/plain"] == "Body 0\n"
    assert parts["text/html"] == "<p>Body 0</p>"


def test_messages_not_yet_due_stay_pending(app, db, smtp_server, clock):
    with app.app_context():
        add_messages(db, 1, now=clock + timedelta(minutes=5))
        assert dispatch_batch(now=clock, connection=smtp(smtp_server.port)).sent == 0
        assert dispatch_batch(
            now=clock + timedelta(minutes=5), connection=smtp(smtp_server.port)
        ).sent == 1  # fmt: skip
    assert len(smtp_server.messages) == 1


def test_server_down_keeps_messages_pending_until_it_is_back(app, db, clock):
    port = free_port()
    with app.app_context():
        add_messages(db, 2, now=clock)
        down = dispatch_batch(now=clock, connection=smtp(port))
        assert (down.sent, down.claimed) == (0, 0)
        assert "ConnectionRefusedError" in down.errors[0]
        assert statuses(db) == {
            "person0@example.com": ("pending", 0),
            "person1@example.com": ("pending", 0),
        }
        with smtp_sink(port) as server:
            back = dispatch_batch(now=clock + timedelta(seconds=30), connection=smtp(port))
        assert back.sent == 2
        assert sorted(str(m["To"]) for m in server.messages) == [
            "person0@example.com",
            "person1@example.com",
        ]


def test_temporary_failures_are_retried_and_a_refused_recipient_fails(app, db, smtp_server, clock):
    recipients = ["ok1@x.example", "busy@x.example", "closing@x.example", "gone@x.example",
                  "ok2@x.example"]  # fmt: skip
    smtp_server.data_faults = {
        "busy@x.example": ["451 4.3.0 Try again later"],
        "closing@x.example": ["421 4.3.2 Closing the connection"],
    }
    smtp_server.refuse = {"gone@x.example": "550 5.1.1 No such user"}
    with app.app_context():
        add_messages(db, 5, now=clock, recipients=recipients)
        first = dispatch_batch(now=clock, connection=smtp(smtp_server.port))
        assert (first.sent, first.retried, first.failed) == (2, 2, 1)
        assert statuses(db) == {
            "ok1@x.example": ("sent", 1),
            "busy@x.example": ("pending", 1),
            "closing@x.example": ("pending", 1),
            "gone@x.example": ("failed", 1),
            "ok2@x.example": ("sent", 1),  # sent on a new connection after the 421
        }
        gone = db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.recipient == "gone@x.example")
        )
        assert gone.last_error.startswith("SMTPRecipientsRefused")
        assert "550" in gone.last_error
        assert "No such user" in gone.last_error
        retry_at = {
            m.recipient: m.due_at
            for m in db.session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.pending)
            )
        }
        # Backoff: about a minute (with jitter), not at once.
        for due in retry_at.values():
            assert timedelta(seconds=47) <= due - clock <= timedelta(seconds=73)
        again = dispatch_batch(now=clock + timedelta(minutes=2), connection=smtp(smtp_server.port))
        assert again.sent == 2
        assert statuses(db)["busy@x.example"] == ("sent", 2)
    assert sorted(str(m["To"]) for m in smtp_server.messages) == [
        "busy@x.example", "closing@x.example", "ok1@x.example", "ok2@x.example",
    ]  # fmt: skip


def test_too_many_temporary_failures_mark_the_message_failed(app, db, smtp_server, clock):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    smtp_server.data_faults = {"busy@x.example": ["451 4.3.0 later"] * 5}
    try:
        with app.app_context():
            add_messages(db, 1, now=clock, recipients=["busy@x.example"])
            dispatch_batch(now=clock, connection=smtp(smtp_server.port))
            result = dispatch_batch(
                now=clock + timedelta(hours=1), connection=smtp(smtp_server.port)
            )
            assert result.failed == 1
            assert statuses(db) == {"busy@x.example": ("failed", 2)}
    finally:
        app.config["OUTBOX_MAX_ATTEMPTS"] = 8


def test_a_claim_left_by_a_crashed_dispatcher_is_taken_over_after_the_lease(
    app, db, smtp_server, clock
):
    with app.app_context():
        add_messages(db, 2, now=clock)
        lease = timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"])
        ids, _until = claim_batch(now=clock, limit=10, lease=lease)  # ...and then it died
        assert len(ids) == 2
        inside = dispatch_batch(now=clock + lease - timedelta(seconds=1),
                                connection=smtp(smtp_server.port))  # fmt: skip
        assert inside.claimed == 0
        after = dispatch_batch(now=clock + lease + timedelta(seconds=1),
                               connection=smtp(smtp_server.port))  # fmt: skip
        assert after.sent == 2
        assert statuses(db) == {
            "person0@example.com": ("sent", 2),
            "person1@example.com": ("sent", 2),
        }


def test_a_message_not_sent_before_it_expires_is_cancelled_not_sent_late(
    app, db, smtp_server, clock
):
    with app.app_context():
        add_messages(db, 1, now=clock, expires_at=clock + timedelta(hours=1))
        result = dispatch_batch(now=clock + timedelta(hours=2), connection=smtp(smtp_server.port))
        message = db.session.scalar(sa.select(OutboxMessage))
        assert (result.sent, result.cancelled) == (0, 1)
        assert message.status == OutboxStatus.cancelled
        assert message.cancel_reason.startswith("expired")
    assert smtp_server.messages == []


def test_a_stop_request_releases_the_rest_of_the_batch(app, db, smtp_server, clock):
    with app.app_context():
        add_messages(db, 3, now=clock)
        sent = []

        def stop_after_one() -> bool:
            sent.append(1)
            return len(sent) > 1

        result = dispatch_batch(
            now=clock, connection=smtp(smtp_server.port), should_stop=stop_after_one
        )
        assert (result.sent, result.released) == (1, 2)
        # Released rows are pending again, their attempt not counted, no lease left behind.
        assert statuses(db) == {
            "person0@example.com": ("sent", 1),
            "person1@example.com": ("pending", 0),
            "person2@example.com": ("pending", 0),
        }


@pytest.mark.postgres_only
def test_concurrent_dispatchers_on_postgresql_skip_each_others_rows(app, db, smtp_server, clock):
    with app.app_context():
        add_messages(db, 200, now=clock)
    results = []

    def dispatcher() -> None:
        with app.app_context():
            while True:
                result = dispatch_batch(now=clock, limit=10, connection=smtp(smtp_server.port))
                results.append(result)
                if not result.claimed:
                    break
            db.session.remove()

    threads = [threading.Thread(target=dispatcher) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    ids = smtp_server.message_ids()
    assert (len(ids), len(set(ids))) == (200, 200)
    assert sum(r.sent for r in results) == 200


@settings(max_examples=EXAMPLES or 300, deadline=None)
@given(
    name=st.sampled_from(["Subject", "To", "From", "Message-ID", "Content-Type", "X-Long-Name"]),
    value=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=90)
    | st.text(alphabet=" abcxyz<>@.;=\t\x1e\x0b-", max_size=90),
)
def test_quick_header_folding_writes_exactly_what_the_standard_policy_writes(name, value):
    from email.policy import compat32

    from eventhub.core.dispatch import QUICK_FOLD

    assert QUICK_FOLD.fold_binary(name, value) == compat32.fold_binary(name, value)


# --- TLS and login ----------------------------------------------------------------------------


class TLSRecorder(RecordingHandler):
    """Also notes whether each message came over TLS and after a login."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions: list[tuple[bool, bool]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        self.sessions.append((encrypted, bool(session.authenticated)))
        return await super().handle_DATA(server, session, envelope)


def _authenticator(server, session, envelope, mechanism, auth_data) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"relay",
        b"s3cret-pass",
    )
    return AuthResult(success=ok)


@contextlib.contextmanager
def tls_server(*, implicit: bool) -> Iterator[tuple[TLSRecorder, Any]]:
    """An aiosmtpd server with a certificate from a test CA: STARTTLS required (or implicit
    TLS), login required."""
    import ssl

    import trustme
    from aiosmtpd.controller import Controller

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    handler = TLSRecorder()
    handler.port = free_port()
    options: dict[str, Any] = {"authenticator": _authenticator, "auth_require_tls": True}
    if implicit:
        # aiosmtpd's "AUTH only after STARTTLS" does not know implicit TLS: the whole
        # connection is encrypted from the start.
        options.update(ssl_context=server_context, auth_require_tls=False)
    else:
        options.update(tls_context=server_context, require_starttls=True)
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port, **options)
    controller.start()
    try:
        yield handler, ca
    finally:
        controller.stop()


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "ssl"])
def test_mail_goes_over_verified_tls_with_a_login(app, db, clock, tmp_path, implicit):
    with tls_server(implicit=implicit) as (server, ca):
        ca_file = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        app.config["MAIL_CA_FILE"] = str(ca_file)
        try:
            with app.app_context():
                add_messages(db, 1, now=clock)
                connection = mail.get_connection(
                    backend=SMTP_BACKEND, host="127.0.0.1", port=server.port, timeout=5,
                    use_tls=not implicit, use_ssl=implicit,
                    username="relay", password="s3cret-pass",
                )  # fmt: skip
                assert dispatch_batch(now=clock, connection=connection).sent == 1
        finally:
            app.config["MAIL_CA_FILE"] = ""
    assert server.sessions == [(True, True)]
    assert [str(m["To"]) for m in server.messages] == ["person0@example.com"]


def test_a_server_certificate_nobody_vouches_for_is_refused(app, db, clock):
    with tls_server(implicit=False) as (server, _ca), app.app_context():
        add_messages(db, 1, now=clock)
        connection = mail.get_connection(
            backend=SMTP_BACKEND, host="127.0.0.1", port=server.port, timeout=5,
            use_tls=True, username="relay", password="s3cret-pass",
        )  # fmt: skip
        result = dispatch_batch(now=clock, connection=connection)
        assert (result.sent, result.claimed) == (0, 0)
        assert "CERTIFICATE_VERIFY_FAILED" in result.errors[0]
        assert statuses(db) == {"person0@example.com": ("pending", 0)}
    assert server.messages == []


def test_a_claim_takes_at_most_one_batch_whatever_plan_the_database_picks(app, db, clock):
    with app.app_context():
        add_messages(db, 200, now=clock)
        if db.engine.dialect.name == "postgresql":
            # The plan that once claimed every due row: a nested loop that runs the LIMIT ...
            # SKIP LOCKED subquery again for each outer row (as on a never-analyzed table).
            for setting in ("enable_hashjoin", "enable_mergejoin", "enable_material"):
                db.session.execute(sa.text(f"SET LOCAL {setting} = off"))
        lease = timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"])
        rows, _until = claim_batch(now=clock, limit=50, lease=lease)
        assert len(rows) == 50
        claimed = db.session.scalar(
            sa.select(sa.func.count()).where(OutboxMessage.status == OutboxStatus.sending)
        )
        assert claimed == 50
        # The oldest due first: the batch is the first fifty rows.
        assert sorted(row.key for row in rows) == sorted(f"test:{n}" for n in range(50))


def test_while_the_mail_server_refuses_connections_the_job_backs_off_and_says_so_once(
    database_url, db, tmp_path, caplog
):
    from eventhub.core import jobs
    from tests.conftest import make_test_app

    port = free_port()
    app = make_test_app(
        database_url, tmp_path, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port
    )
    with app.app_context():
        add_messages(db, 2, now=utcnow())
    jobs.OUTAGE.recovered()
    caplog.set_level(logging.INFO, logger="eventhub.jobs")
    # The app's loggers write to stderr and do not propagate: listen to this one directly.
    logging.getLogger("eventhub.jobs").addHandler(caplog.handler)
    try:
        assert jobs.dispatch_job(app) == 0
        retry_at = jobs.OUTAGE.retry_at
        # The next ticks of the scheduler find the server still in its back-off: no new try,
        # no new warning.
        assert [jobs.dispatch_job(app) for _ in range(3)] == [0, 0, 0]
        assert jobs.OUTAGE.failures == 1
        assert jobs.OUTAGE.retry_at == retry_at
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "mail server unreachable" in warnings[0]
        assert warnings[0].endswith("next try in 30 s")
        with smtp_sink(port) as server:
            jobs.OUTAGE.retry_at = 0.0  # the wait is over
            assert jobs.dispatch_job(app) == 2
        assert len(server.messages) == 2
        assert jobs.OUTAGE.failures == 0
        assert caplog.records[-2].getMessage() == "mail server reachable again after 1 failed tries"
    finally:
        logging.getLogger("eventhub.jobs").removeHandler(caplog.handler)
        jobs.OUTAGE.recovered()
