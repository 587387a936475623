"""Who the emails go to is recorded data: each partnership's owners and escalation
contacts (per role, and per agency) are decisions on its record (``ContactsSet``: who,
why, the addresses), changed by a command from the CLI or the API, and read by the
sender when it sends. A refused change records nothing."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from domain.errors import RuleViolation
from domain.partnership import SetContacts, partnership_id
from projections.catalogue import build_runner
from qa_engine.accounts import AccountStore
from qa_engine.bootstrap import bootstrap
from qa_engine.entry.cli import run
from qa_engine.entry.mailer import Mailer
from qa_engine.entry.web.app import create_app
from qa_engine.reviews import ReviewService
from tests.conftest import actor
from tests.test_email_reminders import (  # noqa: F401
    SmtpServer,
    _settings,
    ask_police_and_icb,
    smtp,
)
from tests.web_support import add_people

D = date(2025, 4, 11)


def _police(addresses: list[str], reason: str = "new duty inbox") -> SetContacts:
    return SetContacts(
        role="agency safeguarding lead", agency="POLICE", addresses=addresses, reason=reason
    )


def test_contacts_are_recorded_decisions_with_who_and_why(service: ReviewService) -> None:
    partnerships = service.partnerships
    assert partnerships.contacts("GSCP") == {}
    partnerships.set_contacts("GSCP", _police(["Duty.Police@Example.org"]), actor=actor())
    partnerships.set_contacts(
        "GSCP",
        SetContacts(
            role="partnership business manager",
            addresses=["bm@example.org", "bm.deputy@example.org"],
            reason="the business unit's inboxes",
        ),
        actor=actor(),
    )
    assert partnerships.contacts("GSCP") == {
        "POLICE/agency safeguarding lead": ["duty.police@example.org"],
        "partnership business manager": ["bm.deputy@example.org", "bm@example.org"],
    }
    assert partnerships.contacts("WSCP") == {}  # another partnership's are its own
    (first, second) = partnerships.contact_decisions("GSCP")
    assert first["actor"] == actor() and first["reason"] == "new duty inbox"
    assert (first["agency"], second["agency"]) == ("POLICE", None)
    events = list(partnerships.events.get(partnership_id("GSCP")))
    assert [type(e).__name__ for e in events] == ["Registered", "ContactsSet", "ContactsSet"]
    # policy decisions are listed apart
    assert [d["event"] for d in partnerships.decisions("GSCP")] == ["Registered"]

    # unchanged is refused (nothing recorded); nobody is a decision too
    with pytest.raises(RuleViolation) as unchanged:
        partnerships.set_contacts("GSCP", _police(["duty.police@example.org"]), actor=actor())
    assert unchanged.value.rule == "contacts_changed"
    partnerships.set_contacts("GSCP", _police([], reason="the team moved"), actor=actor())
    assert partnerships.contacts("GSCP")["POLICE/agency safeguarding lead"] == []
    assert len(partnerships.contact_decisions("GSCP")) == 3


def test_a_bad_contact_names_the_field_and_rule() -> None:
    with pytest.raises(ValidationError) as bad:
        _police(["not-an-address"])
    (error,) = bad.value.errors()
    assert error["loc"][0] == "addresses" and "email address" in error["msg"]
    with pytest.raises(ValidationError) as short:
        _police(["a@example.org"], reason="")
    assert short.value.errors()[0]["loc"] == ("reason",)


def test_the_sender_tells_the_recorded_contacts(tmp_path: Path, smtp: SmtpServer) -> None:  # noqa: F811
    """Recorded contacts win over QA_NOTIFY_CONTACTS role by role: the police's ask goes
    to the recorded address; the ICB's, recorded as nobody, goes to no one."""
    settings = _settings(tmp_path, smtp.port)  # its QA_NOTIFY_CONTACTS name both leads
    services = bootstrap(settings)
    reviews = services.reviews
    ask_police_and_icb(reviews)
    services.partnerships.set_contacts(
        "GSCP", _police(["recorded.police@example.org"]), actor=actor()
    )
    services.partnerships.set_contacts(
        "GSCP",
        SetContacts(
            role="agency safeguarding lead", agency="ICB", addresses=[], reason="no lead yet"
        ),
        actor=actor(),
    )
    build_runner(reviews).catch_up()
    smtp.start()
    report_ = Mailer(settings, reviews, services.partnerships).send_due()
    assert (report_.sent, report_.no_recipient) == (1, 1)
    (message,) = smtp.messages()
    assert message["X-RcptTo"] == "recorded.police@example.org"
    assert message["Subject"].startswith("Asked of POLICE")
    services.close()


def test_the_cli_shows_and_changes_the_contacts_for_its_principal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"QA_DATA_DIR": str(tmp_path), "QA_STORE": "sqlite", "QA_LOG_LEVEL": "WARNING"}

    def cli(role: str, partnership: str, *args: str) -> tuple[int, Any]:
        with monkeypatch.context() as m:
            for k in [k for k in os.environ if k.startswith("QA_")]:
                m.delenv(k)
            for k, v in {
                **env,
                "QA_ACTOR_NAME": "Alex Morgan",
                "QA_ACTOR_ROLE": role,
                "QA_PARTNERSHIP": partnership,
            }.items():
                m.setenv(k, v)
            code = run([*args, "--json"])
        out, err = capsys.readouterr()
        return code, json.loads(out) if out.strip() else err

    change = (
        *("partnership", "contacts", "set", "--role", "agency safeguarding lead"),
        *("--agency", "police", "--address", "lead@police.example", "--reason", "new lead"),
    )
    code, refused = cli("agency safeguarding lead", "GSCP", *change)
    assert code == 1 and "contacts_change_role" in json.dumps(refused)
    bad = [*change[:-4], "--address", "not-an-address", "--reason", "new lead"]
    code, refused = cli("partnership business manager", "GSCP", *bad)
    assert code == 2 and "addresses" in json.dumps(refused)
    code, shown = cli("partnership business manager", "GSCP", "partnership", "contacts")
    assert code == 0 and shown["contacts"] == []  # the refusals recorded nothing

    code, done = cli("partnership business manager", "GSCP", *change)
    assert code == 0, done
    (entry,) = done["contacts"]
    assert (entry["agency"], entry["addresses"]) == ("POLICE", ["lead@police.example"])
    assert entry["decided_by"] == "Alex Morgan" and entry["reason"] == "new lead"
    code, shown = cli("auditor", "GSCP", "partnership", "contacts")
    assert code == 0 and shown["contacts"] == done["contacts"]
    code, shown = cli("partnership business manager", "WSCP", "partnership", "contacts")
    assert code == 0 and shown["contacts"] == []  # another partnership's are not these
    code, refused = cli("partnership business manager", "WSCP", "partnership", "contacts",
                        "--partnership", "GSCP")  # fmt: skip
    assert code == 1 and "GSCP" in json.dumps(refused)


async def test_the_api_shows_and_changes_the_contacts_within_scope(tmp_path: Path) -> None:
    settings = _settings(tmp_path, 25)
    services = bootstrap(settings)
    accounts = AccountStore(settings)
    add_people(accounts)

    def bearer(who: str) -> dict[str, str]:
        account = accounts.account(who)
        assert account is not None
        return {"Authorization": f"Bearer {accounts.issue_token(account)[0]}"}

    body = {
        "role": "agency safeguarding lead",
        "agency": "POLICE",
        "addresses": ["lead@police.example"],
        "reason": "new lead",
    }
    url = "/partnerships/GSCP/contacts"
    app = create_app(settings, services=services, accounts=accounts)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://testserver"
    ) as http:
        assert (await http.get(url)).status_code == 401
        r = await http.post(url, json=body, headers=bearer("police"))
        assert r.status_code == 403 and r.json()["rule"] == "contacts_change_role"
        r = await http.post(url, json=body, headers=bearer("outsider"))
        assert r.status_code == 403
        r = await http.post(url, json={**body, "addresses": ["nope"]}, headers=bearer("manager"))
        assert r.status_code == 422 and r.json()["field"].startswith("addresses")
        assert services.partnerships.contact_decisions("GSCP") == []  # nothing recorded

        keyed = {**bearer("manager"), "Idempotency-Key": "contacts-police-0001"}
        first = await http.post(url, json=body, headers=keyed)
        again = await http.post(url, json=body, headers=keyed)
        assert first.status_code == again.status_code == 200, first.text
        assert first.json() == again.json()
        (entry,) = first.json()
        assert entry["decided_by"] == "Alex Morgan" and entry["addresses"] == body["addresses"]
        r = await http.post(url, json=body, headers=bearer("manager"))  # unchanged: refused
        assert r.status_code == 409 and r.json()["rule"] == "contacts_changed"
        assert len(services.partnerships.contact_decisions("GSCP")) == 1

        r = await http.get(url, headers=bearer("auditor"))
        assert r.status_code == 200 and r.json() == first.json()
        r = await http.get(url, headers=bearer("police"))
        assert r.status_code == 403 and r.json()["rule"] == "contacts_read_role"
        doc = (await http.get("/openapi.json")).json()
        path = doc["paths"]["/partnerships/{p}/contacts"]
        assert "post" in path and "get" in path
    accounts.close()
    services.close()


def test_a_partnership_recorded_before_contacts_loads_and_takes_them(tmp_path: Path) -> None:
    """Committed data from the release before (tests/legacy/partnership_v1): a
    registration and a policy decision load with no contacts and the policy kept; a
    ContactsSet is appended to them and the whole log still verifies."""
    import shutil

    from domain.rules import ClockStart
    from qa_engine.config import Settings

    legacy = Path(__file__).parent / "legacy" / "partnership_v1"
    for name in ("events.sqlite3", "ledger.key", "ledger-anchor.json"):
        shutil.copy(legacy / name, tmp_path / name)
    services = bootstrap(Settings(data_dir=tmp_path, store="sqlite"))
    try:
        partnerships = services.partnerships
        assert partnerships.contacts("GSCP") == {}
        assert partnerships.policy("GSCP").variations.rapid_review_clock_from == (
            ClockStart.INCIDENT
        )
        assert [d["event"] for d in partnerships.decisions("GSCP")] == [
            "Registered",
            "PolicyChanged",
        ]
        partnerships.set_contacts("GSCP", _police(["lead@police.example"]), actor=actor())
        assert partnerships.contacts("GSCP") == {
            "POLICE/agency safeguarding lead": ["lead@police.example"]
        }
        assert services.reviews.verify_log().ok
    finally:
        services.close()
