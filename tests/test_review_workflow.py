"""The review workflow on the real time-skipping server, with real activities
over a real SQLite event store."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.review_model import COMMANDS, ReportIncident, ReviewState, Stage
from qa_engine.reviews import ReviewService
from tests.conftest import actor, london_today
from workflows.contracts import StartReview, review_workflow_id
from workflows.review import ReviewWorkflow


def new_ref() -> str:
    return f"T-{uuid.uuid4().hex[:8].upper()}"


async def start_case(
    client: Client, queue: str, today: date, ref: str | None = None, **overrides: Any
) -> tuple[str, WorkflowHandle[ReviewWorkflow, ReviewState]]:
    ref = ref or new_ref()
    report = ReportIncident.model_validate(
        {
            "actor": actor(),
            "case_ref": ref,
            "partnership": "GSCP",
            "incident_on": today - timedelta(days=2),
            "aware_on": today,
            "child_refs": ["C-10001"],
            "abuse_or_neglect": True,
            "harm": "seriously_harmed",
            **overrides,
        }
    )
    handle = await client.start_workflow(
        ReviewWorkflow.run,
        StartReview(report=report),
        id=review_workflow_id(ref),
        task_queue=queue,
    )
    await wait_reported(handle)
    return ref, handle


async def wait_reported(handle: WorkflowHandle[ReviewWorkflow, ReviewState]) -> ReviewState:
    import asyncio

    for _ in range(200):
        state = await handle.query(ReviewWorkflow.state)
        if state is not None:
            return state
        await asyncio.sleep(0.05)
    raise AssertionError("case never recorded")


async def step(handle: WorkflowHandle[Any, Any], name: str, **fields: Any) -> ReviewState:
    command = COMMANDS[name].model_validate({"actor": actor(), **fields})
    result: ReviewState = await handle.execute_update(name, command, result_type=ReviewState)
    return result


async def today_of(env: WorkflowEnvironment) -> date:
    return london_today(await env.get_current_time())


async def test_full_path_to_publication(
    ts_env: WorkflowEnvironment, review_worker: tuple[Client, str, ReviewService]
) -> None:
    client, queue, svc = review_worker
    t0 = await today_of(ts_env)
    ref, h = await start_case(client, queue, t0)
    s = await step(h, "record_panel_notification", notified_on=t0)
    assert s.deadlines["panel_notification"].status == "met"
    await step(h, "record_partners_informed", informed_on=t0)
    s = await step(
        h,
        "record_threshold_decision",
        met=True,
        decided_on=t0,
        rationale="abuse suspected and serious harm",
    )
    assert s.stage is Stage.RAPID_REVIEW
    assert s.deadlines["rapid_review"].rule == "15 working days"
    await step(
        h,
        "request_agency_summaries",
        requested_on=t0,
        requests=[
            {"agency": "POLICE", "due_on": t0 + timedelta(days=5)},
            {"agency": "ICB", "due_on": t0 + timedelta(days=6)},
        ],
    )
    await step(h, "record_agency_summary", agency="POLICE", received_on=t0)
    await step(h, "record_agency_summary", agency="ICB", received_on=t0)
    await step(
        h, "record_rapid_review_meeting", held_on=t0, agencies_present=["LA", "POLICE", "ICB"]
    )
    await step(
        h,
        "record_rapid_review_decision",
        decision="lcspr",
        decided_on=t0,
        rationale="learning about multi-agency working",
    )
    s = await step(h, "submit_rapid_review_report", submitted_on=t0)
    assert s.stage is Stage.AWAITING_PANEL_RESPONSE
    s = await step(h, "record_panel_response", response="agrees", received_on=t0)
    assert s.stage is Stage.LCSPR
    assert s.deadlines["lcspr_final_report"].rule == "6 calendar months"
    await step(h, "appoint_reviewer", reviewer="Independent Reviewer Ltd", appointed_on=t0)
    await step(
        h, "agree_terms_of_reference", agreed_on=t0, lines_of_enquiry=["information sharing"]
    )
    await step(h, "record_bodies_informed", informed_on=t0, bodies=["panel", "ofsted", "dfe"])
    await step(h, "record_progress_checkpoint", held_on=t0, status="on_track")
    s = await step(h, "record_final_report", completed_on=t0)
    assert s.stage is Stage.PUBLICATION
    planned = t0 + timedelta(days=30)
    s = await step(h, "plan_publication", planned_on=planned)
    assert s.deadlines["publication_notice"].rule == "7 working days before"
    s = await step(h, "record_report_sent", sent_on=t0, recipients=["panel", "secretary_of_state"])
    assert s.deadlines["publication_notice"].status == "met"
    assert not s.deadlines["publication_notice"].late
    await ts_env.sleep(timedelta(days=31))
    published_on = await today_of(ts_env)
    await step(h, "record_publication", published_on=published_on)
    s = await step(
        h,
        "record_recommendations",
        recorded_on=published_on,
        recommendations=[
            {"text": "Review the strategy discussion threshold", "owner_agency": "LA"},
        ],
    )
    assert s.stage is Stage.CLOSED
    final = await h.result()
    assert final.stage is Stage.CLOSED and final.outcome == "published"
    assert not final.breached
    history = svc.history(ref)
    assert [e.event for e in history][:3] == [
        "IncidentReported",
        "PanelNotified",
        "PartnersInformed",
    ]
    assert svc.verify(ref).ok
