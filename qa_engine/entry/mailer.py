"""The outbox's sender: reminder, breach and escalation emails over SMTP.

Each pending row of the outbox (``projections.outbox``) is claimed (status
``sending`` until a claim deadline, so two senders never send the same row), sent
as ONE SMTP transaction to every address the contact directory holds for its
partnership, agency and roles, then marked ``sent``. A failure is retried with
exponential back-off (``QA_NOTIFY_BACKOFF_SECONDS``, doubling) up to
``QA_NOTIFY_MAX_ATTEMPTS``, then ``failed``; a row with nobody to tell is
``no_recipient``. Who is told is the partnership's recorded contacts
(``Partnership.ContactsSet`` decisions), read when the row is sent
(``QA_NOTIFY_CONTACTS`` fills only a role with no recorded decision). Every message
carries a Message-ID made from the row's key: if a sender dies after the SMTP server
took the message but before the row was marked, the claim expires and the same
message (same Message-ID) goes again; that one case is at-least-once, everything else
exactly once.

An email says what is due and links to the record. It never holds a child's
reference, a name or free text: only the record's reference, the step and the day.

Two ways out (``QA_EMAIL_VIA``): ``smtp`` (above), or ``govuk_notify``: GOV.UK Notify's
API through its official Python client (``notifications-python-client``), one call per
address with the partnership's template (``((subject))`` and ``((body))``), the row's
Message-ID as the Notify reference. Notify takes one address a call, so each address
delivered is remembered (``notify_delivered``: a hash of the address, never the
address): a retry after a partial failure sends only to those not yet reached. A
refusal Notify will repeat (a 4xx other than 429: a bad key, template or address)
fails the row at once; a 429, a 5xx or no answer is retried with the back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import structlog

from projections.db import ViewDB
from projections.outbox import OUTBOX_DDL, OutboxRow, outbox_rows, row_of
from qa_engine.config import Settings

__all__ = ["DeliveryReport", "Mailer", "compose", "message_id", "recipients", "send_forever"]

log = structlog.get_logger("mailer")

_PATHS = {
    "review": "reviews",
    "audit": "audits",
    "action_plan": "action-plans",
    "actionplan": "action-plans",
    "child_of_concern": "concerns",
    "childofconcern": "concerns",
}
CLAIM = timedelta(minutes=5)
#: the addresses a row's email reached through GOV.UK Notify (hashed), so that a retry
#: after a partial failure does not send twice
DELIVERED_DDL = (
    "CREATE TABLE IF NOT EXISTS {notify_delivered} ("
    "originator_id TEXT NOT NULL, version INTEGER NOT NULL, address TEXT NOT NULL, "
    "delivered_at TEXT NOT NULL, PRIMARY KEY (originator_id, version, address))"
)


class DeliveryFailed(Exception):
    """The email did not go; worth trying again later (the back-off)."""


class Undeliverable(Exception):
    """The email service refused the email in a way a retry will not change."""


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    no_recipient: int = 0


def recipients(
    row: OutboxRow,
    contacts: dict[str, list[str]],
    recorded: dict[str, list[str]] | None = None,
) -> list[str]:
    """The addresses to tell for ``row``: per partnership and role, and per agency and
    role for the agencies it concerns (a step keyed ``...:AGENCY`` concerns that one).

    ``recorded``: the partnership's recorded contacts (``role`` / ``AGENCY/role`` ->
    addresses, ``PartnershipService.contacts``); a role recorded there is told exactly
    those (none, if the decision was "nobody"). ``contacts`` (``QA_NOTIFY_CONTACTS``,
    keyed ``P/role`` / ``P/AGENCY/role``) only fills a role with no recorded decision."""
    _, _, agency = row.step_key.partition(":")
    agencies = (agency,) if agency else row.agencies
    held = recorded or {}

    def of(key: str) -> list[str]:
        if key in held:
            return held[key]
        return contacts.get(f"{row.partnership}/{key}", [])

    found: list[str] = []
    for role in row.roles:
        found += of(role)
        for a in agencies:
            found += of(f"{a}/{role}")
    return sorted({a.strip().lower() for a in found if a.strip()})


def compose(row: OutboxRow, settings: Settings, to: Sequence[str]) -> EmailMessage:
    """The email for ``row``: the step, its due day, a link; nothing personal."""
    path = _PATHS.get(row.kind, f"{row.kind}s")
    link = (
        f"{settings.notify_public_url.rstrip('/')}/partnerships/{row.partnership}/{path}/{row.ref}"
    )
    due = row.due_on.strftime("%-d %B %Y")
    if row.what == "request":
        agency = row.step_key.partition(":")[2]
        subject = f"Asked of {agency}: {row.step_label} due {due} ({row.ref})"
        opening = f"{agency} is asked for: {row.step_label}, due on {due}."
    elif row.what == "reminder":
        subject = f"Reminder: {row.step_label} due {due} ({row.ref})"
        opening = f"This is a reminder that {row.step_label} is due on {due}."
    else:
        subject = f"Overdue: {row.step_label} was due {due} ({row.ref})"
        opening = (
            f"{row.step_label} was due on {due} and is not recorded as done. "
            "You are told as an escalation contact."
        )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.notify_from
    message["To"] = "undisclosed-recipients:;"
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id(row)
    message.set_content(
        f"{opening}\n\nRecord: {row.ref} ({row.partnership})\nStep: {row.step_label}\n"
        f"Due: {due}\n\nOpen the record (sign-in needed): {link}\n\n"
        "This email holds no details of the case; they are on the record.\n"
    )
    del to  # the addresses go in the SMTP envelope only (no address sees another)
    return message


def message_id(row: OutboxRow) -> str:
    """The Message-ID of ``row``'s email: made from the row's key, so a resend after a
    crash carries the same one (and the dev mail page finds the row of a message)."""
    return f"<outbox.{row.originator_id.replace('/', '.')}.{row.version}@qa-engine>"


class Mailer:
    """Sends the outbox's due rows (``send_due``); one instance per process."""

    def __init__(self, settings: Settings, app: Any, partnerships: Any = None) -> None:
        """``app``: the event store's application (the outbox is a read model of it);
        ``partnerships``: the ``PartnershipService`` holding the recorded contacts
        (default: ``app.partnerships``)."""
        self.settings = settings
        self.db = ViewDB(app)
        self.partnerships = partnerships or getattr(app, "partnerships", None)
        with self.db.transaction() as cur:
            cur.execute(OUTBOX_DDL)
            if settings.email_via == "govuk_notify":
                cur.execute(DELIVERED_DDL)

    def rows(self, *, partnership: str | None = None, status: str | None = None) -> list[OutboxRow]:
        with self.db.read() as cur:
            return outbox_rows(cur, partnership=partnership, status=status)

    def _claim(self, now: datetime, limit: int) -> list[OutboxRow]:
        claimed = []
        with self.db.transaction() as cur:
            due = cur.execute(
                "SELECT * FROM {notify_outbox} WHERE (status = 'pending' AND next_attempt_at <= ?)"
                " OR (status = 'sending' AND claimed_until <= ?)"
                " ORDER BY notification_id LIMIT ?",
                (now.isoformat(), now.isoformat(), limit),
            ).fetchall()
        for r in due:
            with self.db.transaction() as cur:
                won = cur.execute(
                    "UPDATE {notify_outbox} SET status = 'sending', claimed_until = ?"
                    " WHERE originator_id = ? AND version = ? AND (status = 'pending'"
                    " OR (status = 'sending' AND claimed_until <= ?)) RETURNING version",
                    ((now + CLAIM).isoformat(), r["originator_id"], r["version"], now.isoformat()),
                ).fetchone()
            if won is not None:  # another sender may have claimed it in between
                claimed.append(row_of(r))
        return claimed

    def _set(self, row: OutboxRow, **values: Any) -> None:
        cols = ", ".join(f"{k} = ?" for k in values)
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE {notify_outbox} SET " + cols + " WHERE originator_id = ? AND version = ?",
                (*values.values(), row.originator_id, row.version),
            )

    def send_due(self, *, now: datetime | None = None, limit: int = 50) -> DeliveryReport:
        """Send every row due now (blocking: call it in a thread from async code)."""
        at = now or datetime.now(UTC)
        sent = retried = failed = nobody = 0
        recorded: dict[str, dict[str, list[str]]] = {}  # per partnership, this round
        for row in self._claim(at, limit):
            if row.partnership not in recorded:
                recorded[row.partnership] = (
                    self.partnerships.contacts(row.partnership) if self.partnerships else {}
                )
            to = recipients(row, self.settings.notify_contacts, recorded[row.partnership])
            if not to:
                self._set(row, status="no_recipient", claimed_until=None)
                nobody += 1
                continue
            try:
                self._deliver(row, compose(row, self.settings, to), to)
            except (OSError, smtplib.SMTPException, DeliveryFailed, Undeliverable) as e:
                attempts = row.attempts + 1
                error = f"{type(e).__name__}: {str(e)[:200]}"
                if attempts >= self.settings.notify_max_attempts or isinstance(e, Undeliverable):
                    self._set(
                        row,
                        status="failed",
                        attempts=attempts,
                        last_error=error,
                        claimed_until=None,
                    )
                    failed += 1
                else:
                    delay = self.settings.notify_backoff_seconds * 2 ** (attempts - 1)
                    self._set(
                        row,
                        status="pending",
                        attempts=attempts,
                        last_error=error,
                        claimed_until=None,
                        next_attempt_at=(at + timedelta(seconds=delay)).isoformat(),
                    )
                    retried += 1
                log.warning(
                    "email not sent", kind=row.kind, ref=row.ref, attempts=attempts, error=error
                )
                continue
            self._set(
                row,
                status="sent",
                attempts=row.attempts + 1,
                sent_at=datetime.now(UTC).isoformat(),
                claimed_until=None,
                last_error=None,
                recipients=len(to),
            )
            sent += 1
        return DeliveryReport(sent=sent, retried=retried, failed=failed, no_recipient=nobody)

    def _deliver(self, row: OutboxRow, message: EmailMessage, to: Sequence[str]) -> None:
        if self.settings.email_via == "govuk_notify":
            self._via_notify(row, message, to)
        else:
            self._via_smtp(message, to)

    def _via_notify(self, row: OutboxRow, message: EmailMessage, to: Sequence[str]) -> None:
        """One Notify call per address not yet reached; each success remembered."""
        from notifications_python_client.errors import HTTPError
        from notifications_python_client.notifications import NotificationsAPIClient

        s = self.settings
        client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
            s.govuk_notify_api_key.get_secret_value(),
            base_url=s.govuk_notify_base_url,
            timeout=s.smtp_timeout_seconds,
        )
        with self.db.read() as cur:
            reached = {
                r["address"]
                for r in cur.execute(
                    "SELECT address FROM {notify_delivered} WHERE originator_id = ? "
                    "AND version = ?",
                    (row.originator_id, row.version),
                ).fetchall()
            }
        body = message.get_content()
        for address in to:
            hashed = hashlib.sha256(address.encode()).hexdigest()
            if hashed in reached:
                continue
            try:
                client.send_email_notification(  # type: ignore[no-untyped-call]
                    email_address=address,
                    template_id=s.govuk_notify_template_id,
                    personalisation={"subject": str(message["Subject"]), "body": body},
                    reference=message_id(row).strip("<>"),
                    email_reply_to_id=s.govuk_notify_reply_to_id or None,
                )
            except HTTPError as e:
                said = f"GOV.UK Notify answered {e.status_code}: {_notify_message(e)}"
                if 400 <= e.status_code < 500 and e.status_code != 429:
                    raise Undeliverable(said) from e
                raise DeliveryFailed(said) from e
            with self.db.transaction() as cur:
                cur.execute(
                    "INSERT INTO {notify_delivered} (originator_id, version, address, "
                    "delivered_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (row.originator_id, row.version, hashed, datetime.now(UTC).isoformat()),
                )

    def _via_smtp(self, message: EmailMessage, to: Sequence[str]) -> None:
        s = self.settings
        if not s.smtp_host:
            raise smtplib.SMTPException("QA_SMTP_HOST is not set")
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.smtp_security == "tls":
            smtp = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=context
            )
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        with smtp:
            if s.smtp_security == "starttls":
                smtp.starttls(context=context)
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
            smtp.send_message(message, from_addr=s.notify_from, to_addrs=list(to))


def _notify_message(e: Any) -> str:
    """Notify's error messages (never the address: its messages name the field)."""
    said = e.message
    if isinstance(said, list):
        said = "; ".join(str(m.get("message", m)) if isinstance(m, dict) else str(m) for m in said)
    return str(said)[:200]


async def send_forever(
    settings: Settings, app: Any, stop: asyncio.Event, partnerships: Any = None
) -> None:
    """The sender as a long-running task (``qa-engine dev`` and the projection runner
    start one when email is configured: ``Settings.sends_email``)."""
    mailer = Mailer(settings, app, partnerships)
    while not stop.is_set():
        try:
            await asyncio.to_thread(mailer.send_due)
        except Exception as e:  # the store briefly down: try again next round
            log.warning("outbox round failed", error=f"{type(e).__name__}: {e}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.notify_poll_seconds)
