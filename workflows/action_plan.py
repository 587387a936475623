"""The action plan workflow: one per plan, id ``actionplan-<partnership>-<plan ref>``.

Started by the audit workflow (``raise_action_plan``) or by a client for a
review case's recommendations. Every action's reminders and escalations (to
the QA subgroup chair, then the executive) are durable timers; when every
action is complete the impact check clock runs, and a "not improved" check
opens new actions and the cycle runs again.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.action_plan import (
        ActionPlanState,
        CompleteAction,
        RecordActionEvidence,
        RecordActionProgress,
        RecordImpactCheck,
    )
    from workflows.qa_common import QA_RULES_ISSUE_8, QaWorkflow
    from workflows.qa_contracts import OPEN_ACTION_PLAN, OpenPlanInput, StartActionPlan

__all__ = ["ActionPlanWorkflow"]


@workflow.defn(name="ActionPlanWorkflow")
class ActionPlanWorkflow(QaWorkflow[ActionPlanState]):
    #: issue 8: every date in order (steps recorded before it replay without the rule)
    RULES_PATCH = QA_RULES_ISSUE_8
    KIND = "actionplan"
    STATE = ActionPlanState
    WHAT = "action plan"

    @workflow.run
    async def run(self, start: StartActionPlan) -> ActionPlanState | None:
        return await self._live(start)

    @workflow.update
    async def open(self, start: StartActionPlan) -> ActionPlanState:
        """Record the opening (a client's update-with-start); refused: nothing recorded."""
        return await self._open(start)

    @open.validator
    def _v_open(self, start: StartActionPlan) -> None:
        self._validate_open(start)

    def _open_call(self, start: StartActionPlan) -> tuple[str, OpenPlanInput]:
        return OPEN_ACTION_PLAN, OpenPlanInput(
            open=start.open,
            from_review=start.from_review,
            key=f"{workflow.info().workflow_id}/opened",
            today=self._today(),
        )

    @workflow.query
    def state(self) -> ActionPlanState | None:
        """The plan as the workflow last recorded it (None until it is recorded)."""
        return self._state

    @workflow.update
    async def record_action_progress(self, c: RecordActionProgress) -> ActionPlanState:
        return await self._step("record_action_progress", c)

    @record_action_progress.validator
    def _v_progress(self, c: RecordActionProgress) -> None:
        self._validate(c)

    @workflow.update
    async def record_action_evidence(self, c: RecordActionEvidence) -> ActionPlanState:
        return await self._step("record_action_evidence", c)

    @record_action_evidence.validator
    def _v_evidence(self, c: RecordActionEvidence) -> None:
        self._validate(c)

    @workflow.update
    async def complete_action(self, c: CompleteAction) -> ActionPlanState:
        return await self._step("complete_action", c)

    @complete_action.validator
    def _v_complete(self, c: CompleteAction) -> None:
        self._validate(c)

    @workflow.update
    async def record_impact_check(self, c: RecordImpactCheck) -> ActionPlanState:
        return await self._step("record_impact_check", c)

    @record_impact_check.validator
    def _v_impact(self, c: RecordImpactCheck) -> None:
        self._validate(c)
