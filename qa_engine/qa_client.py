"""Client-side use of the lifecycle-2 workflows: what the CLI (and later an API) calls."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from domain.action_plan_model import ACTION_PLAN_COMMANDS, ActionPlanState, OpenPlanFromReview
from domain.audit_model import AUDIT_COMMANDS, AuditState, PlanAudit, action_plan_ref
from domain.child_of_concern_model import CONCERN_COMMANDS, ConcernState
from domain.errors import CaseAlreadyExists, CaseNotFound, RuleViolation
from domain.qa_clock import QaState
from domain.values import Command
from qa_engine.review_client import _cause_message, _strip_prefix
from workflows.contracts import BREACHED, CASE_REF, NEXT_DEADLINE, PARTNERSHIP, STAGE
from workflows.qa_contracts import (
    StartActionPlan,
    StartAudit,
    action_plan_workflow_id,
    audit_workflow_id,
    concern_workflow_id,
)

__all__ = ["LIFECYCLES", "Lifecycle", "QaClient", "RecordRow"]

Kind = Literal["audit", "actionplan", "childofconcern"]


class Lifecycle(BaseModel):
    kind: Kind
    workflow_type: str
    state_type: type[QaState]
    commands: dict[str, type[Command]]

    def workflow_id(self, ref: str) -> str:
        return {
            "audit": audit_workflow_id,
            "actionplan": action_plan_workflow_id,
            "childofconcern": concern_workflow_id,
        }[self.kind](ref)


LIFECYCLES: dict[str, Lifecycle] = {
    "audit": Lifecycle(
        kind="audit", workflow_type="AuditWorkflow", state_type=AuditState, commands=AUDIT_COMMANDS
    ),
    "actionplan": Lifecycle(
        kind="actionplan",
        workflow_type="ActionPlanWorkflow",
        state_type=ActionPlanState,
        commands=ACTION_PLAN_COMMANDS,
    ),
    "childofconcern": Lifecycle(
        kind="childofconcern",
        workflow_type="ChildOfConcernWorkflow",
        state_type=ConcernState,
        commands=CONCERN_COMMANDS,
    ),
}


class RecordRow(BaseModel):
    ref: str
    partnership: str
    stage: str
    next_deadline: datetime | None
    breached: bool
    workflow_id: str


class QaClient:
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client, self.task_queue = client, task_queue

    async def plan_audit(self, plan: PlanAudit, *, wait_seconds: float = 30) -> AuditState:
        """Start the audit's workflow and wait until the plan is recorded."""
        life = LIFECYCLES["audit"]
        state: AuditState = await self._start(
            life, plan.audit_ref, plan.partnership, StartAudit(plan=plan), wait_seconds
        )
        return state

    async def open_plan_from_review(
        self, command: OpenPlanFromReview, *, partnership: str = "", wait_seconds: float = 30
    ) -> ActionPlanState:
        """Open the action plan of a review case's recommendations (read from its history)."""
        life = LIFECYCLES["actionplan"]
        state: ActionPlanState = await self._start(
            life,
            action_plan_ref(command.case_ref),
            partnership,
            StartActionPlan(from_review=command),
            wait_seconds,
        )
        return state

    async def _start(
        self, life: Lifecycle, ref: str, partnership: str, arg: BaseModel, wait_seconds: float
    ) -> Any:
        wf_id = life.workflow_id(ref)
        attrs = [SearchAttributePair(CASE_REF, ref.upper()), SearchAttributePair(STAGE, "opening")]
        if partnership:
            attrs.append(SearchAttributePair(PARTNERSHIP, partnership))
        try:
            handle = await self.client.start_workflow(
                life.workflow_type,
                arg,
                id=wf_id,
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=TypedSearchAttributes(attrs),
                memo={"summary": f"{life.kind} {ref.upper()} being recorded"},
            )
        except Exception as e:
            if type(e).__name__ == "WorkflowAlreadyStartedError":
                raise CaseAlreadyExists(
                    f"{life.kind} {ref.upper()} already exists", field="ref", rule="unique_ref"
                ) from None
            raise
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while loop.time() < deadline:
            state = await handle.query("state", result_type=life.state_type | None)  # type: ignore[arg-type]
            if state is not None:
                return state
            desc = await handle.describe()
            if desc.status != WorkflowExecutionStatus.RUNNING:
                try:
                    await handle.result()
                except Exception as e:
                    raise RuleViolation(_cause_message(e), rule="open_rejected") from None
            await asyncio.sleep(0.1)
        raise TimeoutError(
            f"{life.kind} {ref} was not recorded within {wait_seconds}s: is a worker running?"
        )

    async def record(self, kind: Kind, ref: str, step: str, command: Command) -> QaState:
        """Send one step as a Temporal update; a rejection raises ``RuleViolation``."""
        life = LIFECYCLES[kind]
        if not isinstance(command, life.commands[step]):
            raise TypeError(f"{step} takes {life.commands[step].__name__}")
        handle = self.client.get_workflow_handle(life.workflow_id(ref))
        try:
            result: QaState = await handle.execute_update(
                step, command, result_type=life.state_type
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
                raise CaseNotFound(
                    f"no open {kind} {ref}", field="ref", rule="record_exists"
                ) from None
            raise
        return result

    async def state(self, kind: Kind, ref: str) -> QaState:
        life = LIFECYCLES[kind]
        handle = self.client.get_workflow_handle(life.workflow_id(ref))
        try:
            state: QaState | None = await handle.query(
                "state",
                result_type=life.state_type | None,  # type: ignore[arg-type]
            )
        except RPCError as e:
            if "not found" in str(e).lower():
                raise CaseNotFound(f"no {kind} {ref}", field="ref", rule="record_exists") from None
            raise
        if state is None:
            raise CaseNotFound(
                f"{kind} {ref} is still being recorded", field="ref", rule="record_exists"
            )
        return state

    async def list_records(self, kind: Kind, *, include_closed: bool = False) -> list[RecordRow]:
        life = LIFECYCLES[kind]
        query = f"WorkflowType = '{life.workflow_type}'"
        if not include_closed:
            query += " AND ExecutionStatus = 'Running'"
        rows = []
        async for wf in self.client.list_workflows(query):
            sa = wf.typed_search_attributes
            rows.append(
                RecordRow(
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
