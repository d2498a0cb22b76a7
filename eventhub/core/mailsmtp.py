"""The SMTP mail backend: Flask-Mailman's, with STARTTLS that checks the server's certificate.

Flask-Mailman upgrades a connection with ``starttls()`` and no context, and the standard
library then encrypts without checking who answers: anyone on the path could read the mail.
Here STARTTLS and implicit TLS (``MAIL_USE_SSL``) both verify the certificate and host name,
against the system's trust store or the CA file in ``MAIL_CA_FILE`` (an internal relay with a
private CA).
"""

from __future__ import annotations

import smtplib
import ssl
from functools import cached_property, lru_cache
from typing import Any

from flask import current_app
from flask_mailman.backends.smtp import EmailBackend as MailmanSMTPBackend
from flask_mailman.message import sanitize_address

# What MAIL_BACKEND=smtp means (and what tests pass to `mail.get_connection`).
SMTP_BACKEND = "eventhub.core.mailsmtp.EmailBackend"


def verifying_context() -> ssl.SSLContext:
    cafile = current_app.config.get("MAIL_CA_FILE") or None
    return ssl.create_default_context(cafile=cafile)


@lru_cache(maxsize=4096)
def _sanitized(address: str | tuple[str, str], encoding: str) -> str:
    """Flask-Mailman's address check and encoding, a pure function that parses the address
    with the standard library's header parser: a tenth of a message's cost when the sender
    is the same for every message of a batch. Invalid addresses raise, and are not cached."""
    return sanitize_address(address, encoding)


class _VerifyingSMTP(smtplib.SMTP):
    backend: EmailBackend

    def starttls(self, *args: Any, context: ssl.SSLContext | None = None, **kwargs: Any) -> Any:
        return super().starttls(*args, context=context or self.backend.ssl_context, **kwargs)


class EmailBackend(MailmanSMTPBackend):
    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        context = verifying_context()
        if self.ssl_certfile:  # a client certificate, when the relay asks for one
            context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile)
        return context

    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        if self.use_ssl:
            return smtplib.SMTP_SSL
        # The context is made only when STARTTLS asks for it: loading the trust store takes
        # tens of milliseconds, and the dispatcher opens a connection per batch.
        return type("Verifying", (_VerifyingSMTP,), {"backend": self})

    def _send(self, email_message: Any) -> bool:
        """Flask-Mailman's `_send`, with the addresses sanitized through `_sanitized`."""
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or self.mailman.default_charset
        from_email = _sanitized(email_message.from_email, encoding)
        recipients = [_sanitized(address, encoding) for address in email_message.recipients()]
        message = email_message.message()
        try:
            self.connection.sendmail(
                from_email,
                recipients,
                message.as_bytes(linesep="\r\n"),
                mail_options=self.mailman.mail_options,
            )
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
