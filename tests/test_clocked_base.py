"""The clocked-workflow base every lifecycle runs on (workflows/clocked.py), on the
real time-skipping server with real activities over a real SQLite store:

- a review case whose history grows past its limit continues as new, carrying
  its state over, and takes its next steps in the new run;
- a reminder whose activity fails (a bug) does not fail the workflow: it is
  tried again after a back-off and recorded once the bug is gone;
- only the clocks the guidance lets pause may pause.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.review import ReportIncident, ReviewState
from qa_engine.reviews import ReviewService
from tests.conftest import actor
from tests.wf_helpers import new_ref, start_case, step, today_of, wait_reported
from tests.working_days import working_day
from workflows.contracts import StartReview, review_workflow_id
from workflows.review import ReviewWorkflow


async def _runs(client: Client, workflow_id: str, first_run: str) -> list[int]:
    """The history length of each run, following continue-as-new from ``first_run``."""
    lengths, run_id = [], first_run
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        lengths.append(len(history.events))
        last = history.events[-1]
        run_id = (
            last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
            else ""
        )
    return lengths


async def test_a_long_review_continues_as_new_and_carries_on(
    ts_env: WorkflowEnvironment, review_worker: tuple[Client, str, ReviewService]
) -> None:
    client, queue, svc = review_worker
    t0 = await today_of(ts_env)
    ref = new_ref()
    report = ReportIncident.model_validate(
        {
            "actor": actor(),
            "case_ref": ref,
            "partnership": "GSCP",
            "incident_on": t0 - timedelta(days=2),
            "aware_on": t0,
            "child_refs": ["C-10001"],
            "abuse_or_neglect": True,
            "harm": "seriously_harmed",
        }
    )
    wf_id = review_workflow_id("GSCP", ref)
    first = await client.start_workflow(
        ReviewWorkflow.run,
        StartReview(report=report, history_limit=50),
        id=wf_id,
        task_queue=queue,
    )
    await wait_reported(first)
    latest = client.get_workflow_handle_for(ReviewWorkflow.run, wf_id)
    await step(latest, "record_panel_notification", notified_on=t0)
    await step(latest, "record_partners_informed", informed_on=t0)
    await step(latest, "record_threshold_decision", met=True, decided_on=t0, rationale="met")
    await step(
        latest, "request_agency_summaries", requested_on=t0,
        requests=[{"agency": "LA", "due_on": working_day(t0 + timedelta(days=7))}],
    )  # fmt: skip
    await step(latest, "record_agency_summary", agency="LA", received_on=t0)

    # The run passed its limit: it continued as new with the case as it stood.
    for _ in range(100):
        if len(await _runs(client, wf_id, first.result_run_id or "")) > 1:
            break
        await asyncio.sleep(0.05)
    lengths = await _runs(client, wf_id, first.result_run_id or "")
    assert len(lengths) >= 2, lengths
    carried = await latest.query(ReviewWorkflow.state)
    assert carried is not None and carried == svc.state("GSCP", ref)

    # The new run takes the next step and keeps the clocks.
    state = await step(latest, "record_rapid_review_meeting", held_on=t0, agencies_present=["LA"])
    assert state.version == carried.version + 1
    assert (await latest.describe()).status == WorkflowExecutionStatus.RUNNING
    assert [e.event for e in svc.history("GSCP", ref)][-1] == "RapidReviewMeetingHeld"
    assert svc.verify("GSCP", ref).ok


async def test_a_failed_reminder_is_tried_again_after_a_back_off(
    ts_env: WorkflowEnvironment,
    review_worker: tuple[Client, str, ReviewService],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, queue, svc = review_worker
    t0 = await today_of(ts_env)
    fails: list[str] = []
    send_reminder = svc.send_reminder

    def broken(*args: Any, **kwargs: Any) -> ReviewState:
        if len(fails) < 2:
            fails.append(args[2])
            raise TypeError("a bug in the reminder, not a rule")
        return send_reminder(*args, **kwargs)

    monkeypatch.setattr(svc, "send_reminder", broken)
    ref, h = await start_case(client, queue, t0)
    # Past the reminders (two working days before day 5), before the breach.
    await ts_env.sleep(timedelta(days=3, hours=12))
    assert len(fails) >= 1, "the reminder never fired"
    assert (await h.describe()).status == WorkflowExecutionStatus.RUNNING
    await ts_env.sleep(timedelta(hours=2))
    events = [e.event for e in svc.history("GSCP", ref)]
    assert len(fails) == 2
    assert "DeadlineReminderSent" in events, events
    state = await h.query(ReviewWorkflow.state)
    assert state is not None and any(d.reminded for d in state.deadlines.values())
    # The case is not wedged: it takes its next step.
    await step(h, "record_panel_notification", notified_on=await today_of(ts_env))


async def test_only_the_clocks_the_guidance_lets_pause_may_pause(
    ts_env: WorkflowEnvironment, review_worker: tuple[Client, str, ReviewService]
) -> None:
    client, queue, svc = review_worker
    t0 = await today_of(ts_env)
    ref, h = await start_case(client, queue, t0)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await step(
            h, "pause_clock", clock="panel_notification", paused_on=t0, reason="inquest",
            detail="inquest opened",
        )  # fmt: skip
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.details[0] == {"field": "clock", "rule": "clock_not_pausable"}
    assert [e.event for e in svc.history("GSCP", ref)] == ["IncidentReported"]
