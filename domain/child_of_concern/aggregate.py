"""The child-of-concern aggregate: Group Manager review, then weekly AD reviews."""

from __future__ import annotations

from typing import ClassVar

from domain.child_of_concern import events
from domain.child_of_concern.commands import (
    CONCERN_COMMANDS,
    OpenConcern,
    RecordAssistantDirectorReview,
    RecordGroupManagerReview,
)
from domain.child_of_concern.state import ConcernState
from domain.qa import events as qa
from domain.qa.clock import Clock, QaPolicy, QaState
from domain.qa.record import QaRecord
from domain.values import Command

__all__ = ["ChildOfConcern"]


class ChildOfConcern(QaRecord):
    """A child / young person of concern and the reviews recorded about them."""

    KIND: ClassVar[str] = "childofconcern"
    STATE: ClassVar[type[QaState]] = ConcernState
    state: ClassVar[ConcernState]
    EVENT_OF: ClassVar[dict[type[Command], type[qa.StepRecorded]]] = {
        RecordGroupManagerReview: events.GroupManagerReviewed,
        RecordAssistantDirectorReview: events.AssistantDirectorReviewed,
    }
    reminder_sent = events.ReminderSent
    escalated = events.Escalated
    history_read = events.HistoryRead

    @classmethod
    def open_concern(
        cls,
        command: OpenConcern,
        *,
        key: str,
        policy: QaPolicy,
        calendar_version: str,
        opened: list[Clock],
    ) -> ChildOfConcern:
        """Open the process under the QA policy and calendar in force, with its first clock."""
        concern: ChildOfConcern = cls._open(
            events.ConcernOpened,
            command.concern_ref,
            command,
            key=key,
            policy=policy,
            calendar_version=calendar_version,
            opened=opened,
        )
        return concern


if set(ChildOfConcern.EVENT_OF) != set(CONCERN_COMMANDS.values()):  # pragma: no cover
    raise TypeError("child-of-concern commands and events differ")
