"""``qa-engine dev``'s local SMTP sink: a real SMTP server (aiosmtpd) on a free port of
this machine that keeps every message it is given in a Maildir under the data
directory, and delivers nothing further. The outbox's sender (``entry.mailer``) sends
to it as to any SMTP server; the web app's ``/dev/mail`` page (``entry.web.devmail``)
reads the Maildir back. Never used outside ``dev`` (and the tests).
"""

from __future__ import annotations

import logging
import mailbox
import socket
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

__all__ = ["DevMailSink", "SunkMessage", "sunk_messages"]


@dataclass(frozen=True)
class SunkMessage:
    """One message the sink took: its envelope recipients, headers and text."""

    message_id: str
    to: tuple[str, ...]
    subject: str
    sent_at: datetime | None
    body: str


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class DevMailSink:
    """The SMTP sink: ``start()`` returns its port; ``stop()`` ends it."""

    def __init__(self, maildir: Path, *, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.maildir = maildir
        self.host = host
        self.port = port or _free_port(host)
        self._controller: Controller | None = None

    def start(self) -> int:
        self.maildir.parent.mkdir(parents=True, exist_ok=True)
        mailbox.Maildir(str(self.maildir), create=True)  # its tmp/, new/ and cur/
        # aiosmtpd logs every SMTP verb of every message (and addresses) to "mail.log":
        # not for the dev console, where the banner and what people do should show
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._controller = Controller(Mailbox(self.maildir), hostname=self.host, port=self.port)
        self._controller.start()
        return self.port

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def sunk_messages(maildir: Path) -> list[SunkMessage]:
    """What the sink has taken, newest first (an empty list before the first)."""
    if not maildir.exists():
        return []
    found = []
    box = mailbox.Maildir(str(maildir), create=False)
    for message in box:
        date = message.get("Date")
        payload = message.get_payload(decode=True) if not message.is_multipart() else b""
        charset = message.get_content_charset() or "utf-8"
        found.append(
            SunkMessage(
                message_id=str(message.get("Message-ID", "")).strip(),
                to=tuple(
                    a.strip() for a in str(message.get("X-RcptTo", "")).split(",") if a.strip()
                ),
                subject=str(message.get("Subject", "")),
                sent_at=parsedate_to_datetime(date) if date else None,
                body=payload.decode(charset, "replace") if isinstance(payload, bytes) else "",
            )
        )
    return sorted(found, key=lambda m: (m.sent_at is None, m.sent_at), reverse=True)
