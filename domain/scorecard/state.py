"""The scorecard's state, built only from its events: indicators, values per
quarter, exceptions (values outside tolerance) and each indicator's trend."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.qa.clock import QaPolicy, QaState
from domain.scorecard.checks import check as check_rules
from domain.scorecard.commands import SCORECARD_COMMANDS, Polarity
from domain.values import Command

if TYPE_CHECKING:
    from domain.scorecard import events

__all__ = ["Indicator", "ScorecardState", "TrendPoint", "Value"]

Rag = Literal["green", "amber", "red"]


class Indicator(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str
    name: str
    source_agency: str
    polarity: Polarity
    target: float
    tolerance: float
    unit: str = ""

    def rag(self, value: float) -> Rag:
        """Green on or past target; amber within tolerance; red (an exception) beyond it."""
        gap = self.target - value if self.polarity == "higher_is_better" else value - self.target
        if gap <= 0:
            return "green"
        return "amber" if gap <= self.tolerance else "red"

    def better(self, new: float, old: float) -> bool:
        return new > old if self.polarity == "higher_is_better" else new < old


class Value(BaseModel):
    model_config = ConfigDict(extra="ignore")

    quarter: str
    value: float
    returned_on: date
    exception: bool


class TrendPoint(BaseModel):
    quarter: str
    value: float
    rag: Rag
    change: Literal["first", "improving", "worsening", "same"]


class ScorecardState(QaState):
    COMMANDS: ClassVar[dict[str, type[Command]]] = SCORECARD_COMMANDS
    LABEL: ClassVar[str] = "scorecard"

    subgroup_ref: str
    indicators: dict[str, Indicator] = Field(default_factory=dict)
    values: dict[str, dict[str, Value]] = Field(default_factory=dict)

    @classmethod
    def opened_by(cls, e: events.ScorecardOpened) -> ScorecardState:
        return cls(
            ref=e.scorecard_ref,
            partnership=e.partnership,
            policy=QaPolicy.model_validate(e.policy),
            calendar_version=e.calendar_version,
            opened_on=e.opened_on,
            stage="active",
            subgroup_ref=e.subgroup_ref,
        )

    def check(self, command: Command, today: date) -> None:
        check_rules(self, command, today)

    # ------------------------------------------------------------------ views

    def exceptions(self, quarter: str | None = None) -> list[tuple[Indicator, Value]]:
        return [
            (self.indicators[code], v)
            for code, by_quarter in sorted(self.values.items())
            for q, v in sorted(by_quarter.items())
            if v.exception and (quarter is None or q == quarter)
        ]

    def trend(self, code: str) -> list[TrendPoint]:
        """The indicator's values over quarters, oldest first, each against the last."""
        ind = self.indicators[code]
        points: list[TrendPoint] = []
        prev: float | None = None
        for q, v in sorted(self.values.get(code, {}).items()):
            change: Literal["first", "improving", "worsening", "same"] = "first"
            if prev is not None:
                change = (
                    "same"
                    if v.value == prev
                    else ("improving" if ind.better(v.value, prev) else "worsening")
                )
            points.append(TrendPoint(quarter=q, value=v.value, rag=ind.rag(v.value), change=change))
            prev = v.value
        return points

    # -------------------------------------------------------------- mutations

    def on_indicator_defined(self, e: events.IndicatorDefined) -> None:
        self.indicators[e.code] = Indicator(
            code=e.code,
            name=e.name,
            source_agency=e.source_agency,
            polarity=e.polarity,
            target=e.target,
            tolerance=e.tolerance,
            unit=e.unit,
        )

    def on_value_returned(self, e: events.ValueReturned) -> None:
        self.values.setdefault(e.code, {})[e.quarter] = Value(
            quarter=e.quarter, value=e.value, returned_on=e.returned_on, exception=e.exception
        )
