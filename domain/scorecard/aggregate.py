"""The scorecard aggregate: indicators as data, values per quarter, exceptions."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from domain.evolution import fields_of
from domain.qa import events as qa
from domain.qa.clock import Clock, QaPolicy, QaState
from domain.qa.record import QaRecord
from domain.scorecard import events
from domain.scorecard.commands import (
    SCORECARD_COMMANDS,
    DefineIndicator,
    OpenScorecard,
    ReturnValue,
)
from domain.scorecard.state import ScorecardState
from domain.values import Command

__all__ = ["Scorecard"]


class Scorecard(QaRecord):
    KIND: ClassVar[str] = "scorecard"
    STATE: ClassVar[type[QaState]] = ScorecardState
    state: ClassVar[ScorecardState]
    EVENT_OF: ClassVar[dict[type[Command], type[qa.StepRecorded]]] = {
        DefineIndicator: events.IndicatorDefined,
        ReturnValue: events.ValueReturned,
    }
    reminder_sent = qa.ReminderSent
    escalated = qa.Escalated
    history_read = qa.HistoryRead

    @classmethod
    def open_scorecard(
        cls, command: OpenScorecard, *, key: str, policy: QaPolicy, calendar_version: str
    ) -> Scorecard:
        card: Scorecard = cls._open(
            events.ScorecardOpened,
            command.scorecard_ref,
            command,
            key=key,
            policy=policy,
            calendar_version=calendar_version,
            opened=[],
        )
        return card

    def record(self, command: Command, *, key: str, today: date, opened: list[Clock]) -> None:
        s: ScorecardState = self.state
        s.check(command, today)
        facts: dict[str, Any] = {}
        if isinstance(command, ReturnValue):
            facts = {"exception": s.indicators[command.code].rag(command.value) == "red"}
        self.trigger_event(
            self.EVENT_OF[type(command)],
            key=key,
            actor=command.actor.model_dump(mode="json"),
            **fields_of(command),
            **facts,
            opened=[c.model_dump(mode="json") for c in opened],
        )


if set(Scorecard.EVENT_OF) != set(SCORECARD_COMMANDS.values()):  # pragma: no cover
    raise TypeError("scorecard commands and events differ")
