"""The cancel queue: how an operator clears a stuck step without terminating its case.

A step's activity that cannot finish (its store down, say) retries under its
workflow's lock, so later steps on that case wait. ``qa-engine unstick`` (see
``qa_engine.entry.stuck``) pauses the activity (no new attempt starts), waits until
no attempt is running, moves it to this queue (``<task queue>-cancel``) and unpauses
it. The only worker polling this queue runs ``cancelled_by_operator`` for every
activity type: it touches no store and fails the step for good (``StepCancelled``,
rule ``cancelled_by_operator``). The step's caller is told it was cancelled and
nothing recorded; the workflow releases its lock and runs on. Because the move
happens only once no attempt is running, and the real activity never runs again,
an attempt can never record after the caller was told "cancelled".
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import structlog
from temporalio import activity
from temporalio.client import Client
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory
from temporalio.worker import Worker

__all__ = ["build_cancel_worker", "cancel_queue", "cancelled_by_operator"]

log = structlog.get_logger("qa_engine.worker")
SUFFIX = "-cancel"


def cancel_queue(task_queue: str) -> str:
    """The queue a stuck step is moved to (beside the worker's own)."""
    return f"{task_queue}{SUFFIX}"


@activity.defn(dynamic=True)
def cancelled_by_operator(args: Sequence[RawValue]) -> None:
    """Any activity moved here: fail it for good, recording nothing."""
    info = activity.info()
    log.info(
        "step cancelled by an operator",
        workflow_id=info.workflow_id,
        activity=info.activity_type,
        attempt=info.attempt,
    )
    raise ApplicationError(
        "the step was cancelled by an operator; nothing was recorded: send it again "
        "(with a new request id) once the cause is cleared",
        {"field": None, "rule": "cancelled_by_operator"},
        type="StepCancelled",
        non_retryable=True,
        category=ApplicationErrorCategory.BENIGN,
    )


def build_cancel_worker(client: Client, *, task_queue: str, executor: ThreadPoolExecutor) -> Worker:
    """The worker of the cancel queue (run beside the main worker)."""
    return Worker(
        client,
        task_queue=cancel_queue(task_queue),
        activities=[cancelled_by_operator],
        activity_executor=executor,
        max_concurrent_activities=2,
    )
