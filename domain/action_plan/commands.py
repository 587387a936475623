"""The action plan's commands: strict input models, validated at the edge, never stored.

An action plan is opened from an audit (``RaiseActionPlan``) or from a review
case's recommendations. Each action has an owner agency, a due day and a success
measure; reminders go to the owner before the due day, and an overdue action is
escalated first to the QA subgroup chair, then to the partnership executive.
When every action is complete, the impact check window opens after the
configured interval: practice improved closes the plan; not improved opens new
actions and the cycle runs again.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from domain.audit.commands import ActionSpec
from domain.values import CaseRef, Command, Day, FreeText, PartnershipCode, invalid

__all__ = [
    "ACTION_PLAN_COMMANDS",
    "ActionId",
    "CompleteAction",
    "OpenActionPlan",
    "OpenPlanFromReview",
    "PlanRef",
    "RecordActionEvidence",
    "RecordActionProgress",
    "RecordImpactCheck",
]

PlanRef = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Z0-9][A-Z0-9-]{2,47}$"),
]
ActionId = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^A[0-9]{1,3}$")
]


# --------------------------------------------------------------------- commands


class OpenActionPlan(Command):
    """Open an action plan for an audit or a review case."""

    plan_ref: PlanRef
    partnership: PartnershipCode
    source: Literal["audit", "review"]
    source_ref: CaseRef
    opened_on: Day
    actions: list[ActionSpec] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _due(self) -> OpenActionPlan:
        for i, a in enumerate(self.actions, 1):
            if a.due_on <= self.opened_on:
                raise invalid(
                    "actions", "chronology", f"action {i} must be due after the plan is opened"
                )
        return self


class OpenPlanFromReview(Command):
    """Open the action plan of a review case: one action per recorded recommendation."""

    case_ref: CaseRef = Field(description="the review case whose recommendations to act on")
    partnership: PartnershipCode | None = Field(
        default=None, description="the review's partnership (default: the acting principal's)"
    )
    opened_on: Day
    due_on: Day = Field(description="when the actions are due")
    success_measure: FreeText = Field(description="how success of each action is measured")

    @model_validator(mode="after")
    def _due(self) -> OpenPlanFromReview:
        if self.due_on <= self.opened_on:
            raise invalid(
                "due_on", "chronology", "the actions must be due after the plan is opened"
            )
        return self


class RecordActionProgress(Command):
    """A progress update on one action."""

    action_id: ActionId
    reported_on: Day
    status: Literal["on_track", "at_risk", "off_track"]
    note: FreeText | None = None


class RecordActionEvidence(Command):
    """Evidence that an action is being (or has been) delivered."""

    action_id: ActionId
    received_on: Day
    evidence: FreeText


class CompleteAction(Command):
    """An action is complete (its evidence recorded first)."""

    action_id: ActionId
    completed_on: Day
    note: FreeText | None = None


class RecordImpactCheck(Command):
    """Re-audit or re-measure: did practice improve? Not improved needs new actions."""

    checked_on: Day
    method: Literal["re_audit", "re_measure"]
    result: Literal["improved", "not_improved"]
    measure: FreeText = Field(description="what was re-audited or re-measured, and the result")
    new_actions: list[ActionSpec] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _actions(self) -> RecordImpactCheck:
        if self.result == "not_improved" and not self.new_actions:
            raise invalid(
                "new_actions",
                "new_action_when_not_improved",
                "practice did not improve, so at least one new action is needed",
            )
        if self.result == "improved" and self.new_actions:
            raise invalid(
                "new_actions",
                "only_when_not_improved",
                "only allowed when practice did not improve",
            )
        for i, a in enumerate(self.new_actions, 1):
            if a.due_on <= self.checked_on:
                raise invalid(
                    "new_actions", "chronology", f"action {i} must be due after the check"
                )
        return self


ACTION_PLAN_COMMANDS: dict[str, type[Command]] = {
    "record_action_progress": RecordActionProgress,
    "record_action_evidence": RecordActionEvidence,
    "complete_action": CompleteAction,
    "record_impact_check": RecordImpactCheck,
}
