"""The action plan aggregate: actions → progress and evidence → completion → impact."""

from __future__ import annotations

from typing import ClassVar

from domain.action_plan_model import ActionPlanState
from domain.qa_clock import QaState
from domain.qa_record import QaRecord, wire_events

__all__ = ["ActionPlan"]


class ActionPlan(QaRecord):
    """An action plan and the facts recorded about it."""

    KIND: ClassVar[str] = "actionplan"
    STATE: ClassVar[type[QaState]] = ActionPlanState

    class PlanOpened(QaRecord.Opened):
        pass

    class ProgressReported(QaRecord.StepRecorded):
        STEP = "record_action_progress"

    class EvidenceReceived(QaRecord.StepRecorded):
        STEP = "record_action_evidence"

    class ActionCompleted(QaRecord.StepRecorded):
        STEP = "complete_action"

    class ImpactChecked(QaRecord.StepRecorded):
        STEP = "record_impact_check"


wire_events(ActionPlan)
