"""Re-record the committed review workflow histories that tests/test_replay.py replays.

    .venv/bin/python -m tests.histories.record                  # every scenario
    .venv/bin/python -m tests.histories.record threshold_not_met  # only these

Writes, beside this file, one ``<scenario>.json`` per scenario:

- ``review_full_path``: both notification clocks reminded and breached, then every
  step to publication, with the LCSPR clock paused and resumed;
- ``review_threshold_not_met``: the threshold is not met: a case-based review, closed;
- ``review_lac_death``: the death of a looked-after child: Secretary of State and
  Ofsted notified (reminded first), closed;
- ``review_run1_continued``: the first run of a case on the clocked-workflow base
  (continue-as-new patch marker) that continued as new past its history limit;
- ``review_challenged_decision``: the Panel challenges a no-further-review decision;
  the decision is revised and resubmitted, and the Panel agrees.
- ``review_sin_first_withdrawn`` (issue 8, patch ``review-rules-issue-8``): the SIN
  discussion first (meets, who decided), then the notification; the rapid review's
  delay is recorded with the Panel told; a recorded withdrawal closes the case.

- ``review_challenge_maintained`` (issue 8): the partners decide on an LCSPR; the
  LCSPR starts before the Panel's answer (reviewer appointed); the Panel challenges,
  the partners maintain their decision (its date stands), the Panel agrees.

``review_threshold_not_met`` and ``review_challenged_decision`` were recorded before
issue 8 (the first records "not met" after the notification; the second a challenge
that reopened the decision) (notification first, then
"not met"): today's rules refuse that order, so it cannot be re-recorded; the
committed file proves such runs still replay.

Run it only when the workflow changes on purpose (and add a patch/version gate if
running workflows must survive the change); the replay test exists to catch the
changes you did not mean. Re-record only the scenario you mean to: a committed
history recorded by an earlier release is what proves running workflows survive.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain.review import ReportIncident
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from tests.conftest import actor
from tests.wf_helpers import start_case, step, today_of
from tests.working_days import working_day
from workers.main import build_worker
from workflows.contracts import SEARCH_ATTRIBUTES, StartReview, review_workflow_id
from workflows.review import ReviewWorkflow

HERE = Path(__file__).parent

Scenario = Callable[[WorkflowEnvironment, Client, str], Awaitable[None]]


async def review_full_path(env: WorkflowEnvironment, client: Client, queue: str) -> None:
    t0 = await today_of(env)
    _, h = await start_case(client, queue, t0, ref="REPLAY-001")
    await env.sleep(timedelta(days=8))  # reminder + breach of both notification clocks
    t1 = await today_of(env)
    await step(h, "record_panel_notification", notified_on=t1)
    await step(h, "record_partners_informed", informed_on=t1)
    await step(h, "record_threshold_decision", met=True, decided_on=t1, rationale="met")
    await step(
        h,
        "request_agency_summaries",
        requested_on=t1,
        requests=[{"agency": "POLICE", "due_on": working_day(t1 + timedelta(days=2))}],
    )
    await step(h, "record_agency_summary", agency="POLICE", received_on=t1)
    await step(h, "record_rapid_review_meeting", held_on=t1, agencies_present=["LA"])
    await step(
        h,
        "record_rapid_review_decision",
        decision="lcspr",
        decided_on=t1,
        rationale="learning",
    )
    await step(h, "submit_rapid_review_report", submitted_on=t1)
    await step(h, "record_panel_response", response="agrees", received_on=t1)
    await step(h, "pause_clock", paused_on=t1, reason="inquest", detail="inquest opened")
    await env.sleep(timedelta(days=10))
    t2 = await today_of(env)
    await step(h, "resume_clock", resumed_on=t2)
    await step(h, "appoint_reviewer", reviewer="Reviewer", appointed_on=t2)
    await step(h, "agree_terms_of_reference", agreed_on=t2, lines_of_enquiry=["x-agency"])
    await step(h, "record_final_report", completed_on=t2)
    await step(h, "plan_publication", planned_on=t2 + timedelta(days=20))
    await step(h, "record_report_sent", sent_on=t2, recipients=["panel", "secretary_of_state"])
    await env.sleep(timedelta(days=21))
    t3 = await today_of(env)
    await step(h, "record_publication", published_on=t3)
    await step(
        h,
        "record_recommendations",
        recorded_on=t3,
        recommendations=[{"owner_agency": "LA", "text": "Audit strategy meetings"}],
    )
    await h.result()
    (HERE / "review_full_path.json").write_text((await h.fetch_history()).to_json())


async def review_threshold_not_met(env: WorkflowEnvironment, client: Client, queue: str) -> None:
    t0 = await today_of(env)
    _, h = await start_case(client, queue, t0, ref="REPLAY-TNM-1")
    await env.sleep(timedelta(days=1))
    t1 = await today_of(env)
    await step(h, "record_panel_notification", notified_on=t1)
    await step(
        h,
        "record_threshold_decision",
        met=False,
        decided_on=t1,
        rationale="harm not attributable to abuse or neglect",
        outcome_if_not_met="case_based_review",
    )
    await h.result()
    (HERE / "review_threshold_not_met.json").write_text((await h.fetch_history()).to_json())


async def review_lac_death(env: WorkflowEnvironment, client: Client, queue: str) -> None:
    t0 = await today_of(env)
    _, h = await start_case(
        client,
        queue,
        t0,
        ref="REPLAY-LAC-1",
        abuse_or_neglect=False,
        looked_after=True,
        harm="died",
    )
    await env.sleep(timedelta(days=3))  # the reminder before the 5-working-day notification
    t1 = await today_of(env)
    await step(h, "record_sos_ofsted_notification", notified_on=t1)
    await h.result()
    (HERE / "review_lac_death.json").write_text((await h.fetch_history()).to_json())


async def review_challenged_decision(env: WorkflowEnvironment, client: Client, queue: str) -> None:
    t0 = await today_of(env)
    _, h = await start_case(client, queue, t0, ref="REPLAY-CHAL-1")
    await step(h, "record_panel_notification", notified_on=t0)
    await step(h, "record_partners_informed", informed_on=t0)
    await step(h, "record_threshold_decision", met=True, decided_on=t0, rationale="criteria met")
    await step(
        h,
        "request_agency_summaries",
        requested_on=t0,
        requests=[{"agency": "POLICE", "due_on": working_day(t0 + timedelta(days=3))}],
    )
    await step(h, "record_agency_summary", agency="POLICE", received_on=t0)
    await step(h, "record_rapid_review_meeting", held_on=t0, agencies_present=["LA", "POLICE"])
    await step(
        h,
        "record_rapid_review_decision",
        decision="no_further_review",
        decided_on=t0,
        rationale="single-agency learning only",
    )
    await step(h, "submit_rapid_review_report", submitted_on=t0)
    await env.sleep(timedelta(days=5))
    t1 = await today_of(env)
    await step(
        h,
        "record_panel_response",
        response="challenges",
        received_on=t1,
        notes="Panel asks whether the learning is multi-agency",
    )
    await step(
        h,
        "record_rapid_review_decision",
        decision="no_further_review",
        decided_on=t1,
        rationale="revised after the Panel's challenge: learning captured by the rapid review",
    )
    await step(h, "submit_rapid_review_report", submitted_on=t1)
    await step(h, "record_panel_response", response="agrees", received_on=t1)
    await h.result()
    (HERE / "review_challenged_decision.json").write_text((await h.fetch_history()).to_json())


async def on_fresh_server(scenario: Scenario) -> None:
    """One time-skipping server per scenario: time stalls while any earlier workflow
    has a task no worker will take."""
    from tests.conftest import _bin

    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_bin("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={
                k.name: IndexedValueType.ValueType(k.indexed_value_type) for k in SEARCH_ATTRIBUTES
            },
        )
    )
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(4) as pool:
        services = bootstrap(Settings(data_dir=Path(tmp)))
        queue = f"record-{uuid.uuid4().hex[:6]}"
        async with build_worker(env.client, task_queue=queue, services=services, executor=pool):
            await scenario(env, env.client, queue)
        services.close()
    await env.shutdown()


async def review_run1_continued(env: WorkflowEnvironment, client: Client, queue: str) -> None:
    """A case on the clocked-workflow base (continue-as-new patch marker), opened by
    update-with-start, whose first run passes its history limit and continues as new;
    the first run is written."""
    t0 = await today_of(env)
    report = ReportIncident.model_validate(
        {
            "actor": actor(),
            "case_ref": "REPLAY-005",
            "partnership": "GSCP",
            "incident_on": t0 - timedelta(days=2),
            "aware_on": t0,
            "child_refs": ["C-10005"],
            "abuse_or_neglect": True,
            "harm": "seriously_harmed",
        }
    )
    wf_id = review_workflow_id("GSCP", "REPLAY-005")
    start = StartReview(report=report, history_limit=50, by_update=True)
    await client.execute_update_with_start_workflow(
        ReviewWorkflow.open,
        start,
        start_workflow_operation=WithStartWorkflowOperation(
            ReviewWorkflow.run,
            start,
            id=wf_id,
            task_queue=queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        ),
    )
    first_run = (await client.get_workflow_handle(wf_id).describe()).run_id
    h = client.get_workflow_handle_for(ReviewWorkflow.run, wf_id)
    await step(h, "record_panel_notification", notified_on=t0)
    await step(h, "record_partners_informed", informed_on=t0)
    await step(h, "record_threshold_decision", met=True, decided_on=t0, rationale="met")
    await step(
        h, "request_agency_summaries", requested_on=t0,
        requests=[{"agency": "LA", "due_on": working_day(t0 + timedelta(days=7))}],
    )  # fmt: skip
    await step(h, "record_agency_summary", agency="LA", received_on=t0)
    history = await client.get_workflow_handle(wf_id, run_id=first_run).fetch_history()
    assert history.events[-1].HasField("workflow_execution_continued_as_new_event_attributes")
    (HERE / "review_run1_continued.json").write_text(history.to_json())


async def review_sin_first_withdrawn(env: WorkflowEnvironment, client: Client, queue: str) -> None:
    t0 = await today_of(env)
    _, h = await start_case(client, queue, t0, ref="REPLAY-SIN-1")
    await env.sleep(timedelta(days=1))
    t1 = await today_of(env)
    await step(
        h,
        "record_threshold_decision",
        met=True,
        decided_on=t1,
        rationale="serious harm, neglect suspected",
        decided_by=["LA lead", "ICB lead", "Police lead"],
    )
    await step(h, "record_panel_notification", notified_on=t1)
    await step(
        h,
        "record_delay",
        clock="rapid_review",
        reported_on=t1,
        reason="police disclosure awaited",
        panel_told=True,
    )
    await step(
        h,
        "record_withdrawal",
        withdrawn_on=t1,
        reasons="no abuse or neglect after all",
        decided_by=["LA lead", "ICB lead", "Police lead"],
    )
    await h.result()
    (HERE / "review_sin_first_withdrawn.json").write_text((await h.fetch_history()).to_json())


async def review_challenge_maintained(env: WorkflowEnvironment, client: Client, queue: str) -> None:
    t0 = await today_of(env)
    _, h = await start_case(client, queue, t0, ref="REPLAY-CHAL-2")
    await step(h, "record_threshold_decision", met=True, decided_on=t0, rationale="criteria met")
    await step(h, "record_panel_notification", notified_on=t0)
    await step(h, "record_partners_informed", informed_on=t0)
    await step(
        h,
        "request_agency_summaries",
        requested_on=t0,
        requests=[{"agency": "POLICE", "due_on": working_day(t0 + timedelta(days=3))}],
    )
    await step(h, "record_agency_summary", agency="POLICE", received_on=t0)
    await step(h, "record_rapid_review_meeting", held_on=t0, agencies_present=["LA", "POLICE"])
    await step(
        h, "record_rapid_review_decision", decision="lcspr", decided_on=t0, rationale="learning"
    )
    await step(h, "submit_rapid_review_report", submitted_on=t0)
    await step(h, "appoint_reviewer", reviewer="Independent reviewer", appointed_on=t0)
    await env.sleep(timedelta(days=5))
    t1 = await today_of(env)
    await step(
        h,
        "record_panel_response",
        response="challenges",
        received_on=t1,
        notes="Panel asks whether a national review fits better",
    )
    await step(
        h, "record_challenge_reply", replied_on=t1, reply="maintain", rationale="local learning"
    )
    await step(h, "record_panel_response", response="agrees", received_on=t1)
    (HERE / "review_challenge_maintained.json").write_text((await h.fetch_history()).to_json())


SCENARIOS: dict[str, Scenario] = {
    "review_run1_continued": review_run1_continued,
    "review_full_path": review_full_path,
    "review_threshold_not_met": review_threshold_not_met,
    "review_lac_death": review_lac_death,
    "review_challenged_decision": review_challenged_decision,
    "review_sin_first_withdrawn": review_sin_first_withdrawn,
    "review_challenge_maintained": review_challenge_maintained,
}


async def record(names: list[str]) -> None:
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown:
        raise SystemExit(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    for name in names or SCENARIOS:
        await on_fresh_server(SCENARIOS[name])
        print(f"recorded {name}.json", flush=True)


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1:]))
    sys.stdout.flush()
    os._exit(0)
