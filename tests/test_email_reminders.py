"""Reminders and escalations reach people: the outbox is written with the read models'
position (once per event), and the sender delivers each row over SMTP to a real
SMTP server process (aiosmtpd, writing a Maildir), retrying while the server is
down, never sending a row twice, with no personal data in the email."""

from __future__ import annotations

import json
import mailbox
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from projections.catalogue import build_runner
from qa_engine.accounts import AccountStore
from qa_engine.bootstrap import Services, bootstrap
from qa_engine.config import Settings
from qa_engine.entry.cli import run
from qa_engine.entry.mailer import Mailer
from qa_engine.entry.web.app import create_app
from tests.conftest import sqlite_settings
from tests.review_data import cmd, report
from tests.web_support import add_people

D = date(2025, 4, 11)
CONTACTS = {
    "GSCP/local authority": ["la.duty@example.org"],
    "GSCP/partnership business manager": ["bm@example.org"],
    "GSCP/POLICE/agency safeguarding lead": ["police.lead@example.org"],
    "GSCP/ICB/agency safeguarding lead": ["icb.lead@example.org"],
    "WSCP/local authority": ["someone.else@example.org"],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class SmtpServer:
    """``python -m aiosmtpd`` in its own process, delivering to a Maildir."""

    def __init__(self, tmp: Path, port: int) -> None:
        self.port = port
        self.maildir = tmp / f"maildir-{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        mailbox.Maildir(self.maildir, create=True)
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}"),
                *("-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the SMTP server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def messages(self) -> list[mailbox.MaildirMessage]:
        return list(mailbox.Maildir(self.maildir, create=True))


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path, _free_port())
    yield server
    server.stop()


def _settings(tmp_path: Path, port: int) -> Settings:
    return sqlite_settings(
        tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        notify_from="reminders@qa-engine.example",
        notify_public_url="https://qa.example.org",
        notify_contacts=CONTACTS,
        notify_backoff_seconds=60,
        notify_max_attempts=3,
    )


def _a_reminder_and_a_breach(services: Services) -> None:
    services.reviews.report_incident(report(aware=D), key="wf/reported", today=D)
    services.reviews.send_reminder("GSCP", "GSCP-2025-001", "panel_notification", key="r1")
    services.reviews.record_breach(
        "GSCP", "GSCP-2025-001", "panel_notification", key="b1", at=datetime.now(UTC)
    )


def test_reminders_are_sent_once_to_their_owners_after_a_retry(
    settings: Settings, tmp_path: Path, smtp: SmtpServer
) -> None:
    """On SQLite and PostgreSQL: the outbox lives beside the read models."""
    smtp_settings = _settings(tmp_path, smtp.port)
    settings = settings.model_copy(
        update={
            k: getattr(smtp_settings, k)
            for k in Settings.model_fields
            if k.startswith(("smtp_", "notify_"))
        }
    )
    services = bootstrap(settings)
    _a_reminder_and_a_breach(services)
    runner = build_runner(services.reviews)
    runner.catch_up()
    mailer = Mailer(settings, services.reviews)
    rows = mailer.rows()
    assert [(r.what, r.step_key, r.status) for r in rows] == [
        ("escalation", "panel_notification", "pending"),
        ("reminder", "panel_notification", "pending"),
    ]

    # the SMTP server is down: both are retried later, nothing is lost
    now = datetime.now(UTC)
    report_down = mailer.send_due(now=now)
    assert report_down.retried == 2 and report_down.sent == 0
    assert {r.attempts for r in mailer.rows()} == {1}
    assert all(r.last_error for r in mailer.rows())
    assert mailer.send_due(now=now + timedelta(seconds=30)).retried == 0  # backing off

    smtp.start()
    later = now + timedelta(seconds=61)
    assert mailer.send_due(now=later).sent == 2
    assert mailer.send_due(now=later + timedelta(hours=1)).sent == 0
    # a rebuild of every read model re-derives the outbox without sending again
    runner.rebuild_all()
    assert mailer.send_due(now=later + timedelta(hours=2)).sent == 0
    assert {r.status for r in mailer.rows()} == {"sent"}

    messages = smtp.messages()
    assert len(messages) == 2

    def subject(m: mailbox.MaildirMessage) -> str:
        return " ".join(str(m["Subject"]).split())  # unfolded

    to = {subject(m).split(":")[0]: m["X-RcptTo"] for m in messages}
    # the reminder goes to the clock's owner, the breach to its escalation contacts
    assert to["Reminder"] == "la.duty@example.org"
    assert "bm@example.org" in to["Overdue"] and "someone.else" not in to["Overdue"]
    for m in messages:
        assert m["From"] == "reminders@qa-engine.example"
        assert m["Message-ID"].startswith("<outbox.")
        body = m.get_payload(decode=True).decode()
        assert "https://qa.example.org/partnerships/GSCP/reviews/GSCP-2025-001" in body
        assert "Notify the national Panel" in body and "22 April 2025" in body
        # no personal data: the child's reference never leaves the record
        assert "C-10001" not in body and "C-10001" not in m["Subject"]
    subjects = sorted(subject(m) for m in messages)
    assert subjects[0].startswith("Overdue: Notify the national Panel was due 22 April 2025")
    assert subjects[1].startswith("Reminder: Notify the national Panel due 22 April 2025")
    services.close()


def ask_police_and_icb(reviews: Any) -> None:
    """A case reported today whose rapid review asks POLICE and ICB for summaries, due in
    7 and 8 working days (an ask recorded after its due day is not news: no email)."""
    from domain.calendar import LONDON
    from qa_engine.calendar import england_and_wales

    today = datetime.now(LONDON).date()
    cal = england_and_wales()
    reviews.report_incident(report(aware=today), key="wf/reported", today=today)
    for step, fields in (
        ("record_panel_notification", {"notified_on": today}),
        ("record_partners_informed", {"informed_on": today}),
        ("record_threshold_decision", {"met": True, "decided_on": today, "rationale": "criteria"}),
        (
            "request_agency_summaries",
            {
                "requested_on": today,
                "requests": [
                    {"agency": "POLICE", "due_on": cal.add_working_days(today, 7)},
                    {"agency": "ICB", "due_on": cal.add_working_days(today, 8)},
                ],
            },
        ),
    ):
        reviews.record_step(
            "GSCP", "GSCP-2025-001", step, cmd(step, **fields), key=step, today=today
        )


def test_an_agency_summary_reminder_goes_to_that_agencys_lead_only(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    settings = _settings(tmp_path, smtp.port)
    services = bootstrap(settings)
    reviews = services.reviews
    ask_police_and_icb(reviews)
    reviews.send_reminder("GSCP", "GSCP-2025-001", "agency_summary:POLICE", key="r-police")
    build_runner(reviews).catch_up()
    smtp.start()
    mailer = Mailer(settings, reviews)
    assert mailer.send_due().sent == 3  # each agency's ask, and the police's reminder
    sent = {(m["Subject"].split(":")[0], m["X-RcptTo"]) for m in smtp.messages()}
    assert sent == {
        ("Asked of POLICE", "police.lead@example.org"),
        ("Asked of ICB", "icb.lead@example.org"),
        ("Reminder", "police.lead@example.org"),
    }
    rows = {(r.what, r.step_key): r for r in mailer.rows(status="sent")}
    assert set(rows) == {
        ("request", "agency_summary:POLICE"),
        ("request", "agency_summary:ICB"),
        ("reminder", "agency_summary:POLICE"),
    }
    assert all(r.recipients == 1 for r in rows.values())
    assert (
        rows["request", "agency_summary:ICB"].due_on
        > rows["request", "agency_summary:POLICE"].due_on
    )
    assert rows["request", "agency_summary:ICB"].agencies == ("ICB",)
    # catching up again sends nothing twice
    build_runner(reviews).catch_up()
    assert mailer.send_due().sent == 0
    services.close()


def test_a_reminder_nobody_is_held_for_is_shown_not_lost(tmp_path: Path) -> None:
    settings = _settings(tmp_path, _free_port()).model_copy(update={"notify_contacts": {}})
    services = bootstrap(settings)
    _a_reminder_and_a_breach(services)
    build_runner(services.reviews).catch_up()
    mailer = Mailer(settings, services.reviews)
    assert mailer.send_due().no_recipient == 2
    assert {r.status for r in mailer.rows()} == {"no_recipient"}
    services.close()


def test_operators_see_delivery_status_and_send_from_the_cli(
    tmp_path: Path,
    smtp: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = _settings(tmp_path, smtp.port)
    services = bootstrap(settings)
    _a_reminder_and_a_breach(services)
    services.close()
    smtp.start()
    env = {
        "QA_DATA_DIR": str(tmp_path),
        "QA_STORE": "sqlite",
        "QA_SMTP_HOST": "127.0.0.1",
        "QA_SMTP_PORT": str(smtp.port),
        "QA_SMTP_SECURITY": "none",
        "QA_NOTIFY_CONTACTS": json.dumps(CONTACTS),
        "QA_LOG_LEVEL": "WARNING",
    }

    def cli(role: str, partnership: str, *args: str) -> tuple[int, Any]:
        with monkeypatch.context() as m:
            for k in [k for k in os.environ if k.startswith("QA_")]:
                m.delenv(k)
            for k, v in {
                **env,
                "QA_ACTOR_NAME": "Olu Ops",
                "QA_ACTOR_ROLE": role,
                "QA_PARTNERSHIP": partnership,
            }.items():
                m.setenv(k, v)
            code = run([*args, "--json"])
        out, err = capsys.readouterr()
        return code, json.loads(out) if out.strip() else err

    code, refused = cli("partnership business manager", "GSCP", "outbox", "send")
    assert code == 1 and "operations_only" in json.dumps(refused)
    assert len(smtp.messages()) == 0
    code, report = cli("operations", "OPS", "outbox", "send")
    assert code == 0 and report["sent"] == 2
    code, rows = cli("partnership business manager", "GSCP", "outbox")
    assert code == 0
    assert [(r["what"], r["status"], r["recipients"]) for r in rows] == [
        ("escalation", "sent", 1),
        ("reminder", "sent", 1),
    ]
    # another partnership's manager sees none of it
    code, rows = cli("partnership business manager", "WSCP", "outbox")
    assert code == 0 and rows == []
    assert len(smtp.messages()) == 2


async def test_delivery_status_is_shown_by_the_api_within_the_partnership(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    settings = _settings(tmp_path, smtp.port)
    services = bootstrap(settings)
    _a_reminder_and_a_breach(services)
    build_runner(services.reviews).catch_up()
    smtp.start()
    Mailer(settings, services.reviews).send_due()
    accounts = AccountStore(settings)
    add_people(accounts)

    def bearer(who: str) -> dict[str, str]:
        account = accounts.account(who)
        assert account is not None
        return {"Authorization": f"Bearer {accounts.issue_token(account)[0]}"}

    app = create_app(settings, services=services, accounts=accounts)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://testserver"
    ) as http:
        assert (await http.get("/partnerships/GSCP/outbox")).status_code == 401
        r = await http.get("/partnerships/GSCP/outbox", headers=bearer("manager"))
        assert r.status_code == 200, r.text
        assert [(e["what"], e["status"], e["recipients"]) for e in r.json()] == [
            ("escalation", "sent", 1),
            ("reminder", "sent", 1),
        ]
        assert "@" not in r.text  # no addresses shown
        r = await http.get("/partnerships/GSCP/outbox?status=failed", headers=bearer("manager"))
        assert r.status_code == 200 and r.json() == []
        r = await http.get("/partnerships/GSCP/outbox", headers=bearer("outsider"))
        assert r.status_code == 403 and r.json()["rule"] == "same_partnership"
        # the police lead: this case asks nothing of the police yet
        r = await http.get("/partnerships/GSCP/outbox", headers=bearer("police"))
        assert r.status_code == 200 and r.json() == []
    accounts.close()
    services.close()


def test_an_ask_entered_after_its_due_day_is_not_emailed(tmp_path: Path) -> None:
    """A request recorded after the fact (its due day already past when it is recorded,
    as when a case is entered late) writes no request email; reminders still would."""
    settings = _settings(tmp_path, _free_port())
    services = bootstrap(settings)
    reviews = services.reviews
    reviews.report_incident(report(aware=D), key="wf/reported", today=D)
    for step, fields in (
        ("record_panel_notification", {"notified_on": D}),
        ("record_partners_informed", {"informed_on": D}),
        ("record_threshold_decision", {"met": True, "decided_on": D, "rationale": "criteria"}),
        (
            "request_agency_summaries",
            {"requested_on": D, "requests": [{"agency": "POLICE", "due_on": "2025-04-22"}]},
        ),
    ):
        reviews.record_step("GSCP", "GSCP-2025-001", step, cmd(step, **fields), key=step, today=D)
    build_runner(reviews).catch_up()
    assert [r.what for r in Mailer(settings, reviews).rows()] == []
    services.close()


def test_an_agency_lead_sees_only_the_emails_addressed_to_their_agency() -> None:
    """One rule for the API's outbox, ``/dev/mail`` and a record's page: an agency's
    own asks (keyed to it), and steps the agency lead role owes on a record the agency
    is part of; never another agency's ask, nor what the partnership's staff owe."""
    from projections.outbox import OutboxRow, for_agencies

    def row(what: str, key: str, roles: tuple[str, ...]) -> OutboxRow:
        return OutboxRow(
            originator_id=f"{what}-{key}",
            version=1,
            kind="review",
            partnership="GSCP",
            ref="GSCP-2025-001",
            what=what,
            step_key=key,
            step_label=key,
            due_on=D,
            roles=roles,
            agencies=("LA", "POLICE", "HEALTH"),
            status="sent",
            attempts=1,
            next_attempt_at=datetime.now(UTC),
            last_error=None,
            sent_at=None,
            recipients=1,
        )

    lead, manager = ("agency safeguarding lead",), ("partnership business manager",)
    rows = [
        row("request", "agency_summary:POLICE", lead),
        row("escalation", "agency_summary:POLICE", lead),
        row("request", "agency_summary:HEALTH", lead),
        row("escalation", "panel_notification", manager),
        row("reminder", "chronology", lead),  # owed by every agency's lead on the record
    ]
    seen = [(r.what, r.step_key) for r in for_agencies(rows, ["police"])]
    assert seen == [
        ("request", "agency_summary:POLICE"),
        ("escalation", "agency_summary:POLICE"),
        ("reminder", "chronology"),
    ]
    assert [r.step_key for r in for_agencies(rows, ["EDUCATION"])] == []
