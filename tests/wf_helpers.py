"""Helpers for driving review workflows in tests."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.review import COMMANDS, ReportIncident, ReviewState
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
        id=review_workflow_id(report.partnership, ref),
        task_queue=queue,
    )
    await wait_reported(handle)
    return ref, handle


async def wait_reported(handle: WorkflowHandle[ReviewWorkflow, ReviewState]) -> ReviewState:
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
