"""The facts an audit records: typed, versioned events.

Each event carries its own typed fields (a sample drawn: ``drawn_on`` and
``case_refs``), never a command or a dump of the state; nested items (return
requests, findings, actions) are plain JSON dicts. Evolution policy and the
version-1 shape: ``domain.qa.events``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from domain.audit.state import AuditState
from domain.qa import events as qa

__all__ = [
    "EVENTS",
    "LEGACY_TOPICS",
    "TOPIC_PREFIXES",
    "ActionPlanRaised",
    "ClosedWithoutActions",
    "Escalated",
    "FindingsGraded",
    "HistoryRead",
    "LearningBriefingIssued",
    "Moderated",
    "Planned",
    "ReminderSent",
    "ReportIssued",
    "ReturnReceived",
    "ReturnsRequested",
    "SampleDrawn",
]


class Planned(qa.Opened):
    """An audit was planned: kind, theme, period, sample size, lead and agencies.

    The practice standards' codes in force are copied onto the audit here: a
    later edition of the set never regrades it.
    """

    FROM_INITIAL: ClassVar[tuple[str, ...]] = (
        "policy",
        "calendar_version",
        "opened_on",
        "standard_codes",
    )
    audit_ref: str
    kind: str
    theme: str
    period_start: date
    period_end: date
    sample_size: int
    lead: str
    agencies: list[str]
    standards: str
    standard_codes: list[str]
    opened_on: date

    def initial_state(self) -> AuditState:
        return AuditState.opened_by(self)


class SampleDrawn(qa.StepRecorded):
    drawn_on: date
    case_refs: list[str]

    def on(self, state: AuditState) -> None:
        state.on_sample_drawn(self)


class ReturnsRequested(qa.StepRecorded):
    requested_on: date
    requests: list[dict[str, Any]]

    def on(self, state: AuditState) -> None:
        state.on_returns_requested(self)


class ReturnReceived(qa.StepRecorded):
    agency: str
    received_on: date

    def on(self, state: AuditState) -> None:
        state.on_return_received(self)


class Moderated(qa.StepRecorded):
    held_on: date
    moderators: list[str]
    grades_changed: int

    def on(self, state: AuditState) -> None:
        state.on_moderated(self)


class FindingsGraded(qa.StepRecorded):
    recorded_on: date
    findings: list[dict[str, Any]]

    def on(self, state: AuditState) -> None:
        state.on_findings_graded(self)


class ReportIssued(qa.StepRecorded):
    reported_on: date
    recipients: list[str]

    def on(self, state: AuditState) -> None:
        state.on_report_issued(self)


class LearningBriefingIssued(qa.StepRecorded):
    issued_on: date
    recipients: list[str]

    def on(self, state: AuditState) -> None:
        state.on_learning_briefing_issued(self)


class ActionPlanRaised(qa.StepRecorded):
    raised_on: date
    actions: list[dict[str, Any]]

    def on(self, state: AuditState) -> None:
        state.on_action_plan_raised(self)


class ClosedWithoutActions(qa.StepRecorded):
    closed_on: date
    reason: str

    def on(self, state: AuditState) -> None:
        state.on_closed_without_actions(self)


class ReminderSent(qa.ReminderSent):
    pass


class Escalated(qa.Escalated):
    pass


class HistoryRead(qa.HistoryRead):
    pass


#: The events of an audit, by class name.
EVENTS: dict[str, type[qa.QaEvent]] = {
    cls.__name__: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, qa.QaEvent) and cls.__module__ == __name__
}

#: Every stored audit event's topic starts with one of these (current, then legacy).
TOPIC_PREFIXES = (f"{__name__}:", "domain.audit:Audit.")

#: Topics under which earlier releases stored these events (the classes were
#: nested in ``domain.audit:Audit`` until the lifecycle became a package).
LEGACY_TOPICS: dict[str, type[qa.QaEvent]] = {
    f"domain.audit:Audit.{name}": cls for name, cls in EVENTS.items()
}
