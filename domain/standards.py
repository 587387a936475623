"""Practice standards: the yardstick audit findings are graded against.

A standards set is data, not code: an audit records the id of the set it was
planned under and keeps it, so a later edition never regrades old findings.
Gloucestershire's ten practice standards (Children's Social Care Quality
Assurance Framework, May 2025) are the default.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

__all__ = [
    "DEFAULT_STANDARD_SET",
    "GLOUCESTERSHIRE_2025",
    "STANDARD_SETS",
    "Grade",
    "PracticeStandard",
    "StandardSet",
    "standard_set",
]


class Grade(StrEnum):
    """The four grades of a practice evaluation, best first."""

    OUTSTANDING = "outstanding"
    GOOD = "good"
    REQUIRES_IMPROVEMENT = "requires_improvement"
    INADEQUATE = "inadequate"


class PracticeStandard(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=r"^[0-9A-Z]{1,8}$")
    title: str


class StandardSet(BaseModel):
    """A named, versioned set of practice standards."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    source: str
    standards: tuple[PracticeStandard, ...]

    @property
    def codes(self) -> list[str]:
        return [s.code for s in self.standards]


def _ps(code: str, title: str) -> PracticeStandard:
    return PracticeStandard(code=code, title=title)


GLOUCESTERSHIRE_2025 = StandardSet(
    id="gloucestershire-2025",
    name="Gloucestershire practice standards",
    source="Gloucestershire Children's Social Care Quality Assurance Framework, May 2025",
    standards=(
        _ps(
            "01",
            "The voices and experiences of children, young people and families are at the "
            "heart of our work, informing everything that we do.",
        ),
        _ps(
            "02",
            "We will start our work with children and families well, responding quickly and "
            "sensitively when help and support is needed.",
        ),
        _ps(
            "03",
            "We will build positive relationships with children, families and the people that "
            "are important to them.",
        ),
        _ps(
            "04",
            "We will assess children's needs holistically, identifying and building on "
            "strengths, addressing risk and helping families find solutions that work for them.",
        ),
        _ps(
            "05",
            "We will work with children, young people, families and partners to create "
            "meaningful plans and achieve good outcomes.",
        ),
        _ps("06", "We will offer interventions that help create and sustain change."),
        _ps(
            "07",
            "We will be the best parent for our children in care and care experienced young "
            "people.",
        ),
        _ps(
            "08",
            "We will ensure our recording is child-focused and shows that we care about "
            "children and families.",
        ),
        _ps("09", "We will be culturally competent and self-aware in our practice."),
        _ps(
            "10",
            "We will ensure that effective supervision and management oversight is driving "
            "high quality practice.",
        ),
    ),
)

DEFAULT_STANDARD_SET = GLOUCESTERSHIRE_2025.id
STANDARD_SETS: dict[str, StandardSet] = {GLOUCESTERSHIRE_2025.id: GLOUCESTERSHIRE_2025}


def standard_set(set_id: str) -> StandardSet:
    try:
        return STANDARD_SETS[set_id]
    except KeyError:
        known = ", ".join(sorted(STANDARD_SETS))
        raise PydanticCustomError(  # a ValueError; in a validator, rule known_standard_set
            "known_standard_set",
            f"unknown practice standards set {set_id!r}; known: {known}".replace("{", "{{").replace(
                "}", "}}"
            ),
        ) from None
