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
from functools import cached_property
from typing import Any

from flask import current_app
from flask_mailman.backends.smtp import EmailBackend as MailmanSMTPBackend

# What MAIL_BACKEND=smtp means (and what tests pass to `mail.get_connection`).
SMTP_BACKEND = "eventhub.core.mailsmtp.EmailBackend"


def verifying_context() -> ssl.SSLContext:
    cafile = current_app.config.get("MAIL_CA_FILE") or None
    return ssl.create_default_context(cafile=cafile)


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
