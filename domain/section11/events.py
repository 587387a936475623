"""The facts a Section 11 cycle records: typed, versioned events (policy:
``domain.qa.events``). The opening records the standards and agencies in force as
facts; a raised action records the id it was given."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from domain.qa import events as qa
from domain.section11.state import Section11State

__all__ = [
    "EVENTS",
    "TOPIC_PREFIXES",
    "ChallengeEventHeld",
    "CycleClosed",
    "Escalated",
    "HistoryRead",
    "ReminderSent",
    "ReportedToBoard",
    "S11ActionCompleted",
    "S11ActionRaised",
    "ScrutinyPanelHeld",
    "Section11CycleOpened",
    "SelfAssessmentSubmitted",
]


class Section11CycleOpened(qa.Opened):
    class_version: ClassVar[int] = 2  # the shape of qa.Opened v2 from the start
    cycle_ref: str
    cycle_year: int
    agencies: list[str]
    standards: dict[str, str]
    opened_on: date
    returns_due_on: date

    def initial_state(self) -> Section11State:
        return Section11State.opened_by(self)


class SelfAssessmentSubmitted(qa.StepRecorded):
    class_version: ClassVar[int] = 2
    agency: str
    ratings: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    submitted_on: date

    def on(self, state: Section11State) -> None:
        state.on_self_assessment(self)


class ScrutinyPanelHeld(qa.StepRecorded):
    class_version: ClassVar[int] = 2
    held_on: date
    agencies: list[str]

    def on(self, state: Section11State) -> None:
        state.on_panel(self)


class ChallengeEventHeld(qa.StepRecorded):
    class_version: ClassVar[int] = 2
    agency: str
    held_on: date

    def on(self, state: Section11State) -> None:
        state.on_challenge(self)


class S11ActionRaised(qa.StepRecorded):
    class_version: ClassVar[int] = 2
    action_id: str
    agency: str
    standard: str
    action: str
    raised_on: date
    due_on: date

    def on(self, state: Section11State) -> None:
        state.on_action_raised(self)


class S11ActionCompleted(qa.StepRecorded):
    class_version: ClassVar[int] = 2
    action_id: str
    completed_on: date
    evidence: str

    def on(self, state: Section11State) -> None:
        state.on_action_completed(self)


class ReportedToBoard(qa.StepRecorded):
    class_version: ClassVar[int] = 2
    reported_on: date
    board_meeting: str

    def on(self, state: Section11State) -> None:
        state.on_reported(self)


class CycleClosed(qa.StepRecorded):
    class_version: ClassVar[int] = 2
    closed_on: date

    def on(self, state: Section11State) -> None:
        state.on_closed(self)


#: the shared shapes under this module's topics (stored: the names never change)
ReminderSent, Escalated, HistoryRead = qa.lifecycle_timer_events(__name__)

EVENTS: dict[str, type[qa.QaEvent]] = qa.events_of(globals(), __name__)
TOPIC_PREFIXES = (f"{__name__}:",)
