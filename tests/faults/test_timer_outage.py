"""A statutory clock that falls due while the Temporal dev server is down fires once
after it restarts, and its breach is recorded once (issue 11).

The dev server runs as its own process on a SQLite file (``temporal server start-dev
--db-filename``, as in the kill run) and is SIGKILLed once the case's clocks wait on
their timers; the worker keeps running in this process. The case's deadlines are
made to fall due seconds after the report (the day they end is replaced for this one
report: no statutory deadline is seconds away), so they fall due during the outage.
The server restarts on the same file; each breach is then recorded exactly once, and
nothing more is recorded while the test waits on.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

import domain.review.state as review_state
from domain.review import ReviewState
from domain.review.commands import ReportIncident
from qa_engine.bootstrap import Services, bootstrap
from qa_engine.config import Settings
from qa_engine.entry.review_client import ReviewClient
from qa_engine.entry.temporal import connect
from tests.faults.kill_run import Fleet
from workers.main import build_worker
from workflows.contracts import RECORD_DEADLINE_BREACH

pytestmark = pytest.mark.integration

CLERK = {"name": "Casey Clerk", "role": "partnership business manager"}


def breaches(services: Services, ref: str) -> Counter[str]:
    """How many times each deadline's breach is recorded."""
    return Counter(
        str(e.data["deadline"])
        for e in services.reviews.history("GSCP", ref)
        if e.event == "DeadlineBreached"
    )


async def test_a_breach_due_during_a_server_outage_fires_once_after_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet = Fleet(tmp_path, deadline=30)
    settings = Settings(
        data_dir=tmp_path,
        temporal_address=f"127.0.0.1:{fleet.port}",
        temporal_task_queue="faults",
    )
    services = bootstrap(settings)
    try:
        fleet.start("server")
        await fleet.wait_for_server()
        client = await connect(settings)
        due = datetime.now(UTC) + timedelta(seconds=20)
        monkeypatch.setattr(review_state, "end_of_day", lambda day: due)
        today = date.today()
        report = ReportIncident.model_validate(
            {
                "actor": CLERK,
                "case_ref": "OUTAGE-1",
                "partnership": "GSCP",
                "incident_on": today,
                "aware_on": today,
                "child_refs": ["C-52001"],
                "abuse_or_neglect": True,
                "harm": "died",
            }
        )
        with ThreadPoolExecutor(4) as pool:
            worker = build_worker(client, task_queue="faults", services=services, executor=pool)
            async with worker:
                state: ReviewState = await ReviewClient(client, "faults").report(report)
                monkeypatch.undo()
                due_now = sorted(
                    k for k, d in state.deadlines.items() if d.due_at == due and not d.remind_only
                )
                assert due_now, "no deadline falls due during the outage"
                print(f"{len(due_now)} deadlines fall due during the outage: {due_now}")
                handle = client.get_workflow_handle("review-GSCP-OUTAGE-1")
                # the run waits on its first breach's timer before the server goes down
                end = time.monotonic() + 30
                while not any(
                    e.HasField("timer_started_event_attributes")
                    for e in (await handle.fetch_history()).events
                ):
                    assert time.monotonic() < end, "the workflow never started its timer"
                    await asyncio.sleep(0.5)
                fleet.kill("server")
                # down across the instant the deadlines fall due, and a little after
                await asyncio.sleep((due - datetime.now(UTC)).total_seconds() + 5)
                assert breaches(services, "OUTAGE-1") == Counter()
                fleet.start("server")
                await fleet.wait_for_server()
                end = time.monotonic() + 120
                while set(breaches(services, "OUTAGE-1")) != set(due_now):
                    assert time.monotonic() < end, breaches(services, "OUTAGE-1")
                    await asyncio.sleep(1)
                # fired once: each breach recorded once, and nothing more arrives later
                await asyncio.sleep(10)
                assert breaches(services, "OUTAGE-1") == Counter({k: 1 for k in due_now})
                # ... and each timer's breach activity was scheduled once (fired once)
                scheduled = [
                    e.activity_task_scheduled_event_attributes.activity_type.name
                    for e in (await handle.fetch_history()).events
                    if e.HasField("activity_task_scheduled_event_attributes")
                ]
                assert scheduled.count(RECORD_DEADLINE_BREACH) == len(due_now), scheduled
                after = await handle.query("state", result_type=ReviewState)
                assert after.breached
                assert all(after.deadlines[k].breached for k in due_now)
    finally:
        fleet.stop_all()
        services.close()
