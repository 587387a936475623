"""Helpers for the quality-assurance lifecycle tests (time-skipping server)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.action_plan import ACTION_PLAN_COMMANDS
from domain.audit import AUDIT_COMMANDS, PlanAudit
from domain.child_of_concern import CONCERN_COMMANDS
from domain.qa import QaState
from tests.conftest import actor, london_today
from workflows.audit import AuditWorkflow
from workflows.qa_contracts import StartAudit, audit_workflow_id

COMMANDS = {**AUDIT_COMMANDS, **ACTION_PLAN_COMMANDS, **CONCERN_COMMANDS}
SAMPLE = ["C-1001", "C-1002", "C-1003"]


def new_ref(prefix: str = "AUD") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


async def today_of(env: WorkflowEnvironment) -> date:
    return london_today(await env.get_current_time())


def plan_audit(ref: str, today: date, **overrides: Any) -> PlanAudit:
    return PlanAudit.model_validate(
        {
            "actor": actor(),
            "audit_ref": ref,
            "partnership": "GSCP",
            "kind": "practice_evaluation",
            "theme": "CP and CiN 11-18",
            "period_start": today - timedelta(days=90),
            "period_end": today - timedelta(days=1),
            "sample_size": len(SAMPLE),
            "lead": "Head of Quality",
            "agencies": ["LA", "ICB"],
            **overrides,
        }
    )


async def wait_state(handle: WorkflowHandle[Any, Any], result_type: type[QaState]) -> Any:
    for _ in range(300):
        state = await handle.query("state", result_type=result_type | None)  # type: ignore[arg-type]
        if state is not None:
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} never recorded")


async def start_audit(
    client: Client, queue: str, today: date, ref: str | None = None, **overrides: Any
) -> tuple[str, WorkflowHandle[AuditWorkflow, Any]]:
    from domain.audit import AuditState

    ref = ref or new_ref()
    handle = await client.start_workflow(
        AuditWorkflow.run,
        StartAudit(plan=plan_audit(ref, today, **overrides)),
        id=audit_workflow_id("GSCP", ref),
        task_queue=queue,
    )
    await wait_state(handle, AuditState)
    return ref, handle


async def step(
    handle: WorkflowHandle[Any, Any], name: str, as_type: type[Any], /, **fields: Any
) -> Any:
    command = COMMANDS[name].model_validate({"actor": actor(), **fields})
    return await handle.execute_update(name, command, result_type=as_type)


def events(history: list[Any]) -> list[str]:
    return [e.event for e in history]
