"""Client-side use of the lifecycle-2 workflows: what the CLI (and later an API) calls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from pydantic import BaseModel
from temporalio.client import Client

from domain.action_plan import ACTION_PLAN_COMMANDS, ActionPlanState, OpenPlanFromReview
from domain.audit import AUDIT_COMMANDS, AuditState, PlanAudit, action_plan_ref
from domain.child_of_concern import CONCERN_COMMANDS, ConcernState
from domain.qa import QaState
from domain.values import Command
from qa_engine.entry.workflow_calls import (
    WorkflowRow,
    list_rows,
    on_scoped_workflow,
    query_state,
    send_step,
    start_and_wait,
)
from workflows.qa_contracts import (
    StartActionPlan,
    StartAudit,
    legacy_qa_workflow_id,
    qa_workflow_id,
)

__all__ = ["LIFECYCLES", "Lifecycle", "QaClient", "RecordRow"]

Kind = Literal["audit", "actionplan", "childofconcern"]


class Lifecycle(BaseModel):
    kind: Kind
    workflow_type: str
    state_type: type[QaState]
    commands: dict[str, type[Command]]

    def workflow_id(self, partnership: str, ref: str) -> str:
        return qa_workflow_id(self.kind, partnership, ref)

    def legacy_workflow_id(self, ref: str) -> str:
        return legacy_qa_workflow_id(self.kind, ref)


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


#: One row of ``qa-engine <kind> list``.
RecordRow = WorkflowRow


class QaClient:
    def __init__(
        self, client: Client, task_queue: str, *, step_deadline: float | None = None
    ) -> None:
        """``step_deadline``: seconds a step waits for its answer (``Unavailable`` after)."""
        self.client, self.task_queue = client, task_queue
        self.step_deadline = step_deadline

    async def plan_audit(self, plan: PlanAudit, *, wait_seconds: float | None = None) -> AuditState:
        """Start the audit's workflow and wait until the plan is recorded."""
        life = LIFECYCLES["audit"]
        state: AuditState = await self._start(
            life, plan.audit_ref, plan.partnership, StartAudit(plan=plan), wait_seconds
        )
        return state

    async def open_plan_from_review(
        self, command: OpenPlanFromReview, *, partnership: str, wait_seconds: float | None = None
    ) -> ActionPlanState:
        """Open the action plan of a review case's recommendations (read from its history)."""
        life = LIFECYCLES["actionplan"]
        state: ActionPlanState = await self._start(
            life,
            action_plan_ref(command.case_ref),
            command.partnership or partnership,
            StartActionPlan(from_review=command),
            wait_seconds,
        )
        return state

    async def _start(
        self,
        life: Lifecycle,
        ref: str,
        partnership: str,
        arg: BaseModel,
        wait_seconds: float | None,
    ) -> Any:
        return await start_and_wait(
            self.client,
            life.workflow_type,
            arg,
            workflow_id=life.workflow_id(partnership, ref),
            task_queue=self.task_queue,
            ref=ref.upper(),
            partnership=partnership.upper(),
            what=life.kind,
            state_type=life.state_type,
            wait_seconds=wait_seconds or self.step_deadline or 30,
        )

    async def record(
        self,
        partnership: str,
        kind: Kind,
        ref: str,
        step: str,
        command: Command,
        *,
        request_id: str | None = None,
    ) -> QaState:
        """Send one step as a Temporal update; a rejection raises ``RuleViolation``.
        ``request_id``: the update id (one id is recorded once)."""
        life = LIFECYCLES[kind]
        if not isinstance(command, life.commands[step]):
            raise TypeError(f"{step} takes {life.commands[step].__name__}")

        async def send(workflow_id: str) -> QaState:
            result: QaState = await send_step(
                self.client,
                workflow_id,
                step,
                command,
                life.state_type,
                f"{kind} {ref}",
                request_id=request_id,
                deadline=self.step_deadline,
            )
            return result

        return await self._on_record(partnership, life, ref, send)

    async def state(self, partnership: str, kind: Kind, ref: str) -> QaState:
        life = LIFECYCLES[kind]

        async def query(workflow_id: str) -> QaState:
            state: QaState = await query_state(
                self.client, workflow_id, life.state_type, f"{kind} {ref}"
            )
            return state

        return await self._on_record(partnership, life, ref, query)

    async def _on_record(
        self,
        partnership: str,
        life: Lifecycle,
        ref: str,
        call: Callable[[str], Awaitable[QaState]],
    ) -> QaState:
        state: QaState = await on_scoped_workflow(
            self.client,
            partnership,
            life.workflow_id(partnership, ref),
            life.legacy_workflow_id(ref),
            life.state_type,
            call,
            f"{life.kind} {ref}",
        )
        return state

    async def list_records(
        self, kind: Kind, *, include_closed: bool = False, partnership: str | None = None
    ) -> list[RecordRow]:
        """Records of ``partnership`` (every partnership's when None: operations only)."""
        return await list_rows(
            self.client,
            [LIFECYCLES[kind].workflow_type],
            include_closed=include_closed,
            partnership=partnership,
        )
