"""The action plan's state: what the workflow carries and queries return.

Built only from recorded events (one ``on_*`` handler per event). Actions are
held without their text: free text stays in the event store.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.action_plan.checks import check as check_rules
from domain.action_plan.commands import ACTION_PLAN_COMMANDS
from domain.action_plan.stages import ActionPlanStage
from domain.calendar import add_calendar_months
from domain.qa.clock import QaPolicy, QaState
from domain.values import Command

if TYPE_CHECKING:
    from domain.action_plan import events

__all__ = ["ActionPlanStage", "ActionPlanState", "ActionState", "ImpactCheck", "action_ids"]


def action_ids(existing: int, count: int) -> list[str]:
    """The ids of ``count`` new actions after ``existing`` ones: A1, A2, ..."""
    return [f"A{i}" for i in range(existing + 1, existing + 1 + count)]


class ActionState(BaseModel):
    """An action without its text (free text stays in the event store)."""

    model_config = ConfigDict(extra="ignore")
    id: str
    owner_agency: str
    due_on: date
    round: int
    status: Literal["open", "complete"] = "open"
    last_progress: str | None = None
    progress_updates: int = 0
    evidence: int = 0
    #: the day the latest evidence was received
    evidence_on: date | None = None
    completed_on: date | None = None
    late: bool = False


class ImpactCheck(BaseModel):
    model_config = ConfigDict(extra="ignore")
    round: int
    checked_on: date
    method: str
    result: str
    new_actions: list[str]


class ActionPlanState(QaState):
    COMMANDS: ClassVar[dict[str, type[Command]]] = ACTION_PLAN_COMMANDS
    LABEL: ClassVar[str] = "action plan"

    stage: ActionPlanStage
    source: str
    source_ref: str
    round: int = 1
    actions: dict[str, ActionState] = Field(default_factory=dict)
    completed_on: date | None = None
    impact_from: date | None = None
    impact_checks: list[ImpactCheck] = Field(default_factory=list)

    @classmethod
    def opened_by(cls, e: events.PlanOpened) -> ActionPlanState:
        """The state of a plan just opened (from the opening event's own fields)."""
        state = cls(
            ref=e.plan_ref,
            partnership=e.partnership,
            policy=QaPolicy.model_validate(e.policy),
            calendar_version=e.calendar_version,
            opened_on=e.opened_on,
            stage=ActionPlanStage.IN_PROGRESS,
            source=e.source,
            source_ref=e.source_ref,
        )
        state.add_actions(e.actions)
        return state

    def open_actions(self) -> list[ActionState]:
        return [a for a in self.actions.values() if a.status == "open"]

    def next_action_ids(self, count: int) -> list[str]:
        return action_ids(len(self.actions), count)

    def check(self, command: Command, today: date, *, before_issue_8: bool = False) -> None:
        """Raise ``RuleViolation`` if ``command`` may not be applied now (see ``checks``)."""
        check_rules(self, command, today, before_issue_8=before_issue_8)

    # --------------------------------------------------------------- mutations

    def add_actions(self, specs: list[dict[str, Any]]) -> None:
        for action_id, spec in zip(self.next_action_ids(len(specs)), specs, strict=True):
            self.actions[action_id] = ActionState(
                id=action_id,
                owner_agency=spec["owner_agency"],
                due_on=spec["due_on"],
                round=self.round,
            )

    def on_progress_reported(self, e: events.ProgressReported) -> None:
        a = self.actions[e.action_id]
        a.progress_updates += 1
        a.last_progress = e.status

    def on_evidence_received(self, e: events.EvidenceReceived) -> None:
        a = self.actions[e.action_id]
        a.evidence += 1
        a.evidence_on = max(a.evidence_on or e.received_on, e.received_on)

    def on_action_completed(self, e: events.ActionCompleted) -> None:
        a = self.actions[e.action_id]
        a.status, a.completed_on, a.late = "complete", e.completed_on, e.completed_on > a.due_on
        self.meet(f"action:{a.id}", e.completed_on)
        if not self.open_actions():
            self.stage = ActionPlanStage.AWAITING_IMPACT_CHECK
            self.completed_on = e.completed_on
            self.impact_from = add_calendar_months(e.completed_on, self.policy.impact_check_months)

    def on_impact_checked(self, e: events.ImpactChecked) -> None:
        new_ids = self.next_action_ids(len(e.new_actions))
        self.impact_checks.append(
            ImpactCheck(
                round=self.round,
                checked_on=e.checked_on,
                method=e.method,
                result=e.result,
                new_actions=new_ids,
            )
        )
        self.meet("impact_check", e.checked_on)
        if e.result == "improved":
            self.stage = ActionPlanStage.CLOSED
            self.close("practice improved: impact evidenced")
            return
        self.round += 1
        self.add_actions(e.new_actions)
        self.stage = ActionPlanStage.IN_PROGRESS
        self.completed_on = self.impact_from = None
