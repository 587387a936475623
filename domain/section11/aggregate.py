"""The Section 11 cycle aggregate: self-assessments, scrutiny, challenge, actions, report."""

from __future__ import annotations

from typing import Any, ClassVar

from domain.qa import events as qa
from domain.qa.clock import Clock, QaPolicy, QaState
from domain.qa.record import QaRecord
from domain.section11 import events
from domain.section11.commands import (
    SECTION_11_COMMANDS,
    STANDARDS,
    CloseCycle,
    CompleteS11Action,
    HoldChallengeEvent,
    HoldScrutinyPanel,
    OpenSection11Cycle,
    RaiseS11Action,
    ReportToBoard,
    SubmitSelfAssessment,
)
from domain.section11.state import Section11State
from domain.values import Command

__all__ = ["Section11Cycle"]


class Section11Cycle(QaRecord):
    """One year of a partnership's Section 11 cycle and the facts recorded about it."""

    KIND: ClassVar[str] = "section11"
    STATE: ClassVar[type[QaState]] = Section11State
    state: ClassVar[Section11State]
    EVENT_OF: ClassVar[dict[type[Command], type[qa.StepRecorded]]] = {
        SubmitSelfAssessment: events.SelfAssessmentSubmitted,
        HoldScrutinyPanel: events.ScrutinyPanelHeld,
        HoldChallengeEvent: events.ChallengeEventHeld,
        RaiseS11Action: events.S11ActionRaised,
        CompleteS11Action: events.S11ActionCompleted,
        ReportToBoard: events.ReportedToBoard,
        CloseCycle: events.CycleClosed,
    }
    reminder_sent = events.ReminderSent
    escalated = events.Escalated
    history_read = events.HistoryRead

    @classmethod
    def open_cycle(
        cls,
        command: OpenSection11Cycle,
        *,
        key: str,
        policy: QaPolicy,
        calendar_version: str,
        opened: list[Clock],
    ) -> Section11Cycle:
        """Open a cycle year under the standards in force: one return clock per agency."""
        cycle: Section11Cycle = cls._open(
            events.Section11CycleOpened,
            command.cycle_ref,
            command,
            key=key,
            policy=policy,
            calendar_version=calendar_version,
            opened=opened,
            **{"agencies": command.cohort(), "standards": dict(STANDARDS)},
        )
        return cycle

    def facts(self, command: Command) -> dict[str, Any]:
        s: Section11State = self.state
        if isinstance(command, HoldScrutinyPanel):
            return {"agencies": list(command.agencies) or sorted(s.returns)}
        if isinstance(command, RaiseS11Action):
            return {"action_id": f"SA{len(s.actions) + 1}"}
        return {}


if set(Section11Cycle.EVENT_OF) != set(SECTION_11_COMMANDS.values()):  # pragma: no cover
    raise TypeError("section 11 commands and events differ")
