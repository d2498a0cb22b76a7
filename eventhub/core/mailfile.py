"""The file mail backend: each message becomes one .eml file under ``MAIL_FILE_PATH``.

Flask-Mailman's own file backend appends a whole connection's messages to one log file; an
organizer (and `make run`) wants one message per file, openable in any mail program. Outbox
messages are named after their Message-ID, so the outbox page can find the file and a
re-sent duplicate overwrites its first copy instead of adding a second.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask_mailman.backends.base import BaseEmailBackend

# What MAIL_BACKEND=file means.
FILE_BACKEND = "eventhub.core.mailfile.EmailBackend"

_OUTBOX_ID = re.compile(r"<outbox\.(\d+)\.([0-9a-f]+)@")


def eml_name(message_id: str) -> str | None:
    """The file name of an outbox message's copy, from its Message-ID."""
    match = _OUTBOX_ID.match(message_id or "")
    return f"outbox-{match[1]}-{match[2]}.eml" if match else None


class EmailBackend(BaseEmailBackend):
    def __init__(self, *args: Any, file_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file_path = Path(file_path or self.mailman.file_path).resolve()
        self.file_path.mkdir(parents=True, exist_ok=True)

    def send_messages(self, email_messages: list[Any]) -> int:
        count = 0
        for email in email_messages:
            message = email.message()
            name = eml_name(str(message.get("Message-ID", ""))) or (
                f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(4)}.eml"
            )
            target = self.file_path / name
            partial = target.with_suffix(".part")
            partial.write_bytes(message.as_bytes(linesep="\r\n"))
            os.replace(partial, target)  # a reader never sees half a message
            count += 1
        return count
