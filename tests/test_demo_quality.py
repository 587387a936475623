"""The demo records `qa-engine dev` seeds, on the time-skipping server
with real activities over a real SQLite store: what each shows, and seeding twice
creates nothing more."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.action_plan import ActionPlanState
from domain.audit import AuditStage, AuditState
from domain.child_of_concern import ConcernStage, ConcernState
from qa_engine.audits import RecordKind
from qa_engine.bootstrap import Services
from qa_engine.calendar import england_and_wales
from qa_engine.config import Settings
from qa_engine.entry.demo import QA_DEMO, seed_demo, seed_quality_demo
from qa_engine.entry.qa_client import QaClient
from qa_engine.entry.review_client import ReviewClient
from qa_engine.entry.runtime import banner
from qa_engine.reviews import ReviewService
from tests.qa_support import events, today_of, wait_state
from tests.working_days import working_day


async def test_quality_demo_is_seeded_once_with_an_overdue_return_and_a_plan_due_soon(
    ts_env: WorkflowEnvironment, qa_worker: tuple[Client, str, Services]
) -> None:
    client, queue, services = qa_worker
    qa_client, calendar = QaClient(client, queue), england_and_wales()
    today = await today_of(ts_env)

    created = await seed_quality_demo(qa_client, services.quality, calendar, today)
    assert created == ["DEMO-A01", "DEMO-A02", "DEMO-A02-AP", "DEMO-A02-S02"]

    # DEMO-A01: POLICE returned; LA overdue and escalated by its workflow; ICB still due.
    a01 = client.get_workflow_handle("audit-DEMO-DEMO-A01")
    state: AuditState = await wait_state(a01, AuditState)
    for _ in range(100):
        state = await a01.query("state", result_type=AuditState)
        if state.clocks["return:LA"].escalations_sent == 2:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(
            "DEMO-A01's overdue LA return was not escalated twice within 5 s: "
            f"{state.clocks['return:LA']}"
        )
    assert state.stage is AuditStage.RETURNS
    assert state.clocks["return:LA"].overdue and state.clocks["return:LA"].status == "open"
    assert state.clocks["return:POLICE"].status == "met"
    assert not state.clocks["return:ICB"].overdue and state.clocks["return:ICB"].due_on > today
    assert state.opened_on < today  # back-dated through the service, under the workflow's key
    history = events(services.quality.history("DEMO", "audit", "DEMO-A01"))
    assert history.count("Planned") == 1 and history.count("Escalated") == 2

    # DEMO-A02 raised its action plan (first action due within 3 working days) and
    # started a child of concern for the case graded Inadequate.
    plan = client.get_workflow_handle("actionplan-DEMO-DEMO-A02-AP")
    p: ActionPlanState = await wait_state(plan, ActionPlanState)
    assert p.actions["A1"].due_on == calendar.add_working_days(today, 3)
    nxt = p.next_due()
    assert nxt is not None and nxt.key == "action:A1"
    concern = client.get_workflow_handle("childofconcern-DEMO-DEMO-A02-S02")
    c: ConcernState = await wait_state(concern, ConcernState)
    assert c.stage is ConcernStage.GROUP_MANAGER_REVIEW and c.audit_ref == "DEMO-A02"

    # Seeding again (a restart of `qa-engine dev`) creates and records nothing.
    records: list[tuple[RecordKind, str]] = [
        ("audit", "DEMO-A01"),
        ("audit", "DEMO-A02"),
        ("actionplan", "DEMO-A02-AP"),
        ("childofconcern", "DEMO-A02-S02"),
    ]
    before = [len(services.quality.history("DEMO", kind, ref)) for kind, ref in records]
    assert await seed_quality_demo(qa_client, services.quality, calendar, today) == []
    assert [len(services.quality.history("DEMO", kind, ref)) for kind, ref in records] == before


async def test_review_demo_seeds_when_its_due_days_would_fall_on_a_weekend(
    ts_env: WorkflowEnvironment, review_worker: tuple[Client, str, ReviewService]
) -> None:
    """Seeded on a Wednesday, DEMO-003's POLICE summary (3 days on) would be due on a
    Saturday: the demo agrees the next working day instead of being rejected."""
    client, queue, reviews = review_worker
    today = await today_of(ts_env)
    wednesday = today - timedelta(days=(today.weekday() - 2) % 7)
    created = await seed_demo(ReviewClient(client, queue), wednesday)
    assert created == ["DEMO-001", "DEMO-002", "DEMO-003", "DEMO-004"]
    police = reviews.state("DEMO", "DEMO-003").deadlines["agency_summary:POLICE"]
    assert police.due_on == working_day(wednesday + timedelta(days=3)) > wednesday + timedelta(3)
    assert await seed_demo(ReviewClient(client, queue), wednesday) == []


def test_banner_lists_the_quality_demo_records() -> None:
    text = banner(Settings(), ["DEMO-001"], ["DEMO-A01"])
    assert "demo QA records  DEMO-A01" in text
    for (kind, ref), what in QA_DEMO.items():
        assert f"{ref}" in text and what in text and kind in text
    assert "qa-engine audit show DEMO-A01" in text
