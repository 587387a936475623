"""The facts a child-of-concern record holds: typed, versioned events.

Evolution policy and the version-1 shape: ``domain.qa.events``.
"""

from __future__ import annotations

from datetime import date

from domain.child_of_concern.state import ConcernState
from domain.qa import events as qa

__all__ = [
    "EVENTS",
    "LEGACY_TOPICS",
    "TOPIC_PREFIXES",
    "AssistantDirectorReviewed",
    "ConcernOpened",
    "Escalated",
    "GroupManagerReviewed",
    "HistoryRead",
    "ReminderSent",
]


class ConcernOpened(qa.Opened):
    """A case graded Inadequate in a practice evaluation started the process."""

    concern_ref: str
    audit_ref: str
    sample_no: int
    graded_on: date

    def initial_state(self) -> ConcernState:
        return ConcernState.opened_by(self)


class GroupManagerReviewed(qa.StepRecorded):
    reviewed_on: date
    safety_action_taken: bool
    note: str | None

    def on(self, state: ConcernState) -> None:
        state.on_group_manager_reviewed(self)


class AssistantDirectorReviewed(qa.StepRecorded):
    reviewed_on: date
    assured: bool
    note: str | None

    def on(self, state: ConcernState) -> None:
        state.on_assistant_director_reviewed(self)


class ReminderSent(qa.ReminderSent):
    pass


class Escalated(qa.Escalated):
    pass


class HistoryRead(qa.HistoryRead):
    pass


#: The events of a child-of-concern record, by class name.
EVENTS: dict[str, type[qa.QaEvent]] = {
    cls.__name__: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, qa.QaEvent) and cls.__module__ == __name__
}

#: Every stored child-of-concern event's topic starts with one of these (current, then legacy).
TOPIC_PREFIXES = (f"{__name__}:", "domain.child_of_concern:ChildOfConcern.")

#: Topics under which earlier releases stored these events (nested in
#: ``domain.child_of_concern:ChildOfConcern`` until the lifecycle became a package).
LEGACY_TOPICS: dict[str, type[qa.QaEvent]] = {
    f"domain.child_of_concern:ChildOfConcern.{name}": cls for name, cls in EVENTS.items()
}
