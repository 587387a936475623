"""The facts an action plan records: typed, versioned events.

Each event carries its own typed fields; actions are plain JSON dicts (their
text stays here, in the event store, never in the state). Evolution policy and
the version-1 shape: ``domain.qa.events``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.action_plan.state import ActionPlanState
from domain.qa import events as qa

__all__ = [
    "EVENTS",
    "LEGACY_TOPICS",
    "TOPIC_PREFIXES",
    "ActionCompleted",
    "Escalated",
    "EvidenceReceived",
    "HistoryRead",
    "ImpactChecked",
    "PlanOpened",
    "ProgressReported",
    "ReminderSent",
]


class PlanOpened(qa.Opened):
    """An action plan opened for an audit or a review case, with its first actions."""

    plan_ref: str
    source: str
    source_ref: str
    opened_on: date
    actions: list[dict[str, Any]]

    def initial_state(self) -> ActionPlanState:
        return ActionPlanState.opened_by(self)


class ProgressReported(qa.StepRecorded):
    action_id: str
    reported_on: date
    status: str
    note: str | None

    def on(self, state: ActionPlanState) -> None:
        state.on_progress_reported(self)


class EvidenceReceived(qa.StepRecorded):
    action_id: str
    received_on: date
    evidence: str

    def on(self, state: ActionPlanState) -> None:
        state.on_evidence_received(self)


class ActionCompleted(qa.StepRecorded):
    action_id: str
    completed_on: date
    note: str | None

    def on(self, state: ActionPlanState) -> None:
        state.on_action_completed(self)


class ImpactChecked(qa.StepRecorded):
    checked_on: date
    method: str
    result: str
    measure: str
    new_actions: list[dict[str, Any]]

    def on(self, state: ActionPlanState) -> None:
        state.on_impact_checked(self)


class ReminderSent(qa.ReminderSent):
    pass


class Escalated(qa.Escalated):
    pass


class HistoryRead(qa.HistoryRead):
    pass


#: The events of an action plan, by class name.
EVENTS: dict[str, type[qa.QaEvent]] = {
    cls.__name__: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, qa.QaEvent) and cls.__module__ == __name__
}

#: Every stored action-plan event's topic starts with one of these (current, then legacy).
TOPIC_PREFIXES = (f"{__name__}:", "domain.action_plan:ActionPlan.")

#: Topics under which earlier releases stored these events (nested in
#: ``domain.action_plan:ActionPlan`` until the lifecycle became a package).
LEGACY_TOPICS: dict[str, type[qa.QaEvent]] = {
    f"domain.action_plan:ActionPlan.{name}": cls for name, cls in EVENTS.items()
}
