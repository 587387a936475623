"""Lifecycle-2 activities: thin adapters from the contracts to one service call each.

Domain errors become non-retryable ``ApplicationError`` named after the error's
type; anything else is retried by Temporal, and the idempotency key
(``<workflow id>/<update id>`` or ``<workflow id>/<timer>``) makes every retry
append nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio import activity

from domain.action_plan import ACTION_PLAN_COMMANDS, ActionPlanState
from domain.audit import AUDIT_COMMANDS, AuditState
from domain.child_of_concern import CONCERN_COMMANDS, ConcernState
from domain.qa import QaState
from domain.values import Command
from qa_engine.audits import QualityService, RecordKind
from workers.activities import domain_call, named_step
from workflows.qa_contracts import (
    OPEN_ACTION_PLAN,
    OPEN_CHILD_OF_CONCERN,
    PLAN_AUDIT,
    RECORD_QA_ESCALATION,
    RECORD_QA_REMINDER,
    ClockFireInput,
    OpenConcernInput,
    OpenPlanInput,
    PlanAuditInput,
    QaStepInput,
)

__all__ = ["quality_activities"]


def quality_activities(service: QualityService) -> list[Callable[..., Any]]:
    """Every activity of the quality-assurance lifecycle, bound to ``service``."""

    @activity.defn(name=PLAN_AUDIT)
    def plan_audit(inp: PlanAuditInput) -> AuditState:
        return domain_call(
            lambda: service.plan_audit(inp.plan, key=inp.key, today=inp.today),
            ref=inp.plan.audit_ref,
        )

    @activity.defn(name=OPEN_ACTION_PLAN)
    def open_action_plan(inp: OpenPlanInput) -> ActionPlanState:
        if inp.open is not None:
            command = inp.open
            return domain_call(
                lambda: service.open_action_plan(command, key=inp.key, today=inp.today),
                ref=command.plan_ref,
            )
        assert inp.from_review is not None
        from_review = inp.from_review
        return domain_call(
            lambda: service.open_plan_from_review(from_review, key=inp.key, today=inp.today),
            ref=from_review.case_ref,
        )

    @activity.defn(name=OPEN_CHILD_OF_CONCERN)
    def open_child_of_concern(inp: OpenConcernInput) -> ConcernState:
        return domain_call(
            lambda: service.open_concern(inp.open, key=inp.key, today=inp.today),
            ref=inp.open.concern_ref,
        )

    def clock_activity(name: str, fire: Callable[..., QaState]) -> Callable[..., Any]:
        return named_step(
            name,
            ClockFireInput,
            lambda inp: fire(
                service.partnership_of(inp.partnership, inp.kind, inp.ref),
                inp.kind,
                inp.ref,
                inp.clock,
                inp.index,
                key=inp.key,
                at=inp.at,
            ),
            lambda inp: {"ref": inp.ref, "clock": inp.clock},
        )

    record_qa_reminder = clock_activity(RECORD_QA_REMINDER, service.send_reminder)
    record_qa_escalation = clock_activity(RECORD_QA_ESCALATION, service.escalate)

    def step_activity(
        kind: RecordKind, step: str, model: type[Command], record: Callable[..., QaState]
    ) -> Callable[..., Any]:
        return named_step(
            step,
            QaStepInput,
            lambda inp: record(
                service.partnership_of(inp.partnership, kind, inp.ref),
                inp.ref,
                step,
                model.model_validate(inp.command),
                key=inp.key,
                today=inp.today,
            ),
            lambda inp: {"ref": inp.ref},
        )

    steps = [
        *(
            step_activity("audit", s, m, service.record_audit_step)
            for s, m in AUDIT_COMMANDS.items()
        ),
        *(
            step_activity("actionplan", s, m, service.record_plan_step)
            for s, m in ACTION_PLAN_COMMANDS.items()
        ),
        *(
            step_activity("childofconcern", s, m, service.record_concern_step)
            for s, m in CONCERN_COMMANDS.items()
        ),
    ]
    return [
        plan_audit,
        open_action_plan,
        open_child_of_concern,
        record_qa_reminder,
        record_qa_escalation,
        *steps,
    ]
