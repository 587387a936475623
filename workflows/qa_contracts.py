"""Lifecycle 2 contracts: workflow ids, activity names and their input models.

The search attributes are the ones registered for the review lifecycle
(``workflows.contracts``): case reference (the audit / plan / concern ref),
stage, next deadline, breached flag and partnership. No personal data.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.action_plan import ActionPlanState, OpenActionPlan, OpenPlanFromReview
from domain.audit import AuditState, PlanAudit
from domain.child_of_concern import ConcernState, OpenConcern

__all__ = [
    "OPEN_ACTION_PLAN",
    "OPEN_CHILD_OF_CONCERN",
    "PLAN_AUDIT",
    "RECORD_QA_ESCALATION",
    "RECORD_QA_REMINDER",
    "ClockFireInput",
    "OpenConcernInput",
    "OpenPlanInput",
    "PlanAuditInput",
    "QaStepInput",
    "StartActionPlan",
    "StartAudit",
    "StartConcern",
    "action_plan_workflow_id",
    "audit_workflow_id",
    "concern_workflow_id",
    "legacy_qa_workflow_id",
    "qa_workflow_id",
]

PLAN_AUDIT = "plan_audit"
OPEN_ACTION_PLAN = "open_action_plan"
OPEN_CHILD_OF_CONCERN = "open_child_of_concern"
RECORD_QA_REMINDER = "record_qa_reminder"
RECORD_QA_ESCALATION = "record_qa_escalation"


def qa_workflow_id(kind: str, partnership: str, ref: str) -> str:
    """``<kind>-<PARTNERSHIP>-<REF>``: a reference is unique within its partnership."""
    return f"{kind}-{partnership.upper()}-{ref.upper()}"


def legacy_qa_workflow_id(kind: str, ref: str) -> str:
    """The id records were started under before partnerships were tenants."""
    return f"{kind}-{ref.upper()}"


def audit_workflow_id(partnership: str, ref: str) -> str:
    return qa_workflow_id("audit", partnership, ref)


def action_plan_workflow_id(partnership: str, ref: str) -> str:
    return qa_workflow_id("actionplan", partnership, ref)


def concern_workflow_id(partnership: str, ref: str) -> str:
    return qa_workflow_id("childofconcern", partnership, ref)


class _Contract(BaseModel):
    # Stored in Temporal histories for years: a field a later release removes
    # must still load from an old history (unknown fields are ignored).
    model_config = ConfigDict(frozen=True, extra="ignore")


class StartAudit(_Contract):
    plan: PlanAudit
    #: True when a client opens the audit with update-with-start (the ``open`` update)
    by_update: bool = False
    #: set when the workflow continues as new: the state carried over
    resume: AuditState | None = None
    #: continue as new once the run's history grows past this many events
    history_limit: int = Field(default=2000, ge=50)


class StartActionPlan(_Contract):
    """Exactly one of ``open`` (explicit actions) or ``from_review`` (recommendations)."""

    open: OpenActionPlan | None = None
    from_review: OpenPlanFromReview | None = None
    #: True when a client opens the plan with update-with-start (the ``open`` update)
    by_update: bool = False
    #: set when the workflow continues as new: the state carried over
    resume: ActionPlanState | None = None
    #: continue as new once the run's history grows past this many events
    history_limit: int = Field(default=2000, ge=50)


class StartConcern(_Contract):
    open: OpenConcern
    #: set when the workflow continues as new: the state carried over
    resume: ConcernState | None = None
    #: continue as new once the run's history grows past this many events
    history_limit: int = Field(default=2000, ge=50)


class PlanAuditInput(_Contract):
    plan: PlanAudit
    key: str
    today: date


class OpenPlanInput(_Contract):
    open: OpenActionPlan | None = None
    from_review: OpenPlanFromReview | None = None
    key: str
    today: date


class OpenConcernInput(_Contract):
    open: OpenConcern
    key: str
    today: date


class QaStepInput(_Contract):
    #: None in tasks scheduled before partnerships were tenants
    partnership: str | None = None
    ref: str
    step: str
    command: dict[str, Any]
    key: str
    today: date


class ClockFireInput(_Contract):
    kind: Literal["audit", "actionplan", "childofconcern"]
    #: None in tasks scheduled before partnerships were tenants
    partnership: str | None = None
    ref: str
    clock: str
    index: int
    key: str
    at: datetime
