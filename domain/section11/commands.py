"""Section 11 (Children Act 2004) on its rotating two-year cycle (seed 003): year 1
the statutory partners, year 2 the non-statutory ones; a self-assessment per agency
against the standards (evidence and a RAG per standard), returns with due days and
chasers, a scrutiny panel, challenge events, actions followed to completion, a
report to the board. Strict input, never stored."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.values import AgencyCode, CaseRef, Command, Day, Label, PartnershipCode, invalid

__all__ = [
    "CYCLE_AGENCIES",
    "SECTION_11_COMMANDS",
    "STANDARDS",
    "CloseCycle",
    "CompleteS11Action",
    "Evidence",
    "HoldChallengeEvent",
    "HoldScrutinyPanel",
    "OpenSection11Cycle",
    "Rag",
    "RaiseS11Action",
    "Rating",
    "ReportToBoard",
    "SubmitSelfAssessment",
]

Rag = Literal["red", "amber", "green"]
StandardCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^S11_[0-9]{1,2}$")
]
S11ActionId = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^SA[0-9]{1,4}$")
]

#: The Section 11 standards (Working Together): data, recorded on each cycle it opens.
STANDARDS: dict[str, str] = {
    "S11_1": "Senior management commitment to safeguarding and promoting welfare",
    "S11_2": "A clear statement of the agency's responsibilities towards children",
    "S11_3": "A clear line of accountability for safeguarding",
    "S11_4": "Service development informed by the views of children and families",
    "S11_5": "Effective safeguarding training, supervision and support for staff",
    "S11_6": "Safer recruitment and managing allegations against staff",
    "S11_7": "Effective inter-agency working",
    "S11_8": "Effective information sharing",
}
#: The two-year rotation (seed 003): year 1 statutory, year 2 non-statutory partners.
CYCLE_AGENCIES: dict[int, tuple[str, ...]] = {
    1: ("LA", "HEALTH", "POLICE"),
    2: ("EDUCATION", "VCS", "FAITH"),
}


class Rating(BaseModel):
    """An agency's RAG rating of itself against one standard."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    standard: StandardCode
    rag: Rag


class Evidence(BaseModel):
    """A document an agency offers for a standard (a reference, never personal data)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    standard: StandardCode
    document: Label


class OpenSection11Cycle(Command):
    """Open a Section 11 cycle year: the agencies asked for a self-assessment and when."""

    cycle_ref: CaseRef = Field(description="e.g. S11-2026")
    partnership: PartnershipCode
    cycle_year: int = Field(
        ge=1, le=2, description="1: statutory partners; 2: non-statutory partners"
    )
    agencies: list[AgencyCode] = Field(
        default_factory=list, max_length=40, description="default: the cycle year's agencies"
    )
    opened_on: Day
    returns_due_on: Day

    @model_validator(mode="after")
    def _rules(self) -> OpenSection11Cycle:
        if len(set(self.agencies)) != len(self.agencies):
            raise invalid("agencies", "unique", "each agency may appear once")
        if self.returns_due_on <= self.opened_on:
            raise invalid(
                "returns_due_on", "chronology", "the returns are due after the cycle opens"
            )
        return self

    def cohort(self) -> list[str]:
        return list(self.agencies) or list(CYCLE_AGENCIES[self.cycle_year])


class SubmitSelfAssessment(Command):
    """An agency's self-assessment: a RAG and evidence for every standard."""

    agency: AgencyCode
    ratings: list[Rating] = Field(min_length=1, max_length=20)
    evidence: list[Evidence] = Field(min_length=1, max_length=200)
    submitted_on: Day


class HoldScrutinyPanel(Command):
    """The scrutiny panel assessed the returns (accountable to the board)."""

    held_on: Day
    agencies: list[AgencyCode] = Field(
        default_factory=list, description="the agencies scrutinised (default: every return in)"
    )


class HoldChallengeEvent(Command):
    """A challenge event with one agency after the panel."""

    agency: AgencyCode
    held_on: Day


class RaiseS11Action(Command):
    """An action for an agency against a standard, with its due day (on the clock)."""

    agency: AgencyCode
    standard: StandardCode
    action: Label = Field(description="what is to be done (no personal data)")
    raised_on: Day
    due_on: Day


class CompleteS11Action(Command):
    """An action done, with the evidence of it."""

    action_id: S11ActionId
    completed_on: Day
    evidence: Label


class ReportToBoard(Command):
    """The panel's report to the board: strategic themes and the position."""

    reported_on: Day
    board_meeting: Label = Field(description="e.g. Board 2027-03")


class CloseCycle(Command):
    """Close the cycle year once reported and every action is done."""

    closed_on: Day


SECTION_11_COMMANDS: dict[str, type[Command]] = {
    "submit_self_assessment": SubmitSelfAssessment,
    "hold_scrutiny_panel": HoldScrutinyPanel,
    "hold_challenge_event": HoldChallengeEvent,
    "raise_s11_action": RaiseS11Action,
    "complete_s11_action": CompleteS11Action,
    "report_to_board": ReportToBoard,
    "close_cycle": CloseCycle,
}
