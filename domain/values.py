"""Value objects shared by every lifecycle."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "AGENCIES",
    "Actor",
    "AgencyCode",
    "CaseRef",
    "ChildRef",
    "Command",
    "FreeText",
    "PartnershipCode",
]

_CASE_REF = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,39}$")
_CHILD_REF = re.compile(r"^[A-Z]{1,6}-?[A-Z0-9-]*[0-9][A-Z0-9-]*$")


def _case_ref(value: str) -> str:
    value = value.strip().upper()
    if not _CASE_REF.match(value):
        raise ValueError(
            "a case reference is 3-40 characters of A-Z, 0-9 and '-', starting with a "
            "letter or digit (e.g. GSCP-2026-014); it must not contain names"
        )
    return value


def _child_ref(value: str) -> str:
    value = value.strip().upper()
    if not _CHILD_REF.match(value) or len(value) > 32:
        raise ValueError(
            "a child reference must be pseudonymous: letters, then digits, e.g. C-40213 "
            "(at least one digit, no spaces, at most 32 characters); never a name"
        )
    return value


CaseRef = Annotated[str, AfterValidator(_case_ref)]
ChildRef = Annotated[str, AfterValidator(_child_ref)]
PartnershipCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Z]{2,12}$")
]
AgencyCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Z][A-Z0-9_]{1,23}$")
]
FreeText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=4000)]

#: Agencies seen in the seeds; any code matching ``AgencyCode`` is accepted.
AGENCIES = ("LA", "POLICE", "ICB", "HEALTH", "EDUCATION", "PROBATION", "CAFCASS", "VCS")


class Actor(BaseModel):
    """Who did it: a member of partnership staff and the role they acted in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)]
    role: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)]
    subject: str | None = Field(
        default=None, description="the signed-in principal's stable id (set by the entry point)"
    )
    partnership: str | None = Field(
        default=None, description="the partnership the principal acts for (set by the entry point)"
    )


class Command(BaseModel):
    """Base of every command: strict shape, and always an actor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: Actor = Field(description="who is recording this, and in what role")
