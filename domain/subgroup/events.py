"""The facts a subgroup records: typed, versioned events (policy: ``domain.qa.events``).

A meeting held records its quoracy and its agenda (the open actions carried over,
the items raised since the last meeting) as facts, computed when it was recorded.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from domain.qa import events as qa
from domain.subgroup.state import SubgroupState

__all__ = [
    "EVENTS",
    "TOPIC_PREFIXES",
    "ActionCompleted",
    "ActionRaised",
    "AgendaItemRaised",
    "AgendaSignedOff",
    "DecisionRecorded",
    "MeetingHeld",
    "MeetingScheduled",
    "SubgroupFormed",
]


class SubgroupFormed(qa.Opened):
    group_ref: str
    name: str
    chair: str
    members: list[str]
    lead_partners: list[str]
    formed_on: date

    def initial_state(self) -> SubgroupState:
        return SubgroupState.opened_by(self)


class MeetingScheduled(qa.StepRecorded):
    meeting_ref: str
    meeting_on: date

    def on(self, state: SubgroupState) -> None:
        state.on_meeting_scheduled(self)


class AgendaSignedOff(qa.StepRecorded):
    """The chair signed off the agenda (the items pending then, as facts) and papers."""

    class_version: ClassVar[int] = 2  # new in this release, on StepRecorded v2's shape
    meeting_ref: str
    papers: list[str]
    signed_off_on: date
    agenda_items: list[dict[str, Any]]

    def on(self, state: SubgroupState) -> None:
        state.on_agenda_signed_off(self)


class MeetingHeld(qa.StepRecorded):
    meeting_ref: str
    held_on: date
    present: list[str]
    chair_decision: str | None
    quorate: bool
    quorate_by: str | None
    absent_leads: list[str]
    carried_actions: list[str]
    agenda_items: list[dict[str, Any]]

    def on(self, state: SubgroupState) -> None:
        state.on_meeting_held(self)


class DecisionRecorded(qa.StepRecorded):
    meeting_ref: str
    decision_id: str
    text: str

    def on(self, state: SubgroupState) -> None:
        state.on_decision_recorded(self)


class ActionRaised(qa.StepRecorded):
    meeting_ref: str
    action_id: str
    owner_agency: str
    text: str
    due_on: date

    def on(self, state: SubgroupState) -> None:
        state.on_action_raised(self)


class ActionCompleted(qa.StepRecorded):
    action_id: str
    completed_on: date

    def on(self, state: SubgroupState) -> None:
        state.on_action_completed(self)


class AgendaItemRaised(qa.StepRecorded):
    raised_on: date
    item: str
    source: str

    def on(self, state: SubgroupState) -> None:
        state.on_agenda_item_raised(self)


EVENTS: dict[str, type[qa.QaEvent]] = {
    cls.__name__: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, qa.QaEvent) and cls.__module__ == __name__
}
TOPIC_PREFIXES = (f"{__name__}:",)
