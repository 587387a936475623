"""A step's deadline, carried with its update: a worker never records a step its
caller has stopped waiting for.

The client (``qa_engine.entry.workflow_calls``) sends every step with a header
``qa-not-after`` (an ISO instant: when it gives up waiting). A step that reaches a
worker later (it was sent while no worker ran, and one started afterwards) is
refused by this interceptor's validator with rule ``request_expired``: nothing is
recorded, and the caller, told "outcome unknown", re-runs it with the same request
id. Validators do not run on replay, so histories recorded before (or after) this
replay unchanged.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import NOT_AFTER_HEADER

__all__ = ["NOT_AFTER_HEADER", "RequestDeadline", "expired"]


def expired(raw: bytes, now: datetime) -> bool:
    """Whether a step whose header holds ``raw`` has passed its deadline at ``now``
    (an unreadable header is ignored: the step is judged by its own rules)."""
    try:
        not_after = datetime.fromisoformat(raw.decode())
    except (UnicodeDecodeError, ValueError):
        return False
    if not_after.tzinfo is None:
        return False
    return now > not_after


class _Inbound(WorkflowInboundInterceptor):
    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        header = input.headers.get(NOT_AFTER_HEADER)
        if header is not None and expired(header.data, workflow.now()):
            raise ApplicationError(
                "this step reached a worker after its caller stopped waiting; nothing was "
                "recorded: send it again (with the same request id)",
                {"field": None, "rule": "request_expired"},
                type="RequestExpired",
                non_retryable=True,
            )
        super().handle_update_validator(input)


class RequestDeadline(Interceptor):
    """The worker interceptor refusing steps past their caller's deadline."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _Inbound
