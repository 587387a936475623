"""Stuck steps: see them (``qa-engine stuck``) and clear one (``qa-engine unstick``)
without terminating its case. Operations only.

A step's activity retries under its workflow's lock while the store is down or a
bug fails it (at most ``workflows.common.RETRY``'s attempts); meanwhile later steps
on that case wait. ``stuck_steps`` lists, from Temporal, every running workflow's
pending activity that has failed at least once (or is paused): the workflow id
(made of the record's reference, no personal data), the activity, its attempt, its
state and its last failure. ``unstick`` clears one: it pauses the activity (no new
attempt starts), waits until no attempt is running, moves it to the cancel queue
(``workers.cancel``) and unpauses it; the cancel worker fails it for good, recording
nothing, and the step's caller is told so. If the step finishes on its own while
``unstick`` waits (recorded, or refused by a rule), nothing is cancelled and that
is said.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass
from datetime import datetime

from google.protobuf.field_mask_pb2 import FieldMask
from temporalio.api.activity.v1 import ActivityOptions
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import (
    PauseActivityRequest,
    UnpauseActivityRequest,
    UpdateActivityOptionsRequest,
)
from temporalio.client import Client

from domain.errors import CaseNotFound, DomainError
from workers.cancel import cancel_queue

__all__ = ["StuckStep", "stuck_steps", "unstick"]

IDENTITY = "qa-engine unstick (operations)"
_STATES = {
    PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED: "waiting to retry",
    PendingActivityState.PENDING_ACTIVITY_STATE_STARTED: "running",
    PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED: "cancel requested",
    PendingActivityState.PENDING_ACTIVITY_STATE_PAUSED: "paused",
    PendingActivityState.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED: "pausing",
}


@dataclass(frozen=True)
class StuckStep:
    workflow_id: str
    activity_id: str
    activity: str
    attempt: int
    state: str
    last_failure: str
    last_attempt_at: datetime | None

    def as_json(self) -> dict[str, object]:
        out = asdict(self)
        out["last_attempt_at"] = self.last_attempt_at.isoformat() if self.last_attempt_at else None
        return out


async def stuck_steps(client: Client, *, min_attempts: int = 2) -> list[StuckStep]:
    """Every running workflow's pending activity at ``min_attempts`` or more (or paused)."""
    found = []
    async for wf in client.list_workflows('ExecutionStatus="Running"'):
        try:
            described = await client.get_workflow_handle(wf.id, run_id=wf.run_id).describe()
        except Exception:
            continue
        for p in described.raw_description.pending_activities:
            paused = p.state in (
                PendingActivityState.PENDING_ACTIVITY_STATE_PAUSED,
                PendingActivityState.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED,
            )
            if p.attempt < min_attempts and not paused:
                continue
            started = p.last_started_time.ToDatetime() if p.HasField("last_started_time") else None
            failure = p.last_failure
            found.append(
                StuckStep(
                    workflow_id=wf.id,
                    activity_id=p.activity_id,
                    activity=p.activity_type.name,
                    attempt=p.attempt,
                    state=_STATES.get(p.state, str(p.state)),
                    last_failure=(
                        f"{failure.application_failure_info.type or 'failure'}: "
                        f"{failure.message[:160]}"
                        if failure.message
                        else ""
                    ),
                    last_attempt_at=started,
                )
            )
    return sorted(found, key=lambda s: (-s.attempt, s.workflow_id))


async def _pending(client: Client, workflow_id: str, activity_id: str) -> object | None:
    described = await client.get_workflow_handle(workflow_id).describe()
    for p in described.raw_description.pending_activities:
        if p.activity_id == activity_id:
            return p
    return None


async def unstick(
    client: Client, workflow_id: str, *, activity_id: str | None = None, wait: float = 120.0
) -> str:
    """Clear the stuck step of ``workflow_id``: ``cancelled`` (nothing recorded, its
    caller told), or ``finished`` (it ended on its own while this waited)."""
    try:
        described = await client.get_workflow_handle(workflow_id).describe()
    except Exception as e:
        raise CaseNotFound(f"no workflow {workflow_id}", field="workflow_id", rule="exists") from e
    pending = list(described.raw_description.pending_activities)
    if activity_id is not None:
        pending = [p for p in pending if p.activity_id == activity_id]
    if not pending:
        raise DomainError(
            f"{workflow_id} has no step in progress: nothing to clear",
            field="workflow_id",
            rule="step_in_progress",
        )
    if len(pending) > 1:
        ids = ", ".join(p.activity_id for p in pending)
        raise DomainError(
            f"{workflow_id} has {len(pending)} activities in progress ({ids}): name one "
            "with --activity-id",
            field="activity_id",
            rule="one_activity",
        )
    target = pending[0]
    if target.attempt < 2 and target.state == PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED:
        raise DomainError(
            f"{workflow_id}'s step has not started: no worker has taken it (start a worker; "
            "its caller's deadline refuses it if it arrives late)",
            field="workflow_id",
            rule="not_started",
        )
    execution = WorkflowExecution(workflow_id=workflow_id)
    namespace = client.namespace

    async def unpause() -> None:
        await client.workflow_service.unpause_activity(
            UnpauseActivityRequest(
                namespace=namespace, execution=execution, id=target.activity_id, identity=IDENTITY
            )
        )

    await client.workflow_service.pause_activity(
        PauseActivityRequest(
            namespace=namespace,
            execution=execution,
            id=target.activity_id,
            identity=IDENTITY,
            reason="qa-engine unstick",
        )
    )
    # no new attempt starts now; wait for the running one (if any) to end
    deadline = time.monotonic() + wait
    while True:
        p = await _pending(client, workflow_id, target.activity_id)
        if p is None:
            return "finished"  # it ended on its own: its caller has that answer
        if p.state == PendingActivityState.PENDING_ACTIVITY_STATE_PAUSED:  # type: ignore[attr-defined]
            break
        if time.monotonic() > deadline:
            await unpause()
            raise DomainError(
                f"{workflow_id}'s step attempt is still running after {wait:.0f}s: left as "
                "it was; try again",
                field="workflow_id",
                rule="attempt_running",
            )
        await asyncio.sleep(0.5)
    await client.workflow_service.update_activity_options(
        UpdateActivityOptionsRequest(
            namespace=namespace,
            execution=execution,
            id=target.activity_id,
            activity_options=ActivityOptions(
                task_queue=TaskQueue(name=cancel_queue(described.task_queue))
            ),
            update_mask=FieldMask(paths=["task_queue.name"]),
            identity=IDENTITY,
        )
    )
    await unpause()
    while time.monotonic() < deadline:
        if await _pending(client, workflow_id, target.activity_id) is None:
            return "cancelled"
        await asyncio.sleep(0.5)
    return "cancelling"  # moved: the cancel worker fails it when it next polls
