"""The quarterly scorecard's commands (seeds 000, 001, 003): indicators defined as
data (name, source agency, polarity, target, tolerance), values returned per
quarter by agencies. Strict input, never stored."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from domain.values import AgencyCode, CaseRef, Command, PartnershipCode, invalid

__all__ = [
    "SCORECARD_COMMANDS",
    "DefineIndicator",
    "OpenScorecard",
    "Polarity",
    "ReturnValue",
]

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,15}$")


def _code(value: str) -> str:
    value = value.strip().upper()
    if not _CODE.match(value):
        raise invalid(
            None,
            "indicator_code",
            "an indicator code is 2-16 of A-Z, 0-9 and _, starting with a letter",
        )
    return value


IndicatorCode = Annotated[str, AfterValidator(_code)]
Polarity = Literal["higher_is_better", "lower_is_better"]
_QUARTER = re.compile(r"^(\d{4})/(\d{2}) Q([1-4])$")


def _quarter(value: str) -> str:
    value = " ".join(value.split()).upper()
    m = _QUARTER.match(value)
    if not m or int(m.group(2)) != (int(m.group(1)) + 1) % 100:
        raise invalid(
            None, "quarter_format", "a quarter is the financial year and quarter, e.g. 2026/27 Q1"
        )
    return value


Quarter = Annotated[str, AfterValidator(_quarter)]


class OpenScorecard(Command):
    """Open a partnership's quarterly scorecard, reported to a subgroup."""

    scorecard_ref: CaseRef
    partnership: PartnershipCode
    subgroup_ref: CaseRef = Field(description="the subgroup whose agenda takes its exceptions")
    opened_on: date


class DefineIndicator(Command):
    """An indicator: what is measured, by which agency, which way is better, the
    target and how far from it a value may be before it is an exception."""

    code: IndicatorCode
    name: Label
    source_agency: AgencyCode
    polarity: Polarity
    target: float
    tolerance: float = Field(ge=0)
    unit: str = Field(default="", max_length=12)
    decided_on: date


class ReturnValue(Command):
    """An agency's value for an indicator and a quarter."""

    code: IndicatorCode
    quarter: Quarter
    value: float
    returned_on: date


SCORECARD_COMMANDS: dict[str, type[Command]] = {
    "define_indicator": DefineIndicator,
    "return_value": ReturnValue,
}
