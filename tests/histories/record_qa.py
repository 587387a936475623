"""Re-record the committed lifecycle-2 histories that tests/test_replay.py replays.

    .venv/bin/python -m tests.histories.record_qa

Writes, beside this file:

- ``audit_full_path.json``: plan → sample → returns (one chased and escalated
  as overdue) → moderation → findings (one case Inadequate: starts a child of
  concern) → report → briefing → action plan raised (starts the plan);
- ``actionplan_reminders_impact.json``: that plan's run: reminders, an overdue
  action escalated to the chair, completion, then the impact check;
- ``childofconcern_run1_continued.json`` and ``childofconcern_run2.json``: a
  concern whose first run continues as new (small history limit) and the run
  that carries its state on to assurance;
- ``actionplan_impact_not_improved.json``: a plan whose impact check finds practice
  not improved: new actions (round 2), done, then a second check that closes it.

    .venv/bin/python -m tests.histories.record_qa actionplan_impact_not_improved

records only the named scenarios (``audit_and_plan``, ``concern_continued_as_new``,
``actionplan_impact_not_improved``). Like record.py: re-record only when a workflow
changes on purpose (and gate the change with ``workflow.patched`` if running
workflows must survive it), and only the scenario you mean to.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.action_plan import ActionPlanState, OpenActionPlan
from domain.audit import AuditState
from domain.child_of_concern import ConcernState, OpenConcern
from domain.qa import next_working_day
from qa_engine.calendar import england_and_wales
from tests.conftest import actor
from tests.histories.record import Scenario, on_fresh_server
from tests.qa_support import SAMPLE, start_audit, step, today_of, wait_state
from workflows.action_plan import ActionPlanWorkflow
from workflows.child_of_concern import ChildOfConcernWorkflow
from workflows.qa_contracts import (
    StartActionPlan,
    StartConcern,
    action_plan_workflow_id,
    concern_workflow_id,
)

HERE = Path(__file__).parent
CALENDAR = england_and_wales()


def working(day: date) -> date:
    """Agreed due days fall on working days (the services reject others)."""
    return next_working_day(CALENDAR, day)


def action(agency: str, due: date, text: str) -> dict[str, Any]:
    return {
        "owner_agency": agency,
        "text": text,
        "due_on": due.isoformat(),
        "success_measure": "Dip audit shows the change in 9 of 10 files",
    }


async def audit_and_plan(env: WorkflowEnvironment, client: Client, queue: str) -> None:
    t0 = await today_of(env)
    ref, h = await start_audit(client, queue, t0, ref="REPLAY-AUD-1")
    await step(h, "draw_audit_sample", AuditState, drawn_on=t0, case_refs=SAMPLE)
    due = working(t0 + timedelta(days=14))
    await step(
        h,
        "request_audit_returns",
        AuditState,
        requested_on=t0,
        requests=[{"agency": "LA", "due_on": due}, {"agency": "ICB", "due_on": due}],
    )
    await step(h, "record_audit_return", AuditState, agency="LA", received_on=t0)
    await env.sleep(timedelta(days=21))  # ICB chased twice, then escalated as overdue
    t1 = await today_of(env)
    await step(h, "record_audit_return", AuditState, agency="ICB", received_on=t1)
    await step(h, "record_audit_moderation", AuditState, held_on=t1, moderators=["QA officer"])
    findings = [
        {"case_ref": "C-1001", "overall": "good", "standards": {"01": "good"}},
        {"case_ref": "C-1002", "overall": "requires_improvement", "standards": {}},
        {"case_ref": "C-1003", "overall": "inadequate", "standards": {"04": "inadequate"}},
    ]
    await step(h, "record_audit_findings", AuditState, recorded_on=t1, findings=findings)
    await step(h, "record_audit_report", AuditState, reported_on=t1, recipients=["QiiP group"])
    await step(h, "record_learning_briefing", AuditState, issued_on=t1, recipients=["all staff"])
    await step(
        h,
        "raise_action_plan",
        AuditState,
        raised_on=t1,
        actions=[
            action("LA", working(t1 + timedelta(days=30)), "Refresh supervision guidance"),
            action("ICB", working(t1 + timedelta(days=30)), "Health input to strategy meetings"),
        ],
    )
    await h.result()
    (HERE / "audit_full_path.json").write_text((await h.fetch_history()).to_json())

    # The plan the audit started: LA on time; ICB reminded, overdue, escalated.
    plan: WorkflowHandle[Any, Any] = client.get_workflow_handle(
        action_plan_workflow_id("GSCP", f"{ref}-AP")
    )
    await wait_state(plan, ActionPlanState)
    await step(
        plan,
        "record_action_progress",
        ActionPlanState,
        action_id="A1",
        reported_on=t1,
        status="on_track",
    )
    await step(
        plan,
        "record_action_evidence",
        ActionPlanState,
        action_id="A1",
        received_on=t1,
        evidence="Guidance reissued",
    )
    await step(plan, "complete_action", ActionPlanState, action_id="A1", completed_on=t1)
    await env.sleep(timedelta(days=45))
    t2 = await today_of(env)
    await step(
        plan,
        "record_action_evidence",
        ActionPlanState,
        action_id="A2",
        received_on=t2,
        evidence="Health attends every strategy meeting",
    )
    p = await step(plan, "complete_action", ActionPlanState, action_id="A2", completed_on=t2)
    assert p.impact_from is not None
    await env.sleep(p.impact_from - t2 + timedelta(days=1))
    t3 = await today_of(env)
    await step(
        plan,
        "record_impact_check",
        ActionPlanState,
        checked_on=t3,
        method="re_audit",
        result="improved",
        measure="Re-audit of ten files: supervision recorded in 9",
    )
    await plan.result()
    (HERE / "actionplan_reminders_impact.json").write_text((await plan.fetch_history()).to_json())

    # The concern the audit started runs on its own; end it so the server can stop.
    concern = client.get_workflow_handle(concern_workflow_id("GSCP", f"{ref}-S03"))
    await concern.terminate(reason="recording finished")


async def concern_continued_as_new(env: WorkflowEnvironment, client: Client, queue: str) -> None:
    t0 = await today_of(env)
    ref = "REPLAY-AUD-2-S01"
    wf_id = concern_workflow_id("GSCP", ref)
    h = await client.start_workflow(
        ChildOfConcernWorkflow.run,
        StartConcern(
            open=OpenConcern.model_validate(
                {
                    "actor": actor(),
                    "concern_ref": ref,
                    "audit_ref": "REPLAY-AUD-2",
                    "sample_no": 1,
                    "partnership": "GSCP",
                    "graded_on": t0,
                }
            ),
            history_limit=50,  # the minimum: the first run continues as new within weeks
        ),
        id=wf_id,
        task_queue=queue,
    )
    first_run = h.result_run_id
    await wait_state(h, ConcernState)
    latest = client.get_workflow_handle(wf_id)
    await step(
        latest, "record_group_manager_review", ConcernState, reviewed_on=t0,
        safety_action_taken=True,
    )  # fmt: skip
    week, weeks = 0, 12
    while week < weeks:
        week += 1
        await env.sleep(timedelta(days=7))
        if week == 3:
            continue  # a missed review: recorded and escalated
        today = await today_of(env)
        await step(
            latest, "record_assistant_director_review", ConcernState, reviewed_on=today,
            assured=week == weeks,
        )  # fmt: skip
    await latest.result()
    runs = []
    run_id = first_run
    while run_id:
        history = await client.get_workflow_handle(wf_id, run_id=run_id).fetch_history()
        runs.append(history)
        last = history.events[-1]
        run_id = (
            last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if last.HasField("workflow_execution_continued_as_new_event_attributes")
            else ""
        )
    assert len(runs) >= 2, "the concern never continued as new"
    (HERE / "childofconcern_run1_continued.json").write_text(runs[0].to_json())
    (HERE / "childofconcern_run2.json").write_text(runs[1].to_json())


async def actionplan_impact_not_improved(
    env: WorkflowEnvironment, client: Client, queue: str
) -> None:
    t0 = await today_of(env)
    ref = "REPLAY-AUD-3-AP"
    opening = OpenActionPlan.model_validate(
        {
            "actor": actor(),
            "plan_ref": ref,
            "partnership": "GSCP",
            "source": "audit",
            "source_ref": "REPLAY-AUD-3",
            "opened_on": t0,
            "actions": [
                action("LA", working(t0 + timedelta(days=20)), "Monthly supervision audit")
            ],
        }
    )
    plan: WorkflowHandle[Any, Any] = await client.start_workflow(
        ActionPlanWorkflow.run,
        StartActionPlan(open=opening),
        id=action_plan_workflow_id("GSCP", ref),
        task_queue=queue,
    )
    await wait_state(plan, ActionPlanState)
    await step(plan, "record_action_evidence", ActionPlanState, action_id="A1", received_on=t0,
               evidence="Supervision audit results")  # fmt: skip
    p = await step(plan, "complete_action", ActionPlanState, action_id="A1", completed_on=t0)
    assert p.impact_from is not None
    await env.sleep(p.impact_from - t0 + timedelta(days=1))  # the check's reminder fires first
    t1 = await today_of(env)
    p = await step(
        plan,
        "record_impact_check",
        ActionPlanState,
        checked_on=t1,
        method="re_audit",
        result="not_improved",
        measure="Re-audit of ten files: supervision recorded in 6",
        new_actions=[action("LA", working(t1 + timedelta(days=30)), "Managers check monthly")],
    )
    assert p.round == 2 and p.stage == "in_progress"
    await env.sleep(timedelta(days=7))
    t2 = await today_of(env)
    await step(plan, "record_action_evidence", ActionPlanState, action_id="A2", received_on=t2,
               evidence="Managers' monthly checks")  # fmt: skip
    p = await step(plan, "complete_action", ActionPlanState, action_id="A2", completed_on=t2)
    assert p.impact_from is not None
    await env.sleep(p.impact_from - t2 + timedelta(days=1))
    t3 = await today_of(env)
    await step(
        plan,
        "record_impact_check",
        ActionPlanState,
        checked_on=t3,
        method="re_audit",
        result="improved",
        measure="Re-audit of ten files: supervision recorded in 9",
    )
    await plan.result()
    history = await plan.fetch_history()
    (HERE / "actionplan_impact_not_improved.json").write_text(history.to_json())


SCENARIOS: dict[str, Scenario] = {
    "audit_and_plan": audit_and_plan,
    "concern_continued_as_new": concern_continued_as_new,
    "actionplan_impact_not_improved": actionplan_impact_not_improved,
}


async def record(names: list[str]) -> None:
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown:
        raise SystemExit(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    for name in names or SCENARIOS:
        await on_fresh_server(SCENARIOS[name])
        print(f"recorded {name}", flush=True)


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1:]))
    sys.stdout.flush()
    os._exit(0)
