"""Client-side calls every lifecycle makes: open (update-with-start), send a step, query, list.

Temporal's errors are translated into the domain's: a duplicate workflow id is
``CaseAlreadyExists``, a refused update is the error the workflow named (``InvalidInput``,
``RuleViolation``, ...) with its field and rule, an unknown workflow is ``CaseNotFound``.

A step has a deadline: it is sent with its request id (the Temporal update id: sent
twice, it is recorded once) and the instant its caller stops waiting (the update
header ``qa-not-after``, read by ``workflows.request_deadline``). No answer by then is
``Unavailable``: the outcome is unknown, the step is never recorded later by a worker
that starts afterwards, and re-sending it with the same request id records it once.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowUpdateInput,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from domain.errors import (
    CaseAlreadyExists,
    CaseNotFound,
    DomainError,
    InvalidInput,
    OutOfOrder,
    RuleViolation,
)
from workflows.contracts import (
    BREACHED,
    CASE_REF,
    NEXT_DEADLINE,
    NOT_AFTER_HEADER,
    PARTNERSHIP,
    STAGE,
)

__all__ = [
    "DEFAULT_STEP_DEADLINE",
    "StepDeadlines",
    "Unavailable",
    "WorkflowRow",
    "list_rows",
    "on_scoped_workflow",
    "query_state",
    "send_step",
    "start_and_wait",
]

T = TypeVar("T")

#: seconds a step waits for its answer unless the caller says otherwise
DEFAULT_STEP_DEADLINE = 30.0
#: a worker polls at least this often (Temporal's long poll is about a minute)
_POLLER_FRESH = timedelta(seconds=75)

_NOT_AFTER: contextvars.ContextVar[datetime | None] = contextvars.ContextVar(
    "qa_step_not_after", default=None
)


class Unavailable(Exception):
    """No answer from Temporal or a worker in time: the outcome is unknown or nothing
    was sent (``sent``); ``request_id`` re-sends the step safely (recorded once)."""

    def __init__(self, message: str, *, request_id: str | None, sent: bool) -> None:
        super().__init__(message)
        self.message, self.request_id, self.sent = message, request_id, sent


class StepDeadlines(Interceptor):
    """Client interceptor: every step update carries its caller's deadline as the
    ``qa-not-after`` header, so a worker that gets it later refuses it."""

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _DeadlineOutbound(next)


class _DeadlineOutbound(OutboundInterceptor):
    async def start_workflow_update(
        self, input: StartWorkflowUpdateInput
    ) -> WorkflowUpdateHandle[Any]:
        not_after = _NOT_AFTER.get()
        if not_after is not None:
            header = Payload(
                metadata={"encoding": b"binary/plain"}, data=not_after.isoformat().encode()
            )
            input.headers = {**input.headers, NOT_AFTER_HEADER: header}
        return await super().start_workflow_update(input)


class WorkflowRow(BaseModel):
    """One workflow as the Temporal visibility store sees it (no personal data)."""

    ref: str
    partnership: str
    stage: str
    next_deadline: datetime | None
    breached: bool
    workflow_id: str


async def start_and_wait(
    client: Client,
    workflow: str,
    arg: BaseModel,
    *,
    workflow_id: str,
    task_queue: str,
    ref: str,
    partnership: str,
    what: str,
    state_type: type[T],
    wait_seconds: float,
    ref_field: str = "ref",
) -> T:
    """Open a record: start its workflow and record the opening in one call
    (update-with-start), answered with the state as recorded.

    No polling: the ``open`` update returns once the opening is in the store. A
    refused opening (a rule, a reference already used) raises the domain's error
    and leaves no failed workflow behind (the run completes with nothing
    recorded, so the reference may be opened again with corrected input)."""
    attrs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(CASE_REF, ref),
        SearchAttributePair(STAGE, "opening"),
    ]
    if partnership:
        attrs.append(SearchAttributePair(PARTNERSHIP, partnership))
    start = arg.model_copy(update={"by_update": True})
    operation: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
        workflow,
        start,
        id=workflow_id,
        task_queue=task_queue,
        # A running record answers "already open" from its own validator.
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        search_attributes=TypedSearchAttributes(attrs),
        memo={"summary": f"{what} {ref} being recorded"},
    )
    try:
        result: T = await asyncio.wait_for(
            client.execute_update_with_start_workflow(
                "open", start, start_workflow_operation=operation, result_type=state_type
            ),
            wait_seconds,
        )
    except WorkflowUpdateFailedError as e:
        cause = e.cause
        if isinstance(cause, ApplicationError) and cause.type == "CaseAlreadyExists":
            raise CaseAlreadyExists(
                f"{what} {ref} already exists", field=ref_field, rule=f"unique_{ref_field}"
            ) from None
        details = cause.details[0] if isinstance(cause, ApplicationError) and cause.details else {}
        err = RuleViolation(_cause_message(e), rule="open_rejected")
        if isinstance(details, dict):
            err.field = details.get("field") or err.field
            err.rule = details.get("rule") or err.rule
        raise err from None
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        raise Unavailable(
            f"{what} {ref} was not recorded within {wait_seconds:g}s: is a worker running? "
            "If it reached Temporal it is recorded when a worker starts; re-running "
            "answers that it already exists",
            request_id=None,
            sent=True,
        ) from None
    return result


async def send_step(
    client: Client,
    workflow_id: str,
    step: str,
    command: BaseModel,
    state_type: type[T],
    what: str,
    ref_field: str = "ref",
    request_id: str | None = None,
    deadline: float | None = None,
) -> T:
    """Send one step as a Temporal update; a refusal raises the domain's error.

    ``request_id`` (the caller's idempotency key) is the update id: Temporal records
    a step sent twice with one id once, and answers the repeat with the first result.
    ``deadline`` (seconds, default ``DEFAULT_STEP_DEADLINE``): no answer by then raises
    ``Unavailable`` (and a worker that receives the step later refuses it)."""
    wait = DEFAULT_STEP_DEADLINE if deadline is None else deadline
    handle = client.get_workflow_handle(workflow_id)
    token = _NOT_AFTER.set(datetime.now(UTC) + timedelta(seconds=wait))
    try:
        result: T = await asyncio.wait_for(
            _send_until_answered(handle, step, command, request_id, state_type), wait
        )
    except WorkflowUpdateFailedError as e:
        raise _refusal(e.cause, ref_field) from None
    except RPCError as e:
        if "not found" in str(e).lower():
            raise CaseNotFound(f"no open {what}", field=ref_field, rule="exists") from None
        if "already completed" in str(e).lower():
            raise
        raise Unavailable(
            f"Temporal did not answer ({' '.join(str(e).split())}): the outcome of {step} is "
            "unknown",
            request_id=request_id,
            sent=True,
        ) from None
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        why = await _no_worker(client, workflow_id)
        raise Unavailable(
            f"{step} was not answered within {wait:g}s ({why}); a worker that starts later "
            "refuses it, so it is recorded only if it was already accepted",
            request_id=request_id,
            sent=True,
        ) from None
    finally:
        _NOT_AFTER.reset(token)
    return result


async def _send_until_answered(
    handle: Any, step: str, command: BaseModel, request_id: str | None, state_type: type[T]
) -> T:
    """Send the update; when an earlier send of the same request id reached a worker
    only after its own caller gave up, that one was refused (``request_expired``) and
    nothing was recorded, so this caller sends it again (its own deadline applies).
    Likewise a step that reached its record before the record's opening was (a
    worker killed while opening it, or started only now): ``NotReady`` records
    nothing and is sent again until the opening lands or the deadline passes (then
    exit 4, to re-run), never reported as a rule's refusal."""
    while True:
        try:
            result: T = await handle.execute_update(
                step, command, id=request_id, result_type=state_type
            )
            return result
        except WorkflowUpdateFailedError as e:
            cause = e.cause
            kind = cause.type if isinstance(cause, ApplicationError) else None
            if kind not in ("RequestExpired", "NotReady"):
                raise
            await asyncio.sleep(0.1 if kind == "RequestExpired" else 0.5)


_REFUSALS: dict[str, type[DomainError]] = {
    "InvalidInput": InvalidInput,
    "CaseNotFound": CaseNotFound,
    "CaseAlreadyExists": CaseAlreadyExists,
    "OutOfOrder": OutOfOrder,
}


def _refusal(cause: BaseException | None, ref_field: str) -> Exception:
    """A refused update as the domain's error the workflow named (field and rule kept):
    ``InvalidInput`` stays invalid input, anything else a rule refused is a
    ``RuleViolation``; a failure that is not a refusal (a workflow task failing) is an
    unknown outcome."""
    if not isinstance(cause, ApplicationError):
        return Unavailable(
            f"the step failed in the workflow ({_cause_message(cause) if cause else 'no cause'})",
            request_id=None,
            sent=True,
        )
    details = cause.details[0] if cause.details else {}
    kind = _REFUSALS.get(cause.type or "", RuleViolation)
    err = kind(_strip_prefix(cause.message))
    if isinstance(details, dict):
        err.field, err.rule = details.get("field"), details.get("rule")
    if cause.type == "NotReady":
        err.rule = err.rule or "not_ready"
    return err


async def _no_worker(client: Client, workflow_id: str) -> str:
    """Why a step went unanswered: no worker polling its task queue, or a busy one."""
    try:
        description = await asyncio.wait_for(client.get_workflow_handle(workflow_id).describe(), 5)
        queue = description.task_queue
        answer = await asyncio.wait_for(
            client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=client.namespace,
                    task_queue=TaskQueue(name=queue),
                    task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                )
            ),
            5,
        )
    except (RPCError, TimeoutError) as e:
        return f"Temporal is not answering: {' '.join(str(e).split()) or type(e).__name__}"
    now = datetime.now(UTC)
    fresh = [
        p for p in answer.pollers if now - p.last_access_time.ToDatetime(tzinfo=UTC) < _POLLER_FRESH
    ]
    if not fresh:
        return f"no worker is polling the task queue {queue}"
    return f"a worker polled the task queue {queue} recently but did not answer (busy, or stopped)"


async def query_state(
    client: Client, workflow_id: str, state_type: type[T], what: str, ref_field: str = "ref"
) -> T:
    handle = client.get_workflow_handle(workflow_id)
    try:
        state = await asyncio.wait_for(
            handle.query("state", result_type=state_type | None),  # type: ignore[arg-type]
            DEFAULT_STEP_DEADLINE,
        )
    except RPCError as e:
        if "not found" in str(e).lower():
            raise CaseNotFound(f"no {what}", field=ref_field, rule="exists") from None
        raise
    except TimeoutError:
        why = await _no_worker(client, workflow_id)
        raise Unavailable(
            f"{what} could not be read within {DEFAULT_STEP_DEADLINE:g}s ({why})",
            request_id=None,
            sent=False,
        ) from None
    if state is None:
        raise CaseNotFound(f"{what} is still being recorded", field=ref_field, rule="exists")
    result: T = state
    return result


async def list_rows(
    client: Client,
    workflow_types: Sequence[str],
    *,
    include_closed: bool = False,
    partnership: str | None = None,
) -> list[WorkflowRow]:
    """Workflows of the given types (of one partnership, if given), soonest next
    deadline first."""
    types = " OR ".join(f"WorkflowType = '{t}'" for t in workflow_types)
    query = f"({types})" + ("" if include_closed else " AND ExecutionStatus = 'Running'")
    if partnership is not None:
        code = partnership.upper()
        if not code.replace("-", "").isalnum():
            raise ValueError(f"not a partnership code: {partnership!r}")
        query += f" AND {PARTNERSHIP.name} = '{code}'"
    rows = []
    async for wf in client.list_workflows(query):
        sa = wf.typed_search_attributes
        rows.append(
            WorkflowRow(
                ref=sa.get(CASE_REF) or wf.id.split("-", 1)[-1],
                partnership=sa.get(PARTNERSHIP) or "",
                stage=sa.get(STAGE) or "",
                next_deadline=sa.get(NEXT_DEADLINE),
                breached=bool(sa.get(BREACHED)),
                workflow_id=wf.id,
            )
        )
    rows.sort(key=lambda r: (r.next_deadline is None, r.next_deadline or datetime.max, r.ref))
    return rows


async def on_scoped_workflow(
    client: Client,
    partnership: str,
    workflow_id: str,
    legacy_workflow_id: str,
    state_type: type[T],
    call: Callable[[str], Awaitable[T]],
    what: str,
    ref_field: str = "ref",
) -> T:
    """``call`` on the record's workflow ``workflow_id`` (``<kind>-<P>-<REF>``); a record
    started before partnerships were tenants runs as ``legacy_workflow_id`` and is used
    only when its own state says it belongs to ``partnership``."""
    try:
        return await call(workflow_id)
    except CaseNotFound:
        try:
            legacy = await query_state(client, legacy_workflow_id, state_type, what, ref_field)
        except CaseNotFound:
            legacy = None
        if legacy is None or getattr(legacy, "partnership", None) != partnership.upper():
            raise
        return await call(legacy_workflow_id)


def _strip_prefix(message: str) -> str:
    if message.startswith("[") and "] " in message:
        return message.split("] ", 1)[1]
    return message


def _cause_message(e: BaseException) -> str:
    seen: Any = e
    while getattr(seen, "cause", None) is not None:
        seen = seen.cause
    return str(getattr(seen, "message", seen))
