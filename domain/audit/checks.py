"""The rules an audit step must pass before it is recorded: one function per command type.

Called by the aggregate before it triggers an event and by the workflow's update
validators (so a refused step never enters Temporal's history). Typed dispatch:
``CHECKS`` maps each command class to its rule; a command without one is a bug.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from domain import chronology
from domain.audit.commands import (
    AUDIT_COMMANDS,
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
from domain.audit.stages import AuditStage
from domain.errors import OutOfOrder, RuleViolation
from domain.qa.checks import Rule, dispatch
from domain.values import Command

if TYPE_CHECKING:
    from domain.audit.state import AuditState

__all__ = ["CHECKS", "ORDER", "check"]


def check(s: AuditState, command: Command, today: date, *, before_issue_8: bool = False) -> None:
    """Raise ``RuleViolation`` if ``command`` may not be applied to ``s`` now."""
    dispatch(s, command, today, CHECKS, ORDER, before_issue_8=before_issue_8)


def _need(s: AuditState, what: str, *stages: AuditStage) -> None:
    if s.stage not in stages:
        wanted = " or ".join(st.value for st in stages)
        raise OutOfOrder(
            f"{what} needs the audit at stage {wanted}; it is {s.stage.value}",
            rule="stage_order",
        )


def _draw_sample(s: AuditState, c: DrawSample, today: date) -> None:
    _need(s, "drawing the sample", AuditStage.PLANNED)
    if len(c.case_refs) != s.sample_size:
        raise RuleViolation(
            f"the audit was planned with a sample of {s.sample_size}; "
            f"{len(c.case_refs)} cases given",
            field="case_refs",
            rule="sample_size",
        )


def _request_returns(s: AuditState, c: RequestReturns, today: date) -> None:
    _need(s, "requesting agency returns", AuditStage.SAMPLED, AuditStage.RETURNS)
    for r in c.requests:
        if r.agency not in s.agencies:
            raise RuleViolation(
                f"{r.agency} is not one of the audit's agencies ({', '.join(s.agencies)})",
                field="requests",
                rule="audit_agency",
            )
        if r.agency in s.returns:
            raise RuleViolation(
                f"a return from {r.agency} was already requested",
                field="requests",
                rule="once_only",
            )


def _record_return(s: AuditState, c: RecordReturn, today: date) -> None:
    _need(s, "recording a return", AuditStage.RETURNS)
    if c.agency not in s.returns:
        raise OutOfOrder(
            f"no return was requested from {c.agency}", field="agency", rule="request_first"
        )
    if s.returns[c.agency] is not None:
        raise RuleViolation(
            f"the return from {c.agency} is already recorded", field="agency", rule="once_only"
        )
    requested = s.clocks[f"return:{c.agency}"].clock_start
    if c.received_on < requested:
        raise RuleViolation(
            f"a return cannot arrive before it was requested ({requested.isoformat()})",
            field="received_on",
            rule="chronology",
        )


def _record_moderation(s: AuditState, c: RecordModeration, today: date) -> None:
    _need(s, "moderation", AuditStage.RETURNS)
    missing = [a for a in s.agencies if s.returns.get(a) is None]
    if missing:
        raise OutOfOrder(
            f"returns outstanding from {', '.join(missing)}: moderate once every agency "
            "has returned",
            rule="returns_outstanding",
        )


def _record_findings(s: AuditState, c: RecordFindings, today: date) -> None:
    _need(s, "grading findings", AuditStage.MODERATED)
    graded = {f.case_ref for f in c.findings}
    sample = s.sample_refs
    # A workflow's copy of the state holds no references (only the count): there the
    # count is checked, and the service, which holds them, checks each reference.
    if sample is not None:
        extra, missing = len(graded - set(sample)), len(set(sample) - graded)
    else:
        extra, missing = max(0, len(graded) - s.sampled), max(0, s.sampled - len(graded))
    if extra:
        raise RuleViolation(
            f"{extra} graded case(s) are not in the sample",
            field="findings",
            rule="sampled_cases_only",
        )
    if missing:
        raise RuleViolation(
            f"{missing} sampled case(s) are not graded: grade every sampled case",
            field="findings",
            rule="grade_every_sampled_case",
        )
    for f in c.findings:
        unknown = sorted(set(f.standards) - set(s.standard_codes))
        if unknown:
            raise RuleViolation(
                f"unknown practice standard(s) {', '.join(unknown)} in {s.standards} "
                f"(known: {', '.join(s.standard_codes)})",
                field="findings",
                rule="known_standard",
            )


def _record_report(s: AuditState, c: RecordAuditReport, today: date) -> None:
    _need(s, "the report", AuditStage.GRADED)


def _record_learning_briefing(s: AuditState, c: RecordLearningBriefing, today: date) -> None:
    _need(s, "the learning briefing", AuditStage.REPORTED)
    if s.briefing_on is not None:
        raise RuleViolation("the learning briefing is already recorded", rule="once_only")


def _closing(s: AuditState, what: str) -> None:
    _need(s, what, AuditStage.REPORTED)
    if s.briefing_on is None:
        raise OutOfOrder(
            "record the learning briefing before closing the audit", rule="briefing_first"
        )


def _raise_action_plan(s: AuditState, c: RaiseActionPlan, today: date) -> None:
    _closing(s, "raising the action plan")


def _close_audit(s: AuditState, c: CloseAudit, today: date) -> None:
    _closing(s, "closing the audit")


CHECKS: Mapping[type[Command], Rule] = {
    DrawSample: _draw_sample,
    RequestReturns: _request_returns,
    RecordReturn: _record_return,
    RecordModeration: _record_moderation,
    RecordFindings: _record_findings,
    RecordAuditReport: _record_report,
    RecordLearningBriefing: _record_learning_briefing,
    RaiseActionPlan: _raise_action_plan,
    CloseAudit: _close_audit,
}
#: every date in order: each step follows the facts it depends on (issue 8)
ORDER: chronology.Order = {
    RequestReturns: [("requested_on", "sampled_on", "the sample")],
    RecordModeration: [("held_on", "last_return_on", "the last agency return")],
    RecordFindings: [("recorded_on", "moderated_on", "the moderation")],
    RecordAuditReport: [("reported_on", "graded_on", "the findings")],
    RecordLearningBriefing: [("issued_on", "reported_on", "the report")],
    RaiseActionPlan: [("raised_on", "briefing_on", "the learning briefing")],
    CloseAudit: [("closed_on", "briefing_on", "the learning briefing")],
}
if set(CHECKS) != set(AUDIT_COMMANDS.values()):  # pragma: no cover - a programming error
    raise TypeError(f"commands without a rule: {set(AUDIT_COMMANDS.values()) ^ set(CHECKS)}")
