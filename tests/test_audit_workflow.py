"""The audit → findings → action plan → impact path on the real time-skipping
server, with real activities over a real SQLite event store."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from domain.action_plan_model import ActionPlanStage, ActionPlanState
from domain.audit_model import AuditStage, AuditState
from domain.child_of_concern_model import ConcernStage, ConcernState
from qa_engine.bootstrap import Services
from tests.qa_support import SAMPLE, events, start_audit, step, today_of, wait_state
from workflows.action_plan import ActionPlanWorkflow
from workflows.qa_contracts import action_plan_workflow_id, concern_workflow_id


def finding(case_ref: str, overall: str, **standards: str) -> dict[str, Any]:
    return {"case_ref": case_ref, "overall": overall, "standards": standards}


def action(agency: str, due: Any, text: str = "Refresh supervision guidance") -> dict[str, Any]:
    return {
        "owner_agency": agency,
        "text": text,
        "due_on": due.isoformat(),
        "success_measure": "Dip audit shows supervision recorded monthly in 9 of 10 files",
    }


async def graded_audit(
    env: WorkflowEnvironment, client: Client, queue: str, findings: list[dict[str, Any]]
) -> tuple[str, Any, AuditState]:
    t0 = await today_of(env)
    ref, h = await start_audit(client, queue, t0)
    await step(h, "draw_audit_sample", AuditState, drawn_on=t0, case_refs=SAMPLE)
    due = t0 + timedelta(days=14)
    await step(
        h,
        "request_audit_returns",
        AuditState,
        requested_on=t0,
        requests=[{"agency": "LA", "due_on": due}, {"agency": "ICB", "due_on": due}],
    )
    await step(h, "record_audit_return", AuditState, agency="LA", received_on=t0)
    await step(h, "record_audit_return", AuditState, agency="ICB", received_on=t0)
    await step(h, "record_audit_moderation", AuditState, held_on=t0, moderators=["QA officer"])
    s = await step(h, "record_audit_findings", AuditState, recorded_on=t0, findings=findings)
    return ref, h, s


async def test_audit_to_action_plan_to_impact_with_a_not_improved_round(
    ts_env: WorkflowEnvironment, qa_worker: tuple[Client, str, Services]
) -> None:
    client, queue, services = qa_worker
    qa = services.quality
    ref, h, s = await graded_audit(
        ts_env,
        client,
        queue,
        [
            finding("C-1001", "good", **{"01": "good", "10": "requires_improvement"}),
            finding("C-1002", "requires_improvement", **{"01": "good", "10": "inadequate"}),
            finding("C-1003", "outstanding"),
        ],
    )
    assert s.stage is AuditStage.GRADED
    assert s.overall_grades == {"good": 1, "requires_improvement": 1, "outstanding": 1}
    assert s.standard_grades["10"] == {"requires_improvement": 1, "inadequate": 1}
    assert s.concerns == []
    t0 = await today_of(ts_env)
    s = await step(
        h,
        "record_audit_report",
        AuditState,
        reported_on=t0,
        recipients=["team managers", "QiiP steering group"],
    )
    assert s.report_recipients == ["team managers", "QiiP steering group"]
    await step(h, "record_learning_briefing", AuditState, issued_on=t0, recipients=["all staff"])
    s = await step(
        h,
        "raise_action_plan",
        AuditState,
        raised_on=t0,
        actions=[action("LA", t0 + timedelta(days=60)), action("ICB", t0 + timedelta(days=60))],
    )
    assert s.stage is AuditStage.CLOSED and s.action_plan_ref == f"{ref}-AP"
    final = await h.result()
    assert final.outcome == f"action plan {ref}-AP raised"

    plan = client.get_workflow_handle_for(
        ActionPlanWorkflow.run, action_plan_workflow_id(f"{ref}-AP")
    )
    p: ActionPlanState = await wait_state(plan, ActionPlanState)
    assert sorted(p.actions) == ["A1", "A2"] and p.source == "audit" and p.source_ref == ref
    for a in ("A1", "A2"):
        await step(
            plan,
            "record_action_progress",
            ActionPlanState,
            action_id=a,
            reported_on=t0,
            status="on_track",
        )
        await step(
            plan,
            "record_action_evidence",
            ActionPlanState,
            action_id=a,
            received_on=t0,
            evidence="Revised guidance issued to all team managers",
        )
        p = await step(plan, "complete_action", ActionPlanState, action_id=a, completed_on=t0)
    assert p.stage is ActionPlanStage.AWAITING_IMPACT_CHECK
    assert p.impact_from is not None and p.clocks["impact_check"].status == "open"

    # Too early: the impact check comes after the configured interval. Nothing recorded.
    before = len(qa.history("actionplan", p.ref))
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await step(
            plan,
            "record_impact_check",
            ActionPlanState,
            checked_on=t0,
            method="re_audit",
            result="improved",
            measure="Re-audit of ten files",
        )
    assert "impact_interval" in str(err.value.cause.details) or "interval" in str(err.value.cause)
    assert len(qa.history("actionplan", p.ref)) == before

    await ts_env.sleep(p.impact_from - t0 + timedelta(days=1))
    t1 = await today_of(ts_env)
    p = await wait_state(plan, ActionPlanState)
    assert p.clocks["impact_check"].reminders_sent >= 1  # the window-open reminder
    p = await step(
        plan,
        "record_impact_check",
        ActionPlanState,
        checked_on=t1,
        method="re_audit",
        result="not_improved",
        measure="Re-audit: supervision recorded in 5 of 10 files",
        new_actions=[action("LA", t1 + timedelta(days=45), "Monthly supervision audit by GMs")],
    )
    assert p.stage is ActionPlanStage.IN_PROGRESS and p.round == 2
    assert p.actions["A3"].status == "open" and p.actions["A3"].round == 2
    assert p.clocks["action:A3"].status == "open"
    assert [c.result for c in p.impact_checks] == ["not_improved"]

    await step(
        plan,
        "record_action_evidence",
        ActionPlanState,
        action_id="A3",
        received_on=t1,
        evidence="GM supervision audits in place",
    )
    p = await step(plan, "complete_action", ActionPlanState, action_id="A3", completed_on=t1)
    assert p.impact_from is not None
    await ts_env.sleep(p.impact_from - t1 + timedelta(days=1))
    t2 = await today_of(ts_env)
    p = await step(
        plan,
        "record_impact_check",
        ActionPlanState,
        checked_on=t2,
        method="re_measure",
        result="improved",
        measure="Supervision recorded in 9 of 10 files",
    )
    assert p.stage is ActionPlanStage.CLOSED
    done = await plan.result()
    assert done.outcome == "practice improved: impact evidenced"
    history = events(qa.history("actionplan", p.ref))
    assert history[0] == "PlanOpened" and history.count("ImpactChecked") == 2
    assert qa.verify("actionplan", p.ref).ok and qa.verify("audit", ref).ok
    audit_events = events(qa.history("audit", ref))
    assert audit_events[:3] == ["Planned", "SampleDrawn", "ReturnsRequested"]
    assert audit_events[-1] == "ActionPlanRaised"


async def test_inadequate_practice_evaluation_starts_child_of_concern(
    ts_env: WorkflowEnvironment, qa_worker: tuple[Client, str, Services]
) -> None:
    client, queue, services = qa_worker
    ref, _h, s = await graded_audit(
        ts_env,
        client,
        queue,
        [
            finding("C-1001", "good"),
            finding("C-1002", "good"),
            finding("C-1003", "inadequate", **{"04": "inadequate"}),
        ],
    )
    assert [c.concern_ref for c in s.concerns] == [f"{ref}-S03"]
    concern = client.get_workflow_handle(concern_workflow_id(f"{ref}-S03"))
    c: ConcernState = await wait_state(concern, ConcernState)
    assert c.stage is ConcernStage.GROUP_MANAGER_REVIEW
    assert c.clocks["gm_review"].rule == "2 working days"
    desc = await concern.describe()
    assert "C-1003" not in desc.id and "C-1003" not in str(await desc.memo())
    assert services.quality.state("childofconcern", f"{ref}-S03").sample_no == 3
