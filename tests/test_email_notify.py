"""Reminders and escalations through GOV.UK Notify (``QA_EMAIL_VIA=govuk_notify``): the
official client (``notifications-python-client``) over real HTTP to a local service
keeping Notify's documented contract (``tests/notify_service.py``: the hosted service
cannot be reached from here). Each address is sent once, also across a retry after a
partial failure; a refusal Notify would repeat fails the row at once; a bad key or
template id is refused at start-up naming the setting."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from projections.catalogue import build_runner
from qa_engine.bootstrap import Services, bootstrap
from qa_engine.config import Settings
from qa_engine.entry.mailer import Mailer
from tests.conftest import sqlite_settings
from tests.notify_service import NotifyService
from tests.test_email_reminders import _a_reminder_and_a_breach

CONTACTS = {
    "GSCP/local authority": ["la.duty@example.org", "la.manager@example.org"],
    "GSCP/partnership business manager": ["bm@example.org"],
}


@pytest.fixture
def notify() -> Iterator[NotifyService]:
    service = NotifyService().start()
    yield service
    service.stop()


def _settings(tmp_path: Path, notify: NotifyService, **more: object) -> Settings:
    return sqlite_settings(
        tmp_path,
        email_via="govuk_notify",
        govuk_notify_api_key=notify.api_key,
        govuk_notify_template_id=notify.template_id,
        govuk_notify_base_url=notify.base_url,
        notify_public_url="https://qa.example.org",
        notify_contacts=CONTACTS,
        notify_backoff_seconds=60,
        notify_max_attempts=3,
        **more,
    )


@pytest.fixture
def mailers() -> Iterator[Callable[[Settings], Mailer]]:
    """A store with a reminder and an escalation of one clock, and its sender."""
    opened: list[Services] = []

    def make(settings: Settings) -> Mailer:
        services = bootstrap(settings)
        opened.append(services)
        _a_reminder_and_a_breach(services)
        build_runner(services.reviews).catch_up()
        return Mailer(settings, services.reviews)

    yield make
    for services in opened:
        services.close()


def test_each_address_is_sent_once_through_notify_across_a_retry(
    settings: Settings,
    tmp_path: Path,
    notify: NotifyService,
    mailers: Callable[[Settings], Mailer],
) -> None:
    """On SQLite and PostgreSQL (the delivered addresses live beside the outbox)."""
    notifying = _settings(tmp_path, notify)
    settings = settings.model_copy(
        update={
            k: getattr(notifying, k)
            for k in Settings.model_fields
            if k.startswith(("govuk_notify_", "notify_", "email_via"))
        }
    )
    assert settings.sends_email
    mailer = mailers(settings)
    rows = mailer.rows()
    assert [r.what for r in rows] == ["escalation", "reminder"]

    notify.fail_next(1, 500)  # the first call of the round fails: Notify is down
    first = mailer.send_due()
    assert (first.sent, first.retried) == (1, 1), first
    retrying = [r for r in mailer.rows() if r.status == "pending"]
    assert len(retrying) == 1 and retrying[0].attempts == 1
    assert "GOV.UK Notify answered 500" in (retrying[0].last_error or "")

    # the retry, once its back-off has passed: nothing sent twice, nothing left out
    from datetime import UTC, datetime, timedelta

    again = mailer.send_due(now=datetime.now(UTC) + timedelta(minutes=5))
    assert (again.sent, again.retried) == (1, 0), again
    assert {r.status for r in mailer.rows()} == {"sent"}
    per_row_and_address = Counter((m["reference"], m["email_address"]) for m in notify.sent)
    assert set(per_row_and_address.values()) == {1}
    recipients = {r.what: r.recipients for r in mailer.rows()}
    assert sum(recipients.values()) == len(notify.sent)
    assert all(m["template_id"] == notify.template_id for m in notify.sent)
    # what Notify is given: the step, the day, a link; no child, no name, no address
    for m in notify.sent:
        text = m["personalisation"]["subject"] + m["personalisation"]["body"]
        assert "GSCP-2025-001" in text and "https://qa.example.org/partnerships/GSCP/" in text
        assert "@" not in text
        assert m["reference"].startswith("outbox.")
    assert mailer.send_due(now=datetime.now(UTC) + timedelta(hours=1)).sent == 0


def test_a_partial_failure_resends_only_to_the_addresses_not_reached(
    tmp_path: Path, notify: NotifyService, mailers: Callable[[Settings], Mailer]
) -> None:
    """A row told to two addresses: the second call fails (429), the retry sends only
    the second."""
    from datetime import UTC, datetime, timedelta

    settings = _settings(tmp_path, notify)
    mailer = mailers(settings)
    wide = [r for r in mailer.rows() if len(CONTACTS[f"GSCP/{r.roles[0]}"]) == 2]
    assert wide, [r.roles for r in mailer.rows()]
    # the first call to the second address of the row is refused for now (429)
    original = notify._answer
    refused_once: list[str] = []

    def answer(headers, raw):  # type: ignore[no-untyped-def]
        if "la.manager@example.org" in raw.decode() and not refused_once:
            refused_once.append(raw.decode())
            return 429, {"status_code": 429, "errors": [{"error": "RateLimitError"}]}
        return original(headers, raw)

    notify._answer = answer  # type: ignore[method-assign]
    report = mailer.send_due()
    assert refused_once and report.retried == 1 and report.sent == len(mailer.rows()) - 1
    retrying = [r for r in mailer.rows() if r.status == "pending"]
    assert "GOV.UK Notify answered 429" in (retrying[0].last_error or "")
    reached_first = [m["email_address"] for m in notify.sent]
    assert "la.duty@example.org" in reached_first
    later = datetime.now(UTC) + timedelta(minutes=5)
    mailer.send_due(now=later)
    assert {r.status for r in mailer.rows()} == {"sent"}
    reached = Counter((m["reference"], m["email_address"]) for m in notify.sent)
    assert set(reached.values()) == {1}
    expected = sum(len(CONTACTS[f"GSCP/{r.roles[0]}"]) for r in mailer.rows())
    assert len(notify.sent) == expected


def test_a_refusal_notify_would_repeat_fails_the_row_at_once(
    tmp_path: Path, notify: NotifyService, mailers: Callable[[Settings], Mailer]
) -> None:
    settings = _settings(tmp_path, notify)
    wrong = settings.model_copy(
        update={"govuk_notify_template_id": "00000000-0000-4000-8000-000000000000"}
    )
    mailer = mailers(wrong)
    report = mailer.send_due()
    assert (report.sent, report.failed, report.retried) == (0, 2, 0), report
    rows = mailer.rows()
    assert {r.status for r in rows} == {"failed"} and all(r.attempts == 1 for r in rows)
    assert all(
        "GOV.UK Notify answered 400: Template not found" in (r.last_error or "") for r in rows
    )
    assert notify.sent == []

    # a key that is not this service's: Notify refuses the token (403), also for good
    forged = settings.model_copy(
        update={
            "govuk_notify_api_key": SecretStr(
                f"other-{notify.service_id}-00000000-0000-4000-8000-000000000000"
            )
        }
    )
    other = mailers(forged.model_copy(update={"data_dir": tmp_path / "forged"}))
    assert other.send_due().failed == 2 and notify.refused[-1][0] == 403


def test_notify_settings_are_checked_at_start_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"govuk_notify_api_key.*notify_api_key"):
        sqlite_settings(tmp_path, email_via="govuk_notify", govuk_notify_api_key="not-a-key")
    key = "k-" + "-".join(["11111111-1111-4111-8111-111111111111"] * 2)
    with pytest.raises(ValidationError, match="govuk_notify_template_id"):
        sqlite_settings(
            tmp_path,
            email_via="govuk_notify",
            govuk_notify_api_key=key,
            govuk_notify_template_id="welcome",
        )
    assert not sqlite_settings(tmp_path).sends_email  # SMTP unset: nothing is sent
