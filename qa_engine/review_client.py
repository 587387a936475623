"""Client-side use of the review workflow: what the CLI (and later an API) calls."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from domain.errors import CaseAlreadyExists, CaseNotFound, RuleViolation
from domain.review_model import COMMANDS, ReportIncident, ReviewState
from domain.values import Command
from workflows.contracts import (
    BREACHED,
    CASE_REF,
    NEXT_DEADLINE,
    PARTNERSHIP,
    STAGE,
    StartReview,
    review_workflow_id,
)
from workflows.review import ReviewWorkflow

__all__ = ["CaseRow", "ReviewClient"]


class CaseRow(BaseModel):
    case_ref: str
    partnership: str
    stage: str
    next_deadline: datetime | None
    breached: bool
    workflow_id: str


class ReviewClient:
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client, self.task_queue = client, task_queue

    async def report(self, report: ReportIncident, *, wait_seconds: float = 30) -> ReviewState:
        """Start the case's workflow and wait until the incident is recorded."""
        wf_id = review_workflow_id(report.case_ref)
        try:
            handle = await self.client.start_workflow(
                ReviewWorkflow.run,
                StartReview(report=report),
                id=wf_id,
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(CASE_REF, report.case_ref),
                        SearchAttributePair(PARTNERSHIP, report.partnership),
                        SearchAttributePair(STAGE, "reporting"),
                    ]
                ),
                memo={"summary": f"{report.case_ref} ({report.partnership}) being recorded"},
            )
        except Exception as e:
            if type(e).__name__ == "WorkflowAlreadyStartedError":
                raise CaseAlreadyExists(
                    f"case {report.case_ref} already exists",
                    field="case_ref",
                    rule="unique_case_ref",
                ) from None
            raise
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while loop.time() < deadline:
            state = await handle.query(ReviewWorkflow.state)
            if state is not None:
                return state
            desc = await handle.describe()
            if desc.status != WorkflowExecutionStatus.RUNNING:
                try:
                    await handle.result()
                except Exception as e:
                    raise RuleViolation(_cause_message(e), rule="report_rejected") from None
            await asyncio.sleep(0.1)
        raise TimeoutError(
            f"case {report.case_ref} was not recorded within {wait_seconds}s: is a worker running?"
        )

    async def record(self, case_ref: str, step: str, command: Command) -> ReviewState:
        """Send one step as a Temporal update; a rejection raises ``RuleViolation``."""
        if not isinstance(command, COMMANDS[step]):
            raise TypeError(f"{step} takes {COMMANDS[step].__name__}")
        handle = self.client.get_workflow_handle(review_workflow_id(case_ref))
        try:
            result: ReviewState = await handle.execute_update(
                step, command, result_type=ReviewState
            )
        except WorkflowUpdateFailedError as e:
            cause = e.cause
            if isinstance(cause, ApplicationError):
                details = cause.details[0] if cause.details else {}
                err = RuleViolation(cause.message, field=None, rule=None)
                if isinstance(details, dict):
                    err.field, err.rule = details.get("field"), details.get("rule")
                err.message = _strip_prefix(cause.message)
                raise err from None
            raise
        except RPCError as e:
            if "not found" in str(e).lower():
                raise CaseNotFound(
                    f"no open case {case_ref}", field="case_ref", rule="case_exists"
                ) from None
            raise
        return result

    async def state(self, case_ref: str) -> ReviewState:
        handle = self.client.get_workflow_handle(review_workflow_id(case_ref))
        try:
            state = await handle.query(ReviewWorkflow.state)
        except RPCError as e:
            if "not found" in str(e).lower():
                raise CaseNotFound(
                    f"no case {case_ref}", field="case_ref", rule="case_exists"
                ) from None
            raise
        if state is None:
            raise CaseNotFound(
                f"case {case_ref} is still being recorded", field="case_ref", rule="case_exists"
            )
        return state

    async def list_cases(self, *, include_closed: bool = False) -> list[CaseRow]:
        query = "WorkflowType = 'ReviewWorkflow'"
        if not include_closed:
            query += " AND ExecutionStatus = 'Running'"
        rows = []
        async for wf in self.client.list_workflows(query):
            sa = wf.typed_search_attributes
            rows.append(
                CaseRow(
                    case_ref=sa.get(CASE_REF) or wf.id.removeprefix("review-"),
                    partnership=sa.get(PARTNERSHIP) or "",
                    stage=sa.get(STAGE) or "",
                    next_deadline=sa.get(NEXT_DEADLINE),
                    breached=bool(sa.get(BREACHED)),
                    workflow_id=wf.id,
                )
            )
        rows.sort(
            key=lambda r: (r.next_deadline is None, r.next_deadline or datetime.max, r.case_ref)
        )
        return rows


def _strip_prefix(message: str) -> str:
    if message.startswith("[") and "] " in message:
        return message.split("] ", 1)[1]
    return message


def _cause_message(e: BaseException) -> str:
    seen: Any = e
    while getattr(seen, "cause", None) is not None:
        seen = seen.cause
    return str(getattr(seen, "message", seen))
