"""Client-side use of the review workflow: what the CLI (and later an API) calls."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.review import COMMANDS, ReportIncident, ReviewState
from domain.values import Command
from qa_engine.workflow_calls import list_rows, query_state, send_step, start_and_wait
from workflows.contracts import (
    PARTNERSHIP,
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
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client, self.task_queue = client, task_queue

    async def report(self, report: ReportIncident, *, wait_seconds: float = 30) -> ReviewState:
        """Start the case's workflow and wait until the incident is recorded."""
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
            wait_seconds=wait_seconds,
            ref_field="case_ref",
        )

    async def workflow_id(self, partnership: str, case_ref: str) -> str:
        """The case's workflow id; a case started before partnerships were tenants
        keeps ``review-<REF>`` (used when its partnership matches)."""
        new = review_workflow_id(partnership, case_ref)
        try:
            await self.client.get_workflow_handle(new).describe()
        except RPCError as e:
            if e.status != RPCStatusCode.NOT_FOUND:
                raise
            old = legacy_review_workflow_id(case_ref)
            try:
                described = await self.client.get_workflow_handle(old).describe()
            except RPCError:
                return new
            memo_partnership = described.typed_search_attributes.get(PARTNERSHIP)
            return old if memo_partnership == partnership.upper() else new
        return new

    async def record(
        self, partnership: str, case_ref: str, step: str, command: Command
    ) -> ReviewState:
        """Send one step as a Temporal update; a rejection raises ``RuleViolation``."""
        if not isinstance(command, COMMANDS[step]):
            raise TypeError(f"{step} takes {COMMANDS[step].__name__}")
        return await send_step(
            self.client,
            await self.workflow_id(partnership, case_ref),
            step,
            command,
            ReviewState,
            f"case {case_ref}",
            ref_field="case_ref",
        )

    async def state(self, partnership: str, case_ref: str) -> ReviewState:
        return await query_state(
            self.client,
            await self.workflow_id(partnership, case_ref),
            ReviewState,
            f"case {case_ref}",
            ref_field="case_ref",
        )

    async def list_cases(self, *, include_closed: bool = False) -> list[CaseRow]:
        rows = await list_rows(self.client, ["ReviewWorkflow"], include_closed=include_closed)
        return [CaseRow(case_ref=r.ref, **r.model_dump(exclude={"ref"})) for r in rows]
