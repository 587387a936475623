"""The HTTP API under test: real Temporal (time-skipping server), a real worker, a real
store, the app through httpx (ASGI transport, https so Secure cookies are sent)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.tenancy import Role
from qa_engine.accounts import AccountStore
from qa_engine.bootstrap import Services, bootstrap
from qa_engine.config import Settings
from qa_engine.entry.web.app import create_app
from tests.conftest import sqlite_settings
from workers.main import build_worker

PASSWORD = "correct horse battery staple"
#: events the clocks record by themselves (no person acts)
CLOCK_EVENTS = ("DeadlineReminderSent", "DeadlineBreached", "ReminderSent", "Escalated")

#: username -> (partnership, role, agencies)
PEOPLE: dict[str, tuple[str, Role, tuple[str, ...]]] = {
    "manager": ("GSCP", Role.BUSINESS_MANAGER, ()),
    "qa": ("GSCP", Role.QA_OFFICER, ()),
    "chair": ("GSCP", Role.RAPID_REVIEW_CHAIR, ()),
    "police": ("GSCP", Role.AGENCY_LEAD, ("POLICE",)),
    "health": ("GSCP", Role.AGENCY_LEAD, ("ICB",)),
    "executive": ("GSCP", Role.EXECUTIVE, ()),
    "auditor": ("GSCP", Role.AUDITOR, ()),
    "outsider": ("WSCP", Role.BUSINESS_MANAGER, ()),
    "ops": ("OPS", Role.OPERATIONS, ()),
}
NAMES = {
    "manager": "Alex Morgan",
    "qa": "Priya Shah",
    "chair": "Jo Bennett",
    "police": "Chris Lane",
    "health": "Hana Reed",
    "executive": "Ravi Kumar",
    "auditor": "Ivy Inspector",
    "outsider": "Wyn Other",
    "ops": "Olu Ops",
}


@dataclass
class Web:
    app: Any
    http: httpx.AsyncClient
    services: Services
    accounts: AccountStore
    settings: Settings
    secrets: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def as_(self, who: str) -> dict[str, str]:
        """Headers of ``who``'s bearer token (issued once, straight from the store)."""
        if who not in self.tokens:
            account = self.accounts.account(who)
            assert account is not None, who
            self.tokens[who], _ = self.accounts.issue_token(account)
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def recorded(self) -> tuple[int, int]:
        """How much people have recorded: events in the event store other than the
        clocks' own (reminders, breaches, escalations, which timers add whenever the
        time-skipping server moves time on), and reads in the access store."""
        recorder = self.services.reviews.recorder
        events = recorder.select_notifications(start=1, limit=100_000)
        by_people = [n for n in events if not n.topic.endswith(CLOCK_EVENTS)]
        reads = self.services.access.recorder.max_notification_id() or 0
        return len(by_people), int(reads)


def add_people(accounts: AccountStore) -> dict[str, str]:
    return {
        username: accounts.add_account(
            username=username,
            name=NAMES[username],
            partnership=partnership,
            roles=(role,),
            agencies=agencies,
            password=PASSWORD,
        )
        for username, (partnership, role, agencies) in PEOPLE.items()
    }


@pytest.fixture(name="web")
async def web_app(
    ts_env: WorkflowEnvironment, tmp_path: Path, executor: ThreadPoolExecutor
) -> AsyncIterator[Web]:
    queue = f"web-{uuid.uuid4().hex[:8]}"
    settings = sqlite_settings(tmp_path, temporal_task_queue=queue)
    services = bootstrap(settings)
    accounts = AccountStore(settings)
    secrets = add_people(accounts)
    worker = build_worker(ts_env.client, task_queue=queue, services=services, executor=executor)
    async with worker:
        app = create_app(settings, client=ts_env.client, services=services, accounts=accounts)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            yield Web(app, http, services, accounts, settings, secrets)
    accounts.close()
    services.close()


def report_body(ref: str = "GSCP-2025-001", **kw: Any) -> dict[str, Any]:
    return {
        "case_ref": ref,
        "incident_on": "2025-04-10",
        "aware_on": "2025-04-11",
        "child_refs": ["C-10001"],
        "abuse_or_neglect": True,
        "harm": "seriously_harmed",
        **kw,
    }


async def open_case(web: Web, ref: str = "GSCP-2025-001") -> dict[str, Any]:
    """A case whose rapid review asks the police for a summary."""
    r = await web.http.post(
        "/partnerships/GSCP/reviews", json=report_body(ref), headers=web.as_("manager")
    )
    assert r.status_code == 201, r.text
    base = f"/partnerships/GSCP/reviews/{ref}/steps"
    for step, body in (
        ("record-panel-notification", {"notified_on": "2025-04-11"}),
        ("record-partners-informed", {"informed_on": "2025-04-11"}),
        (
            "record-threshold-decision",
            {"met": True, "decided_on": "2025-04-11", "rationale": "criteria met"},
        ),
        (
            "request-agency-summaries",
            {
                "requested_on": "2025-04-11",
                "requests": [{"agency": "POLICE", "due_on": "2025-04-22"}],
            },
        ),
    ):
        r = await web.http.post(f"{base}/{step}", json=body, headers=web.as_("manager"))
        assert r.status_code == 200, (step, r.text)
    state: dict[str, Any] = r.json()
    return state
