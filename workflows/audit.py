"""The audit workflow: one per audit, id ``audit-<partnership>-<ref>``.

Plan → sample → agency returns (chasers before the due day, escalation after)
→ moderation → findings → report and learning briefing → action plan (or close
with reasons). Findings that grade a case Inadequate in a practice evaluation
start a child-of-concern workflow per case; raising the action plan starts the
plan's workflow. Both are started as children that outlive the audit
(``ParentClosePolicy.ABANDON``): an audit is done when its report is, the plan
and the concerns carry on.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from domain.action_plan import OpenActionPlan
    from domain.audit import (
        AuditState,
        CloseAudit,
        DrawSample,
        RaiseActionPlan,
        RecordAuditReport,
        RecordFindings,
        RecordLearningBriefing,
        RecordModeration,
        RecordReturn,
        RequestReturns,
    )
    from domain.child_of_concern import OpenConcern
    from workflows.qa_common import QA_RULES_ISSUE_8, QaWorkflow
    from workflows.qa_contracts import (
        PLAN_AUDIT,
        PlanAuditInput,
        StartActionPlan,
        StartAudit,
        StartConcern,
        legacy_qa_workflow_id,
        qa_workflow_id,
    )

__all__ = ["AuditWorkflow"]

#: patch id: children are started under ids that include the partnership
PARTNERSHIP_IN_CHILD_IDS = "partnership-in-child-workflow-ids"


@workflow.defn(name="AuditWorkflow")
class AuditWorkflow(QaWorkflow[AuditState]):
    #: issue 8: every date in order (steps recorded before it replay without the rule)
    RULES_PATCH = QA_RULES_ISSUE_8
    KIND = "audit"
    STATE = AuditState
    WHAT = "audit"

    def __init__(self) -> None:
        super().__init__()
        self._children: set[str] = set()

    @workflow.run
    async def run(self, start: StartAudit) -> AuditState | None:
        return await self._live(start)

    @workflow.update
    async def open(self, start: StartAudit) -> AuditState:
        """Record the opening (a client's update-with-start); refused: nothing recorded."""
        return await self._open(start)

    @open.validator
    def _v_open(self, start: StartAudit) -> None:
        self._validate_open(start)

    def _open_call(self, start: StartAudit) -> tuple[str, PlanAuditInput]:
        key = f"{workflow.info().workflow_id}/planned"
        return PLAN_AUDIT, PlanAuditInput(plan=start.plan, key=key, today=self._today())

    def _child_id(self, kind: str, ref: str) -> str:
        """``<kind>-<P>-<REF>``; runs that started children before partnerships were
        tenants keep doing so under ``<kind>-<REF>`` (replay must see the same id)."""
        assert self._state is not None
        if workflow.patched(PARTNERSHIP_IN_CHILD_IDS):
            return qa_workflow_id(kind, self._state.partnership, ref)
        return legacy_qa_workflow_id(kind, ref)

    async def _start_child(self, workflow_id: str, workflow_name: str, arg: object) -> None:
        if workflow_id in self._children:
            return
        self._children.add(workflow_id)
        try:
            await workflow.start_child_workflow(
                workflow_name,
                arg,
                id=workflow_id,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("child already running", extra={"child": workflow_id})

    @workflow.query
    def state(self) -> AuditState | None:
        """The audit as the workflow last recorded it (None until it is recorded)."""
        return self._state

    # --------------------------------------------------------------- updates

    @workflow.update
    async def draw_audit_sample(self, c: DrawSample) -> AuditState:
        return await self._step("draw_audit_sample", c)

    @draw_audit_sample.validator
    def _v_sample(self, c: DrawSample) -> None:
        self._validate(c)

    @workflow.update
    async def request_audit_returns(self, c: RequestReturns) -> AuditState:
        return await self._step("request_audit_returns", c)

    @request_audit_returns.validator
    def _v_request(self, c: RequestReturns) -> None:
        self._validate(c)

    @workflow.update
    async def record_audit_return(self, c: RecordReturn) -> AuditState:
        return await self._step("record_audit_return", c)

    @record_audit_return.validator
    def _v_return(self, c: RecordReturn) -> None:
        self._validate(c)

    @workflow.update
    async def record_audit_moderation(self, c: RecordModeration) -> AuditState:
        return await self._step("record_audit_moderation", c)

    @record_audit_moderation.validator
    def _v_moderation(self, c: RecordModeration) -> None:
        self._validate(c)

    @workflow.update
    async def record_audit_findings(self, c: RecordFindings) -> AuditState:
        state = await self._step("record_audit_findings", c)
        for concern in state.concerns:
            await self._start_child(
                self._child_id("childofconcern", concern.concern_ref),
                "ChildOfConcernWorkflow",
                StartConcern(
                    open=OpenConcern(
                        actor=c.actor,
                        concern_ref=concern.concern_ref,
                        audit_ref=state.ref,
                        sample_no=concern.sample_no,
                        partnership=state.partnership,
                        graded_on=concern.graded_on,
                    )
                ),
            )
        return state

    @record_audit_findings.validator
    def _v_findings(self, c: RecordFindings) -> None:
        self._validate(c)

    @workflow.update
    async def record_audit_report(self, c: RecordAuditReport) -> AuditState:
        return await self._step("record_audit_report", c)

    @record_audit_report.validator
    def _v_report(self, c: RecordAuditReport) -> None:
        self._validate(c)

    @workflow.update
    async def record_learning_briefing(self, c: RecordLearningBriefing) -> AuditState:
        return await self._step("record_learning_briefing", c)

    @record_learning_briefing.validator
    def _v_briefing(self, c: RecordLearningBriefing) -> None:
        self._validate(c)

    @workflow.update
    async def raise_action_plan(self, c: RaiseActionPlan) -> AuditState:
        state = await self._step("raise_action_plan", c)
        assert state.action_plan_ref is not None
        await self._start_child(
            self._child_id("actionplan", state.action_plan_ref),
            "ActionPlanWorkflow",
            StartActionPlan(
                open=OpenActionPlan(
                    actor=c.actor,
                    plan_ref=state.action_plan_ref,
                    partnership=state.partnership,
                    source="audit",
                    source_ref=state.ref,
                    opened_on=c.raised_on,
                    actions=c.actions,
                )
            ),
        )
        return state

    @raise_action_plan.validator
    def _v_raise(self, c: RaiseActionPlan) -> None:
        self._validate(c)

    @workflow.update
    async def close_audit(self, c: CloseAudit) -> AuditState:
        return await self._step("close_audit", c)

    @close_audit.validator
    def _v_close(self, c: CloseAudit) -> None:
        self._validate(c)
