"""The scorecard aggregate: indicators as data, values per quarter, exceptions."""

from __future__ import annotations

from typing import Any, ClassVar

from domain.qa import events as qa
from domain.qa.clock import QaPolicy, QaState
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

    @classmethod
    def open_scorecard(
        cls, command: OpenScorecard, *, key: str, policy: QaPolicy, calendar_version: str
    ) -> Scorecard:
        card: Scorecard = cls._open_plain(
            events.ScorecardOpened,
            command.scorecard_ref,
            command,
            key=key,
            policy=policy,
            calendar_version=calendar_version,
        )
        return card

    def facts(self, command: Command) -> dict[str, Any]:
        if isinstance(command, ReturnValue):
            s: ScorecardState = self.state
            return {"exception": s.indicators[command.code].rag(command.value) == "red"}
        return {}


if set(Scorecard.EVENT_OF) != set(SCORECARD_COMMANDS.values()):  # pragma: no cover
    raise TypeError("scorecard commands and events differ")
