"""The child / young person of concern process (seed 002; local policy, configurable).

A practice evaluation graded Inadequate starts it. The Group Manager reviews
within 2 working days of the grading, making sure action is taken to keep the
child safe; then the Assistant Director reviews every week until they record
that they are assured an appropriate plan is in place. A weekly review not
recorded by the end of its due day is recorded as missed and escalated, and the
next week's review falls due. The process can run for months.

The concern is named ``<audit ref>-S<sample position>``: never by the child's
reference. This module holds its commands: strict input models, never stored.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from domain.values import CaseRef, Command, Day, FreeText, PartnershipCode

__all__ = [
    "CONCERN_COMMANDS",
    "ConcernRef",
    "OpenConcern",
    "RecordAssistantDirectorReview",
    "RecordGroupManagerReview",
]

ConcernRef = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_upper=True, pattern=r"^[A-Z0-9][A-Z0-9-]{2,39}-S[0-9]{2,3}$"
    ),
]


class OpenConcern(Command):
    """Start the process for a case graded Inadequate in a practice evaluation."""

    concern_ref: ConcernRef
    audit_ref: CaseRef
    sample_no: int = Field(ge=1, le=999)
    partnership: PartnershipCode
    graded_on: Day


class RecordGroupManagerReview(Command):
    """The Group Manager's review (due within 2 working days of the grading)."""

    reviewed_on: Day
    safety_action_taken: bool = Field(description="action taken to ensure the child's safety")
    note: FreeText | None = None


class RecordAssistantDirectorReview(Command):
    """A weekly Assistant Director review; ``assured`` ends the process."""

    reviewed_on: Day
    assured: bool = Field(description="the AD is assured an appropriate plan is in place")
    note: FreeText | None = None


CONCERN_COMMANDS: dict[str, type[Command]] = {
    "record_group_manager_review": RecordGroupManagerReview,
    "record_assistant_director_review": RecordAssistantDirectorReview,
}
