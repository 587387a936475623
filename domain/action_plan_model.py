"""Lifecycle 2, action plans: actions → progress and evidence → completion → impact check.

An action plan is opened from an audit (``RaiseActionPlan``) or from a review
case's recommendations. Each action has an owner agency, a due day and a success
measure; reminders go to the owner before the due day, and an overdue action is
escalated first to the QA subgroup chair, then to the partnership executive.
When every action is complete, the impact check window opens after the
configured interval: practice improved closes the plan; not improved opens new
actions and the cycle runs again.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.audit_model import ActionSpec
from domain.calendar import WorkingDayCalendar, add_calendar_months
from domain.errors import OutOfOrder, RuleViolation
from domain.qa_clock import Clock, QaPolicy, QaState, make_clock
from domain.values import CaseRef, Command, FreeText, PartnershipCode

__all__ = [
    "ACTION_PLAN_COMMANDS",
    "ActionId",
    "ActionPlanStage",
    "ActionPlanState",
    "ActionState",
    "CompleteAction",
    "OpenActionPlan",
    "OpenPlanFromReview",
    "PlanRef",
    "RecordActionEvidence",
    "RecordActionProgress",
    "RecordImpactCheck",
    "initial_plan_state",
    "plan_action_plan_clocks",
    "plan_opening_clocks",
]

PlanRef = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Z0-9][A-Z0-9-]{2,47}$"),
]
ActionId = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^A[0-9]{1,3}$")
]


class ActionPlanStage(StrEnum):
    IN_PROGRESS = "in_progress"
    AWAITING_IMPACT_CHECK = "awaiting_impact_check"
    CLOSED = "closed"


# --------------------------------------------------------------------- commands


class OpenActionPlan(Command):
    """Open an action plan for an audit or a review case."""

    plan_ref: PlanRef
    partnership: PartnershipCode
    source: Literal["audit", "review"]
    source_ref: CaseRef
    opened_on: date
    actions: list[ActionSpec] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _due(self) -> OpenActionPlan:
        for i, a in enumerate(self.actions, 1):
            if a.due_on <= self.opened_on:
                raise ValueError(f"actions: action {i} must be due after the plan is opened")
        return self


class OpenPlanFromReview(Command):
    """Open the action plan of a review case: one action per recorded recommendation."""

    case_ref: CaseRef = Field(description="the review case whose recommendations to act on")
    partnership: PartnershipCode | None = Field(
        default=None, description="the review's partnership (default: the acting principal's)"
    )
    opened_on: date
    due_on: date = Field(description="when the actions are due")
    success_measure: FreeText = Field(description="how success of each action is measured")

    @model_validator(mode="after")
    def _due(self) -> OpenPlanFromReview:
        if self.due_on <= self.opened_on:
            raise ValueError("due_on: the actions must be due after the plan is opened")
        return self


class RecordActionProgress(Command):
    """A progress update on one action."""

    action_id: ActionId
    reported_on: date
    status: Literal["on_track", "at_risk", "off_track"]
    note: FreeText | None = None


class RecordActionEvidence(Command):
    """Evidence that an action is being (or has been) delivered."""

    action_id: ActionId
    received_on: date
    evidence: FreeText


class CompleteAction(Command):
    """An action is complete (its evidence recorded first)."""

    action_id: ActionId
    completed_on: date
    note: FreeText | None = None


class RecordImpactCheck(Command):
    """Re-audit or re-measure: did practice improve? Not improved needs new actions."""

    checked_on: date
    method: Literal["re_audit", "re_measure"]
    result: Literal["improved", "not_improved"]
    measure: FreeText = Field(description="what was re-audited or re-measured, and the result")
    new_actions: list[ActionSpec] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _actions(self) -> RecordImpactCheck:
        if self.result == "not_improved" and not self.new_actions:
            raise ValueError(
                "new_actions: practice did not improve, so at least one new action is needed"
            )
        if self.result == "improved" and self.new_actions:
            raise ValueError("new_actions: only allowed when practice did not improve")
        for i, a in enumerate(self.new_actions, 1):
            if a.due_on <= self.checked_on:
                raise ValueError(f"new_actions: action {i} must be due after the check")
        return self


ACTION_PLAN_COMMANDS: dict[str, type[Command]] = {
    "record_action_progress": RecordActionProgress,
    "record_action_evidence": RecordActionEvidence,
    "complete_action": CompleteAction,
    "record_impact_check": RecordImpactCheck,
}


# ------------------------------------------------------------------------ state


class ActionState(BaseModel):
    """An action without its text (free text stays in the event store)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    owner_agency: str
    due_on: date
    round: int
    status: Literal["open", "complete"] = "open"
    last_progress: str | None = None
    progress_updates: int = 0
    evidence: int = 0
    completed_on: date | None = None
    late: bool = False


class ImpactCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")
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

    def open_actions(self) -> list[ActionState]:
        return [a for a in self.actions.values() if a.status == "open"]

    def next_action_ids(self, count: int) -> list[str]:
        start = len(self.actions) + 1
        return [f"A{i}" for i in range(start, start + count)]

    # ------------------------------------------------------------------ guards

    def _action(self, action_id: str) -> ActionState:
        a = self.actions.get(action_id)
        if a is None:
            raise RuleViolation(
                f"no action {action_id} in plan {self.ref} "
                f"(actions: {', '.join(self.actions) or 'none'})",
                field="action_id",
                rule="action_exists",
            )
        if a.status != "open":
            raise RuleViolation(
                f"action {action_id} is already complete", field="action_id", rule="action_open"
            )
        return a

    def _check_record_action_progress(self, c: RecordActionProgress, today: date) -> None:
        self._action(c.action_id)

    def _check_record_action_evidence(self, c: RecordActionEvidence, today: date) -> None:
        self._action(c.action_id)

    def _check_complete_action(self, c: CompleteAction, today: date) -> None:
        a = self._action(c.action_id)
        if a.evidence == 0:
            raise OutOfOrder(
                f"record evidence for action {c.action_id} before completing it",
                field="action_id",
                rule="evidence_first",
            )

    def _check_record_impact_check(self, c: RecordImpactCheck, today: date) -> None:
        if self.stage is not ActionPlanStage.AWAITING_IMPACT_CHECK or self.impact_from is None:
            raise OutOfOrder(
                f"the impact check follows completion of every action; "
                f"{len(self.open_actions())} action(s) still open",
                rule="actions_complete_first",
            )
        if c.checked_on < self.impact_from:
            raise RuleViolation(
                f"impact is checked after the {self.policy.impact_check_months}-month interval: "
                f"not before {self.impact_from.isoformat()}",
                field="checked_on",
                rule="impact_interval",
            )

    # --------------------------------------------------------------- mutations

    def add_actions(self, specs: list[ActionSpec]) -> None:
        for action_id, spec in zip(self.next_action_ids(len(specs)), specs, strict=True):
            self.actions[action_id] = ActionState(
                id=action_id, owner_agency=spec.owner_agency, due_on=spec.due_on, round=self.round
            )

    def _on_record_action_progress(self, c: RecordActionProgress) -> None:
        a = self.actions[c.action_id]
        a.progress_updates += 1
        a.last_progress = c.status

    def _on_record_action_evidence(self, c: RecordActionEvidence) -> None:
        self.actions[c.action_id].evidence += 1

    def _on_complete_action(self, c: CompleteAction) -> None:
        a = self.actions[c.action_id]
        a.status, a.completed_on, a.late = "complete", c.completed_on, c.completed_on > a.due_on
        self.meet(f"action:{a.id}", c.completed_on)
        if not self.open_actions():
            self.stage = ActionPlanStage.AWAITING_IMPACT_CHECK
            self.completed_on = c.completed_on
            self.impact_from = add_calendar_months(c.completed_on, self.policy.impact_check_months)

    def _on_record_impact_check(self, c: RecordImpactCheck) -> None:
        new_ids = self.next_action_ids(len(c.new_actions))
        self.impact_checks.append(
            ImpactCheck(
                round=self.round,
                checked_on=c.checked_on,
                method=c.method,
                result=c.result,
                new_actions=new_ids,
            )
        )
        self.meet("impact_check", c.checked_on)
        if c.result == "improved":
            self.stage = ActionPlanStage.CLOSED
            self.close("practice improved: impact evidenced")
            return
        self.round += 1
        self.add_actions(c.new_actions)
        self.stage = ActionPlanStage.IN_PROGRESS
        self.completed_on = self.impact_from = None


def initial_plan_state(
    c: OpenActionPlan, *, policy: QaPolicy, calendar_version: str, today: date
) -> ActionPlanState:
    state = ActionPlanState(
        ref=c.plan_ref,
        partnership=c.partnership,
        policy=policy,
        calendar_version=calendar_version,
        opened_on=c.opened_on,
        stage=ActionPlanStage.IN_PROGRESS,
        source=c.source,
        source_ref=c.source_ref,
    )
    state.add_actions(list(c.actions))
    return state


def _action_clocks(
    state: ActionPlanState, start: date, specs: list[ActionSpec], calendar: WorkingDayCalendar
) -> list[Clock]:
    p = state.policy
    ladder = [(0, [p.subgroup_chair]), (p.escalate_to_executive_after_working_days, [p.executive])]
    return [
        make_clock(
            key=f"action:{action_id}",
            label=f"Action {action_id} ({spec.owner_agency})",
            rule="agreed due day",
            owner=spec.owner_agency,
            start=start,
            due_on=spec.due_on,
            calendar=calendar,
            remind_working_days=p.action_reminder_working_days,
            ladder=ladder,
        )
        for action_id, spec in zip(state.next_action_ids(len(specs)), specs, strict=True)
    ]


def plan_opening_clocks(
    state: ActionPlanState, c: OpenActionPlan, calendar: WorkingDayCalendar
) -> list[Clock]:
    """Clocks of the opening actions (``state`` is the initial state, before its actions)."""
    blank = state.model_copy(update={"actions": {}})
    return _action_clocks(blank, c.opened_on, list(c.actions), calendar)


def plan_action_plan_clocks(
    state: ActionPlanState, command: Command, calendar: WorkingDayCalendar
) -> list[Clock]:
    """The clocks ``command`` opens, computed before the event is triggered."""
    p = state.policy
    if isinstance(command, CompleteAction):
        others = [a for a in state.open_actions() if a.id != command.action_id]
        if others:
            return []
        window_opens = add_calendar_months(command.completed_on, p.impact_check_months)
        due = calendar.add_working_days(window_opens, p.impact_check_window_working_days)
        return [
            make_clock(
                key="impact_check",
                label=f"Impact check (round {state.round})",
                rule=f"{p.impact_check_months} months after completion, "
                f"within {p.impact_check_window_working_days} working days",
                owner=p.subgroup_chair,
                start=command.completed_on,
                due_on=due,
                calendar=calendar,
                remind_on=(window_opens,),
                remind_working_days=p.action_reminder_working_days,
                ladder=[
                    (0, [p.subgroup_chair]),
                    (p.escalate_to_executive_after_working_days, [p.executive]),
                ],
            )
        ]
    if isinstance(command, RecordImpactCheck) and command.new_actions:
        return _action_clocks(state, command.checked_on, list(command.new_actions), calendar)
    return []
