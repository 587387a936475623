"""Every reminder and escalation of lifecycle 2, fired by durable timers on the
time-skipping server and recorded in the real event store."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.action_plan import ActionPlanState, OpenActionPlan
from domain.audit import AuditState
from domain.child_of_concern import ConcernStage, ConcernState, OpenConcern
from qa_engine.bootstrap import Services
from tests.conftest import actor
from tests.qa_support import SAMPLE, new_ref, start_audit, step, today_of, wait_state
from tests.working_days import working_day
from workflows.action_plan import ActionPlanWorkflow
from workflows.child_of_concern import ChildOfConcernWorkflow
from workflows.qa_contracts import (
    StartActionPlan,
    StartConcern,
    action_plan_workflow_id,
    concern_workflow_id,
)


def clock_events(history: list[Any], clock: str) -> list[tuple[str, Any]]:
    out = []
    for e in history:
        if e.event == "ReminderSent" and e.data["clock"] == clock:
            out.append(("reminder", e.data["sent_to"]))
        elif e.event == "Escalated" and e.data["clock"] == clock:
            out.append(("escalated", e.data["escalated_to"]))
    return out


async def test_agency_return_chasers_then_escalation_to_lead_then_subgroup_chair(
    ts_env: WorkflowEnvironment, qa_worker: tuple[Client, str, Services]
) -> None:
    client, queue, services = qa_worker
    t0 = await today_of(ts_env)
    ref, h = await start_audit(client, queue, t0)
    await step(h, "draw_audit_sample", AuditState, drawn_on=t0, case_refs=SAMPLE)
    due = working_day(t0 + timedelta(days=14))
    s = await step(
        h,
        "request_audit_returns",
        AuditState,
        requested_on=t0,
        requests=[{"agency": "LA", "due_on": due}, {"agency": "ICB", "due_on": due}],
    )
    assert len(s.clocks["return:ICB"].reminders) == 2  # 3 and 1 working days before
    await step(h, "record_audit_return", AuditState, agency="LA", received_on=t0)

    await ts_env.sleep(timedelta(days=30))
    s = await wait_state(h, AuditState)
    icb = s.clocks["return:ICB"]
    assert (icb.reminders_sent, icb.escalations_sent, icb.status) == (2, 2, "open")
    history = services.quality.history("GSCP", "audit", ref)
    assert clock_events(history, "return:ICB") == [
        ("reminder", ["ICB"]),
        ("reminder", ["ICB"]),
        ("escalated", ["audit lead"]),
        ("escalated", ["QA subgroup chair"]),
    ]
    assert clock_events(history, "return:LA") == []  # returned on time: never chased
    assert s.breached

    late = await today_of(ts_env)
    s = await step(h, "record_audit_return", AuditState, agency="ICB", received_on=late)
    assert s.clocks["return:ICB"].status == "met" and s.clocks["return:ICB"].late
    assert s.summary() == f"audit {ref} (GSCP) returns"  # nothing left open or overdue


async def test_overdue_action_reminded_then_escalated_to_chair_then_executive(
    ts_env: WorkflowEnvironment, qa_worker: tuple[Client, str, Services]
) -> None:
    client, queue, services = qa_worker
    t0 = await today_of(ts_env)
    ref = new_ref("AP")
    opening = OpenActionPlan.model_validate(
        {
            "actor": actor(),
            "plan_ref": ref,
            "partnership": "GSCP",
            "source": "audit",
            "source_ref": "AUD-MANUAL-1",
            "opened_on": t0,
            "actions": [
                {
                    "owner_agency": "POLICE",
                    "text": "Train custody sergeants on referral thresholds",
                    "due_on": working_day(t0 + timedelta(days=35)),
                    "success_measure": "All custody sergeants trained",
                }
            ],
        }
    )
    h = await client.start_workflow(
        ActionPlanWorkflow.run,
        StartActionPlan(open=opening),
        id=action_plan_workflow_id("GSCP", ref),
        task_queue=queue,
    )
    p: ActionPlanState = await wait_state(h, ActionPlanState)
    assert len(p.clocks["action:A1"].reminders) == 2  # 10 and 2 working days before

    await ts_env.sleep(timedelta(days=35 + 21))
    p = await wait_state(h, ActionPlanState)
    assert clock_events(services.quality.history("GSCP", "actionplan", ref), "action:A1") == [
        ("reminder", ["POLICE"]),
        ("reminder", ["POLICE"]),
        ("escalated", ["QA subgroup chair"]),
        ("escalated", ["partnership executive"]),
    ]
    today = await today_of(ts_env)
    await step(
        h,
        "record_action_evidence",
        ActionPlanState,
        action_id="A1",
        received_on=today,
        evidence="Training register: 14 of 14 trained",
    )
    p = await step(h, "complete_action", ActionPlanState, action_id="A1", completed_on=today)
    assert p.actions["A1"].late and p.clocks["action:A1"].status == "met"
    assert p.clocks["impact_check"].status == "open"


async def test_missed_group_manager_review_is_escalated_to_the_assistant_director(
    ts_env: WorkflowEnvironment, qa_worker: tuple[Client, str, Services]
) -> None:
    client, queue, services = qa_worker
    t0 = await today_of(ts_env)
    ref = f"{new_ref()}-S01"
    h = await client.start_workflow(
        ChildOfConcernWorkflow.run,
        StartConcern(
            open=OpenConcern.model_validate(
                {
                    "actor": actor(),
                    "concern_ref": ref,
                    "audit_ref": ref.rsplit("-S", 1)[0],
                    "sample_no": 1,
                    "partnership": "GSCP",
                    "graded_on": t0,
                }
            )
        ),
        id=concern_workflow_id("GSCP", ref),
        task_queue=queue,
    )
    c: ConcernState = await wait_state(h, ConcernState)
    assert c.clocks["gm_review"].due_on > t0
    await ts_env.sleep(timedelta(days=7))
    c = await wait_state(h, ConcernState)
    assert [m.escalated_to for m in c.missed] == [["Assistant Director"]]
    assert clock_events(services.quality.history("GSCP", "childofconcern", ref), "gm_review") == [
        ("reminder", ["Group Manager"]),
        ("escalated", ["Assistant Director"]),
    ]
    today = await today_of(ts_env)
    c = await step(
        h, "record_group_manager_review", ConcernState, reviewed_on=today, safety_action_taken=True
    )
    assert c.stage is ConcernStage.ASSISTANT_DIRECTOR_REVIEWS
    assert c.clocks["gm_review"].late and c.clocks["ad_review:1"].status == "open"
