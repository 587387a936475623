"""The facts a scorecard records: typed, versioned events (policy: ``domain.qa.events``).
A returned value records whether it broke its indicator's tolerance, as a fact."""

from __future__ import annotations

from datetime import date

from domain.qa import events as qa
from domain.scorecard.state import ScorecardState

__all__ = ["EVENTS", "TOPIC_PREFIXES", "IndicatorDefined", "ScorecardOpened", "ValueReturned"]


class ScorecardOpened(qa.Opened):
    scorecard_ref: str
    subgroup_ref: str
    opened_on: date

    def initial_state(self) -> ScorecardState:
        return ScorecardState.opened_by(self)


class IndicatorDefined(qa.StepRecorded):
    code: str
    name: str
    source_agency: str
    polarity: str
    target: float
    tolerance: float
    unit: str
    decided_on: date

    def on(self, state: ScorecardState) -> None:
        state.on_indicator_defined(self)


class ValueReturned(qa.StepRecorded):
    code: str
    quarter: str
    value: float
    returned_on: date
    exception: bool

    def on(self, state: ScorecardState) -> None:
        state.on_value_returned(self)


EVENTS: dict[str, type[qa.QaEvent]] = {
    cls.__name__: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, qa.QaEvent) and cls.__module__ == __name__
}
TOPIC_PREFIXES = (f"{__name__}:",)
