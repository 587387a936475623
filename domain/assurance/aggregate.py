"""The assurance activity aggregate: audits of the kinds that are not case samples."""

from __future__ import annotations

from typing import Any, ClassVar

from domain.assurance import events
from domain.assurance.commands import (
    ASSURANCE_COMMANDS,
    CloseAssurance,
    CompleteAssuranceAction,
    OpenAssurance,
    RaiseAssuranceAction,
    RecordCriticalFriendView,
    RecordDeclaration,
    RecordObservation,
    ReviewClinicItem,
)
from domain.assurance.state import AssuranceState
from domain.qa import events as qa
from domain.qa.clock import QaPolicy, QaState
from domain.qa.record import QaRecord
from domain.values import Command

__all__ = ["AssuranceActivity"]


class AssuranceActivity(QaRecord):
    """A practice week, performance clinic, declaration round or thematic audit."""

    KIND: ClassVar[str] = "assurance"
    STATE: ClassVar[type[QaState]] = AssuranceState
    state: ClassVar[AssuranceState]
    EVENT_OF: ClassVar[dict[type[Command], type[qa.StepRecorded]]] = {
        RecordObservation: events.ObservationRecorded,
        ReviewClinicItem: events.ClinicItemReviewed,
        RecordDeclaration: events.DeclarationRecorded,
        RecordCriticalFriendView: events.CriticalFriendViewRecorded,
        RaiseAssuranceAction: events.AssuranceActionRaised,
        CompleteAssuranceAction: events.AssuranceActionCompleted,
        CloseAssurance: events.AssuranceClosed,
    }
    reminder_sent = events.ReminderSent
    escalated = events.Escalated
    history_read = events.HistoryRead

    @classmethod
    def open_activity(
        cls, command: OpenAssurance, *, key: str, policy: QaPolicy, calendar_version: str
    ) -> AssuranceActivity:
        activity: AssuranceActivity = cls._open_plain(
            events.AssuranceOpened,
            command.activity_ref,
            command,
            key=key,
            policy=policy,
            calendar_version=calendar_version,
        )
        return activity

    def facts(self, command: Command) -> dict[str, Any]:
        if isinstance(command, RaiseAssuranceAction):
            return {"action_id": f"AA{len(self.state.actions) + 1}"}
        return {}


if set(AssuranceActivity.EVENT_OF) != set(ASSURANCE_COMMANDS.values()):  # pragma: no cover
    raise TypeError("assurance commands and events differ")
