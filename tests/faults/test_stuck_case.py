"""A stuck step is seen and cleared without terminating its case (issue 11).

On the real Temporal dev server: the event store is locked by another connection
(as a store outage would), so a step's activity fails and retries under its
workflow's lock. ``qa-engine stuck`` (operations) lists it with its attempt and last
failure; ``qa-engine unstick`` pauses it, waits until no attempt runs, moves it to
the cancel queue (``workers.cancel``) and lets the cancel worker fail it: the step's
caller is told ``cancelled_by_operator``, nothing is recorded, and once the store is
back the same step sent again is recorded once; the case was never terminated.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from domain.errors import RuleViolation
from domain.review import ReviewState
from qa_engine.entry.stuck import stuck_steps
from qa_engine.entry.workflow_calls import send_step
from tests.faults.test_request_ids import CLERK, DAY, Dev, cli, dev, recorded, report, worker  # noqa: F401
from tests.review_data import cmd
from workers.cancel import build_cancel_worker

pytestmark = pytest.mark.integration

OPS = {"QA_ACTOR_NAME": "Olu Ops", "QA_ACTOR_ROLE": "operations", "QA_PARTNERSHIP": "OPS"}
WORKFLOW = "review-GSCP-STK-001"


async def test_a_stuck_step_is_listed_and_cleared_without_terminating_the_case(
    dev: Dev,  # noqa: F811
) -> None:
    client = dev.env.client
    canceller = build_cancel_worker(client, task_queue="faults", executor=dev.pool)
    async with worker(dev), canceller:
        await report(dev, "STK-001")
        # the store goes away for writes (a lock held elsewhere; 10 s busy timeout)
        lock = sqlite3.connect(dev.settings.sqlite_file, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        step = asyncio.create_task(
            send_step(
                client,
                WORKFLOW,
                "record_panel_notification",
                cmd("record_panel_notification", notified_on=DAY),
                ReviewState,
                "case STK-001",
                deadline=240,
            )
        )
        for _ in range(120):
            if any(s.workflow_id == WORKFLOW for s in await stuck_steps(client)):
                break
            await asyncio.sleep(0.5)
        else:
            pytest.fail("the step never showed as stuck")

        # partnership staff may not look; operations see it, with its last failure
        r = await cli(dev.settings, "stuck")
        assert r.returncode == 1 and "operations_only" in r.stderr, r.stderr
        r = await cli(dev.settings, "stuck", "--json", **OPS)
        assert r.returncode == 0, r.stderr
        listed = [s for s in json.loads(r.stdout) if s["workflow_id"] == WORKFLOW]
        assert listed and listed[0]["attempt"] >= 2, r.stdout
        assert "database is locked" in listed[0]["last_failure"], listed
        assert not step.done()  # its caller is still waiting

        r = await cli(dev.settings, "unstick", WORKFLOW, "--json", **OPS)
        assert r.returncode == 0 and r.stdout.strip(), (r.stdout, r.stderr)
        assert json.loads(r.stdout)["outcome"] == "cancelled", r.stdout
        with pytest.raises(RuleViolation) as e:
            await asyncio.wait_for(step, 30)
        assert e.value.rule == "cancelled_by_operator", e.value
        lock.rollback()
        lock.close()

        assert recorded(dev.services, "STK-001", "PanelNotified") == 0
        assert not [s for s in await stuck_steps(client) if s.workflow_id == WORKFLOW]
        # the case runs on: the step sent again (a new request) is recorded once
        again = ("case", "record-panel-notification", "STK-001", "--notified-on", DAY.isoformat())
        r = await cli(dev.settings, *again, "--request-id", "after-unstick")
        assert r.returncode == 0, r.stderr
        assert recorded(dev.services, "STK-001", "PanelNotified") == 1
        described = await client.get_workflow_handle(WORKFLOW).describe()
        assert described.status is not None and described.status.name == "RUNNING"
        # nothing stuck left to clear: a clear refusal, not a hang
        r = await cli(dev.settings, "unstick", WORKFLOW, **OPS)
        assert r.returncode == 1 and "step_in_progress" in r.stderr, r.stderr
