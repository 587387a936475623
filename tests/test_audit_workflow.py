"""The audit → findings → action plan → impact path on the real time-skipping
server, with real activities over a real SQLite event store."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from domain.action_plan import ActionPlanStage, ActionPlanState
from domain.audit import AuditStage, AuditState
from domain.child_of_concern import ConcernStage, ConcernState
from qa_engine.bootstrap import Services
from tests.qa_support import SAMPLE, events, start_audit, step, today_of, wait_state
from tests.working_days import working_day
from workflows.action_plan import ActionPlanWorkflow
from workflows.qa_contracts import action_plan_workflow_id, concern_workflow_id


def finding(case_ref: str, overall: str, **standards: str) -> dict[str, Any]:
    return {"case_ref": case_ref, "overall": overall, "standards": standards}


def action(agency: str, due: Any, text: str = "Refresh supervision guidance") -> dict[str, Any]:
    return {
        "owner_agency": agency,
        "text": text,
        "due_on": working_day(due).isoformat(),
        "success_measure": "Dip audit shows supervision recorded monthly in 9 of 10 files",
    }


async def graded_audit(
    env: WorkflowEnvironment, client: Client, queue: str, findings: list[dict[str, Any]]
) -> tuple[str, Any, AuditState]:
    t0 = await today_of(env)
    ref, h = await start_audit(client, queue, t0)
    await step(h, "draw_audit_sample", AuditState, drawn_on=t0, case_refs=SAMPLE)
    due = working_day(t0 + timedelta(days=14))
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
        ActionPlanWorkflow.run, action_plan_workflow_id("GSCP", f"{ref}-AP")
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
    before = len(qa.history("GSCP", "actionplan", p.ref))
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
    assert len(qa.history("GSCP", "actionplan", p.ref)) == before

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
    history = events(qa.history("GSCP", "actionplan", p.ref))
    assert history[0] == "PlanOpened" and history.count("ImpactChecked") == 2
    assert qa.verify("GSCP", "actionplan", p.ref).ok and qa.verify("GSCP", "audit", ref).ok
    audit_events = events(qa.history("GSCP", "audit", ref))
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
    concern = client.get_workflow_handle(concern_workflow_id("GSCP", f"{ref}-S03"))
    c: ConcernState = await wait_state(concern, ConcernState)
    assert c.stage is ConcernStage.GROUP_MANAGER_REVIEW
    assert c.clocks["gm_review"].rule == "2 working days"
    desc = await concern.describe()
    assert "C-1003" not in desc.id and "C-1003" not in str(await desc.memo())
    assert services.quality.state("GSCP", "childofconcern", f"{ref}-S03").sample_no == 3


async def update_accepted_count(handle: Any) -> int:
    history = await handle.fetch_history()
    return sum(
        1
        for e in history.events
        if e.HasField("workflow_execution_update_accepted_event_attributes")
    )


async def test_rejected_updates_record_nothing(
    ts_env: WorkflowEnvironment, qa_worker: tuple[Client, str, Services]
) -> None:
    client, queue, services = qa_worker
    qa = services.quality
    t0 = await today_of(ts_env)
    ref, h = await start_audit(client, queue, t0)
    await step(h, "draw_audit_sample", AuditState, drawn_on=t0, case_refs=SAMPLE)
    before, accepted = qa.history("GSCP", "audit", ref), await update_accepted_count(h)
    rejected = [
        ("record_audit_moderation", {"held_on": t0, "moderators": ["GM"]}, "stage_order"),
        ("draw_audit_sample", {"drawn_on": t0, "case_refs": SAMPLE}, "stage_order"),
        (
            "request_audit_returns",
            {"requested_on": t0, "requests": [{"agency": "CAFCASS", "due_on": t0 + timedelta(7)}]},
            "audit_agency",
        ),
        (
            "request_audit_returns",
            {
                "requested_on": t0 + timedelta(days=1),
                "requests": [{"agency": "LA", "due_on": t0 + timedelta(7)}],
            },
            "no_future_dates",
        ),
        ("record_audit_return", {"agency": "LA", "received_on": t0}, "stage_order"),
        ("close_audit", {"closed_on": t0, "reason": "no learning found"}, "stage_order"),
    ]
    for name, fields, rule in rejected:
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await step(h, name, AuditState, **fields)
        assert err.value.cause.details[0]["rule"] == rule, (name, err.value.cause)
    assert qa.history("GSCP", "audit", ref) == before
    assert await update_accepted_count(h) == accepted  # validators kept them out of history
    s = await wait_state(h, AuditState)
    assert s.stage is AuditStage.SAMPLED and s.version == 2

    # moderation waits for every agency: the message names the outstanding ones
    t0 = await today_of(ts_env)
    await step(h, "request_audit_returns", AuditState, requested_on=t0,
               requests=[{"agency": "LA", "due_on": working_day(t0 + timedelta(7))},
                         {"agency": "ICB", "due_on": working_day(t0 + timedelta(7))}])  # fmt: skip
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await step(h, "record_audit_moderation", AuditState, held_on=t0, moderators=["GM"])
    assert err.value.cause.details[0]["rule"] == "returns_outstanding"
    assert "LA, ICB" in str(err.value.cause)


async def test_action_plan_for_review_recommendations(
    ts_env: WorkflowEnvironment, qa_worker: tuple[Client, str, Services]
) -> None:
    from domain.action_plan import OpenPlanFromReview
    from tests.conftest import actor
    from tests.lifecycle import full_lifecycle
    from workflows.qa_contracts import StartActionPlan

    client, queue, services = qa_worker
    case_ref = "GSCP-2025-011"
    list(full_lifecycle(services.reviews, case_ref))
    t0 = await today_of(ts_env)
    handle = await client.start_workflow(
        ActionPlanWorkflow.run,
        StartActionPlan(
            from_review=OpenPlanFromReview.model_validate(
                {
                    "actor": actor(),
                    "case_ref": case_ref,
                    "partnership": "GSCP",
                    "opened_on": t0,
                    "due_on": working_day(t0 + timedelta(days=90)),
                    "success_measure": "Learning embedded: multi-agency audit",
                }
            )
        ),
        id=action_plan_workflow_id("GSCP", f"{case_ref}-AP"),
        task_queue=queue,
    )
    p: ActionPlanState = await wait_state(handle, ActionPlanState)
    assert p.source == "review" and p.source_ref == case_ref and p.actions
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await step(handle, "complete_action", ActionPlanState, action_id="A1", completed_on=t0)
    assert err.value.cause.details[0]["rule"] == "evidence_first"
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await step(handle, "record_action_evidence", ActionPlanState, action_id="A99",
                   received_on=t0, evidence="Minutes of the briefing")  # fmt: skip
    assert err.value.cause.details[0]["rule"] == "action_exists"
    assert [e.event for e in services.quality.history("GSCP", "actionplan", p.ref)] == [
        "PlanOpened"
    ]


async def test_no_child_reference_in_the_workflows_state_query_or_results(
    ts_env: WorkflowEnvironment, qa_worker: tuple[Client, str, Services]
) -> None:
    """Issue 8 item 14b: the workflow holds the sample's count, never its references
    (they stay in the event store); a finding for a case not sampled is still refused,
    by the service that holds them, and nothing is recorded."""
    client, queue, services = qa_worker
    t0 = await today_of(ts_env)
    ref, h = await start_audit(client, queue, t0)
    s = await step(h, "draw_audit_sample", AuditState, drawn_on=t0, case_refs=SAMPLE)
    assert s.sampled == len(SAMPLE) and s.sample_refs is None
    queried = await h.query("state")  # the raw query result, as any client decodes it
    assert queried["sampled"] == len(SAMPLE) and "sample" not in queried
    due = working_day(t0 + timedelta(days=14))
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
    before = services.quality.history("GSCP", "audit", ref)
    not_sampled = [finding("C-1001", "good"), finding("C-1002", "good"), finding("C-9", "good")]
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await step(h, "record_audit_findings", AuditState, recorded_on=t0, findings=not_sampled)
    assert err.value.cause.details[0]["rule"] == "sampled_cases_only"
    assert services.quality.history("GSCP", "audit", ref) == before
    # the references are in the store: the service's state knows them
    assert services.quality.state("GSCP", "audit", ref).sample_refs == SAMPLE
    # activity results in the workflow's history (the state it carries) name no child
    history = await h.fetch_history()
    completed = [
        e.activity_task_completed_event_attributes.result
        for e in history.events
        if e.HasField("activity_task_completed_event_attributes")
    ]
    decoded = [str(await client.data_converter.decode(list(r.payloads), [dict])) for r in completed]
    assert decoded and all("'sampled'" in d for d in decoded[1:])
    assert not any(r in d for d in decoded for r in SAMPLE)
