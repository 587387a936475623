"""A review's full lifecycle on the time-skipping Temporal server, beside a bare workflow
that only sleeps through a 180-day timer on the same kind of server.

    .venv/bin/python benchmarks/lifecycle.py [--repeat 3]

Measured in one run on real time-skipping test servers (temporal-test-server, from PyPI),
medians of ``--repeat``, each workflow on a fresh server with its own workers:

- qa-engine: a case reported, then every step to publication as Temporal updates (the
  workflow's validators, activities, event-store saves over SQLite, timers re-planned,
  search attributes), 181 days skipped to the planned publication day, the publication
  and its recommendations, until the workflow completes (the server skips every timer
  left, about ten years of them);
- bare: a workflow whose only command is a 180-day ``workflow.sleep``, until it completes
  (in the sandbox, as the project's workflows run).

Each is timed twice: the workflow alone on a warmed server (one bare timer run first),
and from starting the server to the workflow's end (server, search attributes, workers:
what a test sees). Payloads go through the project's encrypting codec on both.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timer_workflow import BenchTimer
from domain.calendar import LONDON, WorkingDayCalendar
from domain.qa.clock import next_working_day
from domain.review import COMMANDS, ReportIncident, ReviewState, Stage
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.entry.codec import data_converter
from workers.main import build_worker
from workflows.contracts import SEARCH_ATTRIBUTES, StartReview, review_workflow_id
from workflows.review import ReviewWorkflow

ACTOR = {"name": "Bench Mark", "role": "partnership business manager"}
KEY = base64.b64encode(b"qa-engine bench codec key 32byte").decode()
BIN = Path(sys.executable).parent


async def _step(handle: WorkflowHandle[Any, Any], name: str, **fields: Any) -> ReviewState:
    command = COMMANDS[name].model_validate({"actor": ACTOR, **fields})
    result: ReviewState = await handle.execute_update(name, command, result_type=ReviewState)
    return result


async def _today(env: WorkflowEnvironment) -> date:
    return (await env.get_current_time()).astimezone(LONDON).date()


async def lifecycle(env: WorkflowEnvironment, queue: str, cal: WorkingDayCalendar) -> int:
    """One case from report to closed; returns the number of updates sent."""
    t0 = await _today(env)
    ref = f"L-{uuid.uuid4().hex[:8].upper()}"
    report = ReportIncident.model_validate(
        {
            "actor": ACTOR,
            "case_ref": ref,
            "partnership": "GSCP",
            "incident_on": t0 - timedelta(days=2),
            "aware_on": t0,
            "child_refs": ["C-10001"],
            "abuse_or_neglect": True,
            "harm": "seriously_harmed",
        }
    )
    h: WorkflowHandle[Any, Any] = await env.client.start_workflow(
        ReviewWorkflow.run,
        StartReview(report=report),
        id=review_workflow_id(report.partnership, ref),
        task_queue=queue,
    )
    for _ in range(2000):
        if await h.query(ReviewWorkflow.state) is not None:
            break
        await asyncio.sleep(0.01)
    steps: list[tuple[str, dict[str, Any]]] = [
        ("record_panel_notification", {"notified_on": t0}),
        ("record_partners_informed", {"informed_on": t0}),
        (
            "record_threshold_decision",
            {"met": True, "decided_on": t0, "rationale": "abuse suspected and serious harm"},
        ),
        (
            "request_agency_summaries",
            {
                "requested_on": t0,
                "requests": [
                    {"agency": "POLICE", "due_on": next_working_day(cal, t0 + timedelta(5))},
                    {"agency": "ICB", "due_on": next_working_day(cal, t0 + timedelta(6))},
                ],
            },
        ),
        ("record_agency_summary", {"agency": "POLICE", "received_on": t0}),
        ("record_agency_summary", {"agency": "ICB", "received_on": t0}),
        (
            "record_rapid_review_meeting",
            {"held_on": t0, "agencies_present": ["LA", "POLICE", "ICB"]},
        ),
        (
            "record_rapid_review_decision",
            {"decision": "lcspr", "decided_on": t0, "rationale": "learning about working"},
        ),
        ("submit_rapid_review_report", {"submitted_on": t0}),
        ("record_panel_response", {"response": "agrees", "received_on": t0}),
        ("appoint_reviewer", {"reviewer": "Independent Reviewer Ltd", "appointed_on": t0}),
        ("agree_terms_of_reference", {"agreed_on": t0, "lines_of_enquiry": ["sharing"]}),
        ("record_bodies_informed", {"informed_on": t0, "bodies": ["panel", "ofsted", "dfe"]}),
        ("record_progress_checkpoint", {"held_on": t0, "status": "on_track"}),
        ("record_final_report", {"completed_on": t0}),
        ("plan_publication", {"planned_on": t0 + timedelta(days=180)}),
        ("record_report_sent", {"sent_on": t0, "recipients": ["panel", "secretary_of_state"]}),
    ]
    for name, fields in steps:
        await _step(h, name, **fields)
    await env.sleep(timedelta(days=181))
    published = await _today(env)
    await _step(h, "record_publication", published_on=published)
    s = await _step(
        h,
        "record_recommendations",
        recorded_on=published,
        recommendations=[{"text": "Review the strategy threshold", "owner_agency": "LA"}],
    )
    final = await h.result()
    if s.stage is not Stage.CLOSED or final.stage is not Stage.CLOSED:
        raise RuntimeError(f"the lifecycle did not close: {final.stage}")
    return len(steps) + 2


async def bare(client: Client) -> None:
    await client.execute_workflow(
        BenchTimer.run, 180, id=f"timer-{uuid.uuid4().hex[:8]}", task_queue="bench-timer"
    )


async def one_run(lifecycle_too: bool) -> tuple[float, float]:
    """On a fresh server (one lifecycle moves its clock about ten years on, and the
    working-day calendar ends in 2037): seconds from starting the server to the end of
    the workflow(s), and of the workflow alone (warmed by one bare timer first)."""
    t_start = time.perf_counter()
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=data_converter(KEY),
    )
    try:
        await env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=env.client.namespace,
                search_attributes={
                    k.name: IndexedValueType.ValueType(k.indexed_value_type)
                    for k in SEARCH_ATTRIBUTES
                },
            )
        )
        with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(8) as pool:
            services = bootstrap(Settings(data_dir=Path(tmp), store="sqlite"))
            cal = services.reviews.calendar
            worker = build_worker(
                env.client, task_queue="bench-l", services=services, executor=pool
            )
            timer = Worker(env.client, task_queue="bench-timer", workflows=[BenchTimer])
            async with worker, timer:
                await bare(env.client)  # the server and the workers warmed
                t = time.perf_counter()
                if lifecycle_too:
                    await lifecycle(env, "bench-l", cal)
                else:
                    await bare(env.client)
                alone = time.perf_counter() - t
            services.close()
    finally:
        await env.shutdown()
    return time.perf_counter() - t_start, alone


async def measure(repeat: int) -> dict[str, float]:
    """Medians: the lifecycle and the bare timer workflow, each alone on a warmed server
    and each with its server's and workers' start-up (as a test run sees it)."""
    ours = [await one_run(True) for _ in range(repeat)]
    raw = [await one_run(False) for _ in range(repeat)]
    return {
        "lifecycle": statistics.median(r[1] for r in ours),
        "timer": statistics.median(r[1] for r in raw),
        "lifecycle_with_start": statistics.median(r[0] for r in ours),
        "timer_with_start": statistics.median(r[0] for r in raw),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    med = asyncio.run(measure(a.repeat))
    for label, ours, raw in (
        ("workflows alone", "lifecycle", "timer"),
        ("with server and worker start", "lifecycle_with_start", "timer_with_start"),
    ):
        print(
            f"{label}: full lifecycle {med[ours]:.2f} s, bare 180-day timer {med[raw]:.2f} s "
            f"-> {med[ours] / med[raw]:.1f}x"
        )
    return 0


if __name__ == "__main__":
    # os._exit: temporalio can crash at interpreter exit (sdk-python#300), which would
    # turn a finished run into exit 134 (as the CLI and the test runner do)
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(code or 0))
