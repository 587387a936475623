"""The rules a Section 11 step must pass before it is recorded: one per command type."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from domain import chronology
from domain.errors import OutOfOrder, RuleViolation
from domain.qa.checks import Rule, dispatch
from domain.section11.commands import (
    SECTION_11_COMMANDS,
    CloseCycle,
    CompleteS11Action,
    HoldChallengeEvent,
    HoldScrutinyPanel,
    RaiseS11Action,
    ReportToBoard,
    SubmitSelfAssessment,
)
from domain.values import Command

if TYPE_CHECKING:
    from domain.section11.state import Section11State

__all__ = ["CHECKS", "check"]


def check(s: Section11State, command: Command, today: date) -> None:
    dispatch(s, command, today, CHECKS, ORDER)


def _in_cycle(s: Section11State, agency: str) -> None:
    if agency not in s.agencies:
        raise RuleViolation(
            f"{agency} is not asked for a return in {s.ref} (agencies: {', '.join(s.agencies)})",
            field="agency",
            rule="agency_in_cycle",
        )


def _panel_held(s: Section11State) -> None:
    if s.panel_held_on is None:
        raise OutOfOrder(
            f"the scrutiny panel of {s.ref} has not been held", field="held_on", rule="panel_first"
        )


def _submit(s: Section11State, c: SubmitSelfAssessment, today: date) -> None:
    _in_cycle(s, c.agency)
    if c.agency in s.returns:
        raise RuleViolation(
            f"{c.agency} has already returned its self-assessment", field="agency", rule="once_only"
        )
    rated = [r.standard for r in c.ratings]
    unknown = sorted(set(rated) - set(s.standards)) or sorted(
        {e.standard for e in c.evidence} - set(s.standards)
    )
    if unknown:
        raise RuleViolation(
            f"{', '.join(unknown)} is not a standard of {s.ref}",
            field="ratings",
            rule="known_standard",
        )
    if len(set(rated)) != len(rated):
        raise RuleViolation("each standard is rated once", field="ratings", rule="once_only")
    missing = [code for code in s.standards if code not in rated]
    if missing:
        raise RuleViolation(
            f"no RAG for {', '.join(missing)}: every standard is rated",
            field="ratings",
            rule="rag_per_standard",
        )
    no_evidence = [code for code in s.standards if code not in {e.standard for e in c.evidence}]
    if no_evidence:
        raise RuleViolation(
            f"no evidence for {', '.join(no_evidence)}: every standard has evidence",
            field="evidence",
            rule="evidence_per_standard",
        )


def _panel(s: Section11State, c: HoldScrutinyPanel, today: date) -> None:
    if s.panel_held_on is not None:
        raise RuleViolation(
            f"the scrutiny panel of {s.ref} was held on {s.panel_held_on.isoformat()}",
            field="held_on",
            rule="once_only",
        )
    if not s.returns:
        raise OutOfOrder(
            f"no self-assessment is in for {s.ref} yet", field="held_on", rule="returns_first"
        )
    late = [a for a in c.agencies if a not in s.returns]
    if late:
        raise RuleViolation(
            f"no self-assessment from {', '.join(late)} to scrutinise",
            field="agencies",
            rule="returned_first",
        )


def _challenge(s: Section11State, c: HoldChallengeEvent, today: date) -> None:
    _in_cycle(s, c.agency)
    _panel_held(s)
    if c.agency not in s.scrutinised:
        raise RuleViolation(
            f"{c.agency} was not scrutinised by the panel", field="agency", rule="scrutinised_first"
        )


def _raise(s: Section11State, c: RaiseS11Action, today: date) -> None:
    _in_cycle(s, c.agency)
    _panel_held(s)
    if c.standard not in s.standards:
        raise RuleViolation(
            f"{c.standard} is not a standard of {s.ref}", field="standard", rule="known_standard"
        )
    if c.due_on <= c.raised_on:
        raise RuleViolation(
            "an action is due after it is raised", field="due_on", rule="due_after_raised"
        )


def _complete(s: Section11State, c: CompleteS11Action, today: date) -> None:
    a = s.actions.get(c.action_id)
    if a is None:
        raise OutOfOrder(
            f"no action {c.action_id} on {s.ref}", field="action_id", rule="action_exists"
        )
    if a.completed_on is not None:
        raise RuleViolation(
            f"{c.action_id} was completed on {a.completed_on.isoformat()}",
            field="action_id",
            rule="once_only",
        )
    if c.completed_on < a.raised_on:
        raise RuleViolation(
            "an action is completed after it was raised",
            field="completed_on",
            rule="after_raised",
        )


def _report(s: Section11State, c: ReportToBoard, today: date) -> None:
    _panel_held(s)
    if s.reported_on is not None:
        raise RuleViolation(
            f"{s.ref} was reported on {s.reported_on.isoformat()}",
            field="reported_on",
            rule="once_only",
        )


def _close(s: Section11State, c: CloseCycle, today: date) -> None:
    if s.reported_on is None:
        raise OutOfOrder(
            f"{s.ref} has not been reported to the board", field="closed_on", rule="report_first"
        )
    open_ids = [a.id for a in s.open_actions()]
    if open_ids:
        raise RuleViolation(
            f"actions still open: {', '.join(open_ids)}",
            field="closed_on",
            rule="actions_completed",
        )


#: every date in order: each step follows the facts it depends on (issue 8)
ORDER: chronology.Order = {
    HoldChallengeEvent: [("held_on", "panel_held_on", "the scrutiny panel")],
    RaiseS11Action: [("raised_on", "panel_held_on", "the scrutiny panel")],
    ReportToBoard: [("reported_on", "panel_held_on", "the scrutiny panel")],
    CloseCycle: [
        ("closed_on", "reported_on", "the report to the board"),
        ("closed_on", "last_action_done_on", "the last action's completion"),
    ],
}

CHECKS: Mapping[type[Command], Rule] = {
    SubmitSelfAssessment: _submit,
    HoldScrutinyPanel: _panel,
    HoldChallengeEvent: _challenge,
    RaiseS11Action: _raise,
    CompleteS11Action: _complete,
    ReportToBoard: _report,
    CloseCycle: _close,
}
if set(CHECKS) != set(SECTION_11_COMMANDS.values()):  # pragma: no cover
    raise TypeError("section 11 commands without a rule")
