"""Client-side calls every lifecycle makes: open (update-with-start), send a step, query, list.

Temporal's errors are translated into the domain's: a duplicate workflow id is
``CaseAlreadyExists``, a refused update is ``RuleViolation`` with the field and
rule the workflow named, an unknown workflow is ``CaseNotFound``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from domain.errors import CaseAlreadyExists, CaseNotFound, RuleViolation
from workflows.contracts import BREACHED, CASE_REF, NEXT_DEADLINE, PARTNERSHIP, STAGE

__all__ = [
    "WorkflowRow",
    "list_rows",
    "on_scoped_workflow",
    "query_state",
    "send_step",
    "start_and_wait",
]

T = TypeVar("T")


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
    except TimeoutError:
        raise TimeoutError(
            f"{what} {ref} was not recorded within {wait_seconds}s: is a worker running?"
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
) -> T:
    """Send one step as a Temporal update; a refusal raises ``RuleViolation``.

    ``request_id`` (the caller's idempotency key) is the update id: Temporal records
    a step sent twice with one id once, and answers the repeat with the first result."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        result: T = await handle.execute_update(
            step, command, id=request_id, result_type=state_type
        )
    except WorkflowUpdateFailedError as e:
        cause = e.cause
        if isinstance(cause, ApplicationError):
            details = cause.details[0] if cause.details else {}
            err = RuleViolation(_strip_prefix(cause.message))
            if isinstance(details, dict):
                err.field, err.rule = details.get("field"), details.get("rule")
            raise err from None
        raise
    except RPCError as e:
        if "not found" in str(e).lower():
            raise CaseNotFound(f"no open {what}", field=ref_field, rule="exists") from None
        raise
    return result


async def query_state(
    client: Client, workflow_id: str, state_type: type[T], what: str, ref_field: str = "ref"
) -> T:
    handle = client.get_workflow_handle(workflow_id)
    try:
        state = await handle.query("state", result_type=state_type | None)  # type: ignore[arg-type]
    except RPCError as e:
        if "not found" in str(e).lower():
            raise CaseNotFound(f"no {what}", field=ref_field, rule="exists") from None
        raise
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
