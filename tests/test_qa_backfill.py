"""Issue 8 for lifecycle 2: every date in order, and records entered after the event.

Audits, action plans and children of concern accept an opening date in the past;
their clocks are then judged against the facts entered with it (as the review's are):
nothing reminds or escalates for a due day the facts show was met, no reminder goes
out after its due day, and an escalation that did happen is recorded once, dated
when it happened. Steps dated before the facts they depend on are refused naming the
field and the rule ``chronology``, and nothing is recorded."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.action_plan import ACTION_PLAN_COMMANDS, ActionPlanState, OpenActionPlan
from domain.audit import AUDIT_COMMANDS
from domain.calendar import end_of_day
from domain.errors import RuleViolation
from domain.qa.clock import make_clock, settle_backdated
from qa_engine.audits import QualityService
from qa_engine.bootstrap import Services
from qa_engine.calendar import england_and_wales
from tests.conftest import actor
from tests.qa_support import SAMPLE, new_ref, plan_audit, today_of, wait_state
from tests.qa_support import step as wf_step
from tests.working_days import working_day
from workflows.action_plan import ActionPlanWorkflow
from workflows.qa_contracts import StartActionPlan, action_plan_workflow_id

CAL = england_and_wales()
DAY = date(2025, 6, 2)


def _cmd(catalogue: dict[str, Any], name: str, **fields: Any) -> Any:
    return catalogue[name].model_validate({"actor": actor(), **fields})


def _audit_step(qa: QualityService, ref: str, name: str, **fields: Any) -> Any:
    return qa.record_audit_step(
        "GSCP",
        ref,
        name,
        _cmd(AUDIT_COMMANDS, name, **fields),
        key=uuid.uuid4().hex,
        today=DAY,
    )


def _refused(qa: QualityService, ref: str, name: str, field: str, **fields: Any) -> None:
    before = qa.state("GSCP", "audit", ref).version
    with pytest.raises(RuleViolation) as e:
        _audit_step(qa, ref, name, **fields)
    assert (e.value.field, e.value.rule) == (field, "chronology"), e.value
    assert qa.state("GSCP", "audit", ref).version == before  # nothing recorded


def test_an_audit_entered_after_the_event_keeps_every_date_in_order(
    quality: QualityService,
) -> None:
    ref = new_ref()
    planned = date(2025, 1, 6)
    quality.plan_audit(plan_audit(ref, DAY, opened_on=planned), key=uuid.uuid4().hex, today=DAY)
    assert quality.state("GSCP", "audit", ref).opened_on == planned
    sampled = date(2025, 1, 13)
    _audit_step(quality, ref, "draw_audit_sample", drawn_on=sampled, case_refs=SAMPLE)
    requests = [{"agency": a, "due_on": "2025-02-07"} for a in ("LA", "ICB")]
    _refused(
        quality,
        ref,
        "request_audit_returns",
        "requested_on",
        requested_on="2025-01-10",
        requests=requests,
    )
    _audit_step(quality, ref, "request_audit_returns", requested_on="2025-01-14", requests=requests)
    _audit_step(quality, ref, "record_audit_return", agency="LA", received_on="2025-01-30")
    _audit_step(quality, ref, "record_audit_return", agency="ICB", received_on="2025-02-05")
    _refused(
        quality, ref, "record_audit_moderation", "held_on", held_on="2025-02-03", moderators=["QA"]
    )
    _audit_step(quality, ref, "record_audit_moderation", held_on="2025-02-10", moderators=["QA"])
    findings = [{"case_ref": r, "overall": "good"} for r in SAMPLE]
    _refused(
        quality, ref, "record_audit_findings", "recorded_on", recorded_on="2025-02-07",
        findings=findings,
    )  # fmt: skip
    _audit_step(quality, ref, "record_audit_findings", recorded_on="2025-02-12", findings=findings)
    _refused(
        quality, ref, "record_audit_report", "reported_on", reported_on="2025-02-11",
        recipients=["QA subgroup"],
    )  # fmt: skip
    state = _audit_step(
        quality, ref, "record_audit_report", reported_on="2025-02-20", recipients=["QA subgroup"]
    )
    assert state.sampled_on == sampled and state.last_return_on == date(2025, 2, 5)


def test_an_audit_cannot_be_planned_in_the_future(quality: QualityService) -> None:
    ref = new_ref()
    with pytest.raises(RuleViolation) as e:
        quality.plan_audit(
            plan_audit(ref, DAY, opened_on=DAY + timedelta(days=1)),
            key=uuid.uuid4().hex,
            today=DAY,
        )
    assert (e.value.field, e.value.rule) == ("opened_on", "no_future_dates")


def _plan(ref: str, opened_on: date, due_on: date) -> OpenActionPlan:
    return OpenActionPlan.model_validate(
        {
            "actor": actor(),
            "plan_ref": ref,
            "partnership": "GSCP",
            "source": "audit",
            "source_ref": "AUD-MANUAL-1",
            "opened_on": opened_on,
            "actions": [
                {
                    "owner_agency": "POLICE",
                    "text": "Train custody sergeants on referral thresholds",
                    "due_on": due_on,
                    "success_measure": "All custody sergeants trained",
                }
            ],
        }
    )


def test_an_action_is_not_completed_before_its_evidence(quality: QualityService) -> None:
    ref = new_ref("AP")
    quality.open_action_plan(
        _plan(ref, date(2025, 3, 3), date(2025, 5, 30)), key=uuid.uuid4().hex, today=DAY
    )

    def plan_step(name: str, **fields: Any) -> ActionPlanState:
        state: ActionPlanState = quality.record_plan_step(
            "GSCP",
            ref,
            name,
            _cmd(ACTION_PLAN_COMMANDS, name, **fields),
            key=uuid.uuid4().hex,
            today=DAY,
        )
        return state

    plan_step("record_action_evidence", action_id="A1", received_on="2025-05-20", evidence="reg")
    before = quality.state("GSCP", "actionplan", ref).version
    with pytest.raises(RuleViolation) as e:
        plan_step("complete_action", action_id="A1", completed_on="2025-05-19")
    assert (e.value.field, e.value.rule) == ("completed_on", "chronology")
    assert quality.state("GSCP", "actionplan", ref).version == before
    done = plan_step("complete_action", action_id="A1", completed_on="2025-05-21")
    assert done.clocks["action:A1"].status == "met" and not done.clocks["action:A1"].late


def test_a_clock_opened_after_its_day_is_judged_from_the_end_of_the_recording_day() -> None:
    def clock(start: date, due_on: date) -> Any:
        return make_clock(
            key="action:A1",
            label="Action A1",
            rule="agreed due day",
            owner="POLICE",
            start=start,
            due_on=due_on,
            calendar=CAL,
            remind_working_days=(10, 2),
            ladder=[(0, ["QA subgroup chair"]), (10, ["partnership executive"])],
        )

    old, late_reminder, live = (
        clock(date(2025, 3, 3), date(2025, 4, 30)),  # due long ago
        clock(date(2025, 5, 1), date(2025, 6, 4)),  # its first reminder passed
        clock(DAY, date(2025, 7, 30)),  # entered on time
    )
    settle_backdated([old, late_reminder, live], DAY)
    settle = end_of_day(DAY)
    assert (old.judge_from, late_reminder.judge_from, live.judge_from) == (settle, settle, None)
    # no reminder after the due day; the escalations at the end of the recording day
    assert old.remind_at(0) is None and old.escalate_at(0) == settle
    # a passed reminder still before the due day goes out at the end of the day
    assert late_reminder.remind_at(0) == settle < late_reminder.due_at
    assert live.remind_at(0) == live.reminders[0]


async def test_an_action_plan_entered_after_the_event_reads_true(
    ts_env: WorkflowEnvironment, qa_worker: tuple[Client, str, Services]
) -> None:
    client, queue, services = qa_worker
    t0 = await today_of(ts_env)
    opened = t0 - timedelta(days=120)
    ref = new_ref("AP")
    plan = _plan(ref, opened, working_day(opened + timedelta(days=30)))
    plan.actions.append(plan.actions[0].model_copy(update={"owner_agency": "LA"}))
    h = await client.start_workflow(
        ActionPlanWorkflow.run,
        StartActionPlan(open=plan),
        id=action_plan_workflow_id("GSCP", ref),
        task_queue=queue,
    )
    p: ActionPlanState = await wait_state(h, ActionPlanState)
    assert all(c.judge_from == end_of_day(t0) for c in p.clocks.values())
    # entered in one sitting: action A1 was evidenced and completed on time
    a1_done = plan.actions[0].due_on - timedelta(days=2)
    await wf_step(
        h,
        "record_action_evidence",
        ActionPlanState,
        action_id="A1",
        received_on=a1_done,
        evidence="Training register: 14 of 14 trained",
    )
    await wf_step(h, "complete_action", ActionPlanState, action_id="A1", completed_on=a1_done)
    await ts_env.sleep(timedelta(days=3))
    p = await wait_state(h, ActionPlanState)
    history = services.quality.history("GSCP", "actionplan", ref)
    timers = [
        (e.event, e.data["clock"]) for e in history if e.event in ("ReminderSent", "Escalated")
    ]
    # nothing for A1 (met on time); A2 (never done) escalated to the chair and then the
    # executive, no reminders after its due day, each escalation dated when it happened
    assert timers == [("Escalated", "action:A2"), ("Escalated", "action:A2")]
    escalations = [e.data["at"] for e in history if e.event == "Escalated"]
    ladder = [x.at for x in p.clocks["action:A2"].escalations]
    assert escalations == ladder
    assert p.clocks["action:A1"].status == "met" and not p.clocks["action:A1"].late
    assert p.clocks["action:A2"].escalations_sent == 2
