"""The facts an assurance activity records: typed, versioned events (policy:
``domain.qa.events``). The opening records the grading scale in force as data."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from domain.assurance.state import AssuranceState
from domain.qa import events as qa

__all__ = [
    "EVENTS",
    "TOPIC_PREFIXES",
    "AssuranceActionCompleted",
    "AssuranceActionRaised",
    "AssuranceClosed",
    "AssuranceOpened",
    "ClinicItemReviewed",
    "CriticalFriendViewRecorded",
    "DeclarationRecorded",
    "Escalated",
    "HistoryRead",
    "ObservationRecorded",
    "ReminderSent",
]


class AssuranceOpened(qa.Opened):
    class_version: ClassVar[int] = 2  # the shape of qa.Opened v2 from the start
    activity_ref: str
    kind: str
    theme: str
    agencies: list[str]
    scale: list[str]
    critical_friend: str | None
    opened_on: date

    def initial_state(self) -> AssuranceState:
        return AssuranceState.opened_by(self)


class ObservationRecorded(qa.StepRecorded):
    class_version: ClassVar[int] = 2
    agency: str
    form: str
    grade: str
    held_on: date

    def on(self, state: AssuranceState) -> None:
        state.on_observation(self)


class ClinicItemReviewed(qa.StepRecorded):
    class_version: ClassVar[int] = 2
    item: str
    reviewed_on: date

    def on(self, state: AssuranceState) -> None:
        state.on_clinic_item(self)


class DeclarationRecorded(qa.StepRecorded):
    class_version: ClassVar[int] = 2
    agency: str
    compliant: bool
    declared_on: date
    evidence: str

    def on(self, state: AssuranceState) -> None:
        state.on_declaration(self)


class CriticalFriendViewRecorded(qa.StepRecorded):
    class_version: ClassVar[int] = 2
    grade: str
    given_on: date

    def on(self, state: AssuranceState) -> None:
        state.on_critical_friend(self)


class AssuranceActionRaised(qa.StepRecorded):
    class_version: ClassVar[int] = 2
    action_id: str
    agency: str
    action: str
    raised_on: date
    due_on: date

    def on(self, state: AssuranceState) -> None:
        state.on_action_raised(self)


class AssuranceActionCompleted(qa.StepRecorded):
    class_version: ClassVar[int] = 2
    action_id: str
    completed_on: date

    def on(self, state: AssuranceState) -> None:
        state.on_action_completed(self)


class AssuranceClosed(qa.StepRecorded):
    class_version: ClassVar[int] = 2
    closed_on: date
    overall: str | None

    def on(self, state: AssuranceState) -> None:
        state.on_closed(self)


#: the shared shapes under this module's topics (stored: the names never change)
ReminderSent, Escalated, HistoryRead = qa.lifecycle_timer_events(__name__)

EVENTS: dict[str, type[qa.QaEvent]] = qa.events_of(globals(), __name__)
TOPIC_PREFIXES = (f"{__name__}:",)
