"""The action plan aggregate: actions → progress and evidence → completion → impact."""

from __future__ import annotations

from typing import ClassVar

from domain.action_plan import events
from domain.action_plan.commands import (
    ACTION_PLAN_COMMANDS,
    CompleteAction,
    OpenActionPlan,
    RecordActionEvidence,
    RecordActionProgress,
    RecordImpactCheck,
)
from domain.action_plan.state import ActionPlanState
from domain.qa import events as qa
from domain.qa.clock import Clock, QaPolicy, QaState
from domain.qa.record import QaRecord
from domain.values import Command

__all__ = ["ActionPlan"]


class ActionPlan(QaRecord):
    """An action plan and the facts recorded about it."""

    KIND: ClassVar[str] = "actionplan"
    STATE: ClassVar[type[QaState]] = ActionPlanState
    state: ClassVar[ActionPlanState]
    EVENT_OF: ClassVar[dict[type[Command], type[qa.StepRecorded]]] = {
        RecordActionProgress: events.ProgressReported,
        RecordActionEvidence: events.EvidenceReceived,
        CompleteAction: events.ActionCompleted,
        RecordImpactCheck: events.ImpactChecked,
    }
    reminder_sent = events.ReminderSent
    escalated = events.Escalated
    history_read = events.HistoryRead

    @classmethod
    def open_plan(
        cls,
        command: OpenActionPlan,
        *,
        key: str,
        policy: QaPolicy,
        calendar_version: str,
        opened: list[Clock],
    ) -> ActionPlan:
        """Open a plan under the QA policy and calendar in force, with its actions' clocks."""
        plan: ActionPlan = cls._open(
            events.PlanOpened,
            command.plan_ref,
            command,
            key=key,
            policy=policy,
            calendar_version=calendar_version,
            opened=opened,
        )
        return plan


if set(ActionPlan.EVENT_OF) != set(ACTION_PLAN_COMMANDS.values()):  # pragma: no cover
    raise TypeError("action plan commands and events differ")
