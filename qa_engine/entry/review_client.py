"""Client-side use of the review workflow: what the CLI (and later an API) calls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from pydantic import BaseModel
from temporalio.client import Client

from domain.review import COMMANDS, ReportIncident, ReviewState
from domain.values import Command
from qa_engine.entry.workflow_calls import (
    list_rows,
    on_scoped_workflow,
    query_state,
    send_step,
    start_and_wait,
)
from workflows.contracts import (
    StartReview,
    legacy_review_workflow_id,
    review_workflow_id,
)

__all__ = ["CaseRow", "ReviewClient"]


class CaseRow(BaseModel):
    case_ref: str
    partnership: str
    stage: str
    next_deadline: datetime | None
    breached: bool
    workflow_id: str


class ReviewClient:
    def __init__(
        self, client: Client, task_queue: str, *, step_deadline: float | None = None
    ) -> None:
        """``step_deadline``: seconds a step waits for its answer (``Unavailable`` after)."""
        self.client, self.task_queue = client, task_queue
        self.step_deadline = step_deadline

    async def report(
        self, report: ReportIncident, *, wait_seconds: float | None = None
    ) -> ReviewState:
        """Start the case's workflow and wait until the incident is recorded (at most
        ``wait_seconds``, default the step deadline, else 30 s)."""
        return await start_and_wait(
            self.client,
            "ReviewWorkflow",
            StartReview(report=report),
            workflow_id=review_workflow_id(report.partnership, report.case_ref),
            task_queue=self.task_queue,
            ref=report.case_ref,
            partnership=report.partnership,
            what="case",
            state_type=ReviewState,
            wait_seconds=wait_seconds or self.step_deadline or 30,
            ref_field="case_ref",
        )

    async def record(
        self,
        partnership: str,
        case_ref: str,
        step: str,
        command: Command,
        *,
        request_id: str | None = None,
    ) -> ReviewState:
        """Send one step as a Temporal update; a rejection raises ``RuleViolation``.
        ``request_id``: the update id (one id is recorded once)."""
        if not isinstance(command, COMMANDS[step]):
            raise TypeError(f"{step} takes {COMMANDS[step].__name__}")

        async def send(workflow_id: str) -> ReviewState:
            return await send_step(
                self.client,
                workflow_id,
                step,
                command,
                ReviewState,
                f"case {case_ref}",
                ref_field="case_ref",
                request_id=request_id,
                deadline=self.step_deadline,
            )

        return await self._on_case(partnership, case_ref, send)

    async def state(self, partnership: str, case_ref: str) -> ReviewState:
        return await self._on_case(partnership, case_ref, self._query)

    async def _query(self, workflow_id: str) -> ReviewState:
        return await query_state(
            self.client, workflow_id, ReviewState, f"case {workflow_id}", ref_field="case_ref"
        )

    async def _on_case(
        self,
        partnership: str,
        case_ref: str,
        call: Callable[[str], Awaitable[ReviewState]],
    ) -> ReviewState:
        return await on_scoped_workflow(
            self.client,
            partnership,
            review_workflow_id(partnership, case_ref),
            legacy_review_workflow_id(case_ref),
            ReviewState,
            call,
            f"case {case_ref}",
            ref_field="case_ref",
        )

    async def list_cases(
        self, *, include_closed: bool = False, partnership: str | None = None
    ) -> list[CaseRow]:
        """Cases of ``partnership`` (every partnership's when None: operations only)."""
        rows = await list_rows(
            self.client,
            ["ReviewWorkflow"],
            include_closed=include_closed,
            partnership=partnership,
        )
        return [CaseRow(case_ref=r.ref, **r.model_dump(exclude={"ref"})) for r in rows]
