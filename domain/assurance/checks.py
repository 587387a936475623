"""The rules an assurance step must pass before it is recorded: one per command type,
after the kind's own rule (which steps the activity's kind takes)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from domain import chronology
from domain.assurance.commands import (
    ASSURANCE_COMMANDS,
    STEPS_BY_KIND,
    CloseAssurance,
    CompleteAssuranceAction,
    RaiseAssuranceAction,
    RecordCriticalFriendView,
    RecordDeclaration,
    RecordObservation,
    ReviewClinicItem,
)
from domain.errors import OutOfOrder, RuleViolation
from domain.qa.checks import Rule, dispatch
from domain.values import Command

if TYPE_CHECKING:
    from domain.assurance.state import AssuranceState

__all__ = ["CHECKS", "check"]


def check(s: AssuranceState, command: Command, today: date) -> None:
    if type(command) not in STEPS_BY_KIND[s.kind]:
        raise RuleViolation(
            f"a {s.kind.replace('_', ' ')} does not take {type(command).__name__}",
            field="step",
            rule="step_for_kind",
        )
    dispatch(s, command, today, CHECKS, ORDER)


def _on_scale(s: AssuranceState, grade: str | None, field: str) -> None:
    if grade is not None and grade not in s.scale:
        raise RuleViolation(
            f"{grade} is not on {s.ref}'s scale ({', '.join(s.scale)})",
            field=field,
            rule="grade_on_scale",
        )


def _member(s: AssuranceState, agency: str) -> None:
    if agency not in s.agencies:
        raise RuleViolation(
            f"{agency} is not part of {s.ref} (agencies: {', '.join(s.agencies)})",
            field="agency",
            rule="agency_in_activity",
        )


def _observation(s: AssuranceState, c: RecordObservation, today: date) -> None:
    _member(s, c.agency)
    _on_scale(s, c.grade, "grade")


def _clinic(s: AssuranceState, c: ReviewClinicItem, today: date) -> None:
    if c.item in s.clinic_items:
        raise RuleViolation(f"{c.item} was already reviewed", field="item", rule="once_only")


def _declaration(s: AssuranceState, c: RecordDeclaration, today: date) -> None:
    _member(s, c.agency)
    if c.agency in s.declarations:
        raise RuleViolation(f"{c.agency} has already declared", field="agency", rule="once_only")


def _friend(s: AssuranceState, c: RecordCriticalFriendView, today: date) -> None:
    _on_scale(s, c.grade, "grade")
    if s.critical_friend_grade is not None:
        raise RuleViolation(
            "the critical friend's view is recorded", field="grade", rule="once_only"
        )


def _raise(s: AssuranceState, c: RaiseAssuranceAction, today: date) -> None:
    _member(s, c.agency)
    if c.due_on <= c.raised_on:
        raise RuleViolation(
            "an action is due after it is raised", field="due_on", rule="due_after_raised"
        )


def _complete(s: AssuranceState, c: CompleteAssuranceAction, today: date) -> None:
    a = s.actions.get(c.action_id)
    if a is None:
        raise OutOfOrder(
            f"no action {c.action_id} on {s.ref}", field="action_id", rule="action_exists"
        )
    if a.completed_on is not None:
        raise RuleViolation(f"{c.action_id} is done", field="action_id", rule="once_only")
    if c.completed_on < a.raised_on:
        raise RuleViolation(
            f"{c.completed_on.isoformat()} is before {c.action_id} was raised "
            f"({a.raised_on.isoformat()})",
            field="completed_on",
            rule="chronology",
        )


def _close(s: AssuranceState, c: CloseAssurance, today: date) -> None:
    _on_scale(s, c.overall, "overall")
    if s.kind.endswith("_declaration"):
        missing = [a for a in s.agencies if a not in s.declarations]
        if missing:
            raise OutOfOrder(
                f"no declaration yet from {', '.join(missing)}",
                field="closed_on",
                rule="declarations_first",
            )
    if s.kind == "thematic" and s.critical_friend_grade is None:
        raise OutOfOrder(
            "the critical friend has not given a view",
            field="closed_on",
            rule="critical_friend_first",
        )


#: every date in order: closing follows the last action's completion (issue 8)
ORDER: chronology.Order = {
    CloseAssurance: [("closed_on", "last_action_done_on", "the last action's completion")],
}

CHECKS: Mapping[type[Command], Rule] = {
    RecordObservation: _observation,
    ReviewClinicItem: _clinic,
    RecordDeclaration: _declaration,
    RecordCriticalFriendView: _friend,
    RaiseAssuranceAction: _raise,
    CompleteAssuranceAction: _complete,
    CloseAssurance: _close,
}
if set(CHECKS) != set(ASSURANCE_COMMANDS.values()):  # pragma: no cover
    raise TypeError("assurance commands without a rule")
