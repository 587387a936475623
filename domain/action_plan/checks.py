"""The rules an action-plan step must pass before it is recorded: one per command type."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from domain.action_plan.commands import (
    ACTION_PLAN_COMMANDS,
    CompleteAction,
    RecordActionEvidence,
    RecordActionProgress,
    RecordImpactCheck,
)
from domain.action_plan.stages import ActionPlanStage
from domain.errors import OutOfOrder, RuleViolation
from domain.qa.checks import Rule, dispatch
from domain.values import Command

if TYPE_CHECKING:
    from domain.action_plan.state import ActionPlanState, ActionState

__all__ = ["CHECKS", "check"]


def check(
    s: ActionPlanState, command: Command, today: date, *, before_issue_8: bool = False
) -> None:
    """Raise ``RuleViolation`` if ``command`` may not be applied to ``s`` now."""
    dispatch(s, command, today, CHECKS, before_issue_8=before_issue_8)
    if not before_issue_8:
        _in_order(s, command)


def _in_order(s: ActionPlanState, command: Command) -> None:
    """Every date in order (issue 8): an action is completed no earlier than the
    evidence it was completed on, and its progress, evidence and completion are never
    dated before the plan opened (``check_common``)."""
    if isinstance(command, CompleteAction):
        evidence_on = s.actions[command.action_id].evidence_on
        if evidence_on is not None and command.completed_on < evidence_on:
            raise RuleViolation(
                f"{command.completed_on.isoformat()} is before the action's evidence was "
                f"received ({evidence_on.isoformat()})",
                field="completed_on",
                rule="chronology",
            )


def _action(s: ActionPlanState, action_id: str) -> ActionState:
    a = s.actions.get(action_id)
    if a is None:
        raise RuleViolation(
            f"no action {action_id} in plan {s.ref} (actions: {', '.join(s.actions) or 'none'})",
            field="action_id",
            rule="action_exists",
        )
    if a.status != "open":
        raise RuleViolation(
            f"action {action_id} is already complete", field="action_id", rule="action_open"
        )
    return a


def _record_progress(s: ActionPlanState, c: RecordActionProgress, today: date) -> None:
    _action(s, c.action_id)


def _record_evidence(s: ActionPlanState, c: RecordActionEvidence, today: date) -> None:
    _action(s, c.action_id)


def _complete_action(s: ActionPlanState, c: CompleteAction, today: date) -> None:
    a = _action(s, c.action_id)
    if a.evidence == 0:
        raise OutOfOrder(
            f"record evidence for action {c.action_id} before completing it",
            field="action_id",
            rule="evidence_first",
        )


def _record_impact_check(s: ActionPlanState, c: RecordImpactCheck, today: date) -> None:
    if s.stage is not ActionPlanStage.AWAITING_IMPACT_CHECK or s.impact_from is None:
        raise OutOfOrder(
            f"the impact check follows completion of every action; "
            f"{len(s.open_actions())} action(s) still open",
            rule="actions_complete_first",
        )
    if c.checked_on < s.impact_from:
        raise RuleViolation(
            f"impact is checked after the {s.policy.impact_check_months}-month interval: "
            f"not before {s.impact_from.isoformat()}",
            field="checked_on",
            rule="impact_interval",
        )


CHECKS: Mapping[type[Command], Rule] = {
    RecordActionProgress: _record_progress,
    RecordActionEvidence: _record_evidence,
    CompleteAction: _complete_action,
    RecordImpactCheck: _record_impact_check,
}
if set(CHECKS) != set(ACTION_PLAN_COMMANDS.values()):  # pragma: no cover - a programming error
    raise TypeError(f"commands without a rule: {set(ACTION_PLAN_COMMANDS.values()) ^ set(CHECKS)}")
