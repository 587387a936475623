"""The audit's commands: strict input models, validated at the edge, never stored.

An accepted command's values become its event's typed fields
(``domain.audit.events``).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from domain.standards import DEFAULT_STANDARD_SET, Grade, standard_set
from domain.values import (
    AgencyCode,
    CaseRef,
    ChildRef,
    Command,
    Day,
    FreeText,
    Label,
    PartnershipCode,
    invalid,
)

__all__ = [
    "AUDIT_COMMANDS",
    "CONCERN_KINDS",
    "ActionSpec",
    "AuditKind",
    "CaseFinding",
    "CloseAudit",
    "DrawSample",
    "PlanAudit",
    "RaiseActionPlan",
    "RecordAuditReport",
    "RecordFindings",
    "RecordLearningBriefing",
    "RecordModeration",
    "RecordReturn",
    "RequestReturns",
    "ReturnRequest",
    "action_plan_ref",
    "concern_ref",
]


class AuditKind(StrEnum):
    """The audit kinds seen in the seeds (DOMAIN.md, lifecycle 2)."""

    MULTI_AGENCY_THEMATIC = "multi_agency_thematic"
    CASE_FILE = "case_file"
    DIP = "dip"
    DEEP_DIVE = "deep_dive"
    MASH = "mash"
    PRACTICE_EVALUATION = "practice_evaluation"
    FOSTERING_PRACTICE_EVALUATION = "fostering_practice_evaluation"
    EARLY_HELP = "early_help"
    ENTRY_TO_CARE = "entry_to_care"
    REPEAT_CHILD_PROTECTION_PLAN = "repeat_child_protection_plan"
    LONG_CHILD_PROTECTION_PLAN = "long_child_protection_plan"
    QUALITY_ASSURANCE_REVIEW = "quality_assurance_review"
    SECTION_11 = "section_11"
    KCSIE_DECLARATION = "kcsie_declaration"
    EYFS_DECLARATION = "eyfs_declaration"


#: a case graded Inadequate in these starts the child-of-concern process (seed 002)
CONCERN_KINDS = frozenset({AuditKind.PRACTICE_EVALUATION, AuditKind.FOSTERING_PRACTICE_EVALUATION})


def action_plan_ref(source_ref: str) -> str:
    """The action plan of an audit or a review case: one per source."""
    return f"{source_ref.upper()}-AP"


def concern_ref(audit_ref: str, sample_no: int) -> str:
    """A child of concern is named by audit and sample position, never by the child's ref."""
    return f"{audit_ref.upper()}-S{sample_no:02d}"


# --------------------------------------------------------------------- commands


class PlanAudit(Command):
    """Plan an audit: kind, theme, period, sample size, lead and agencies."""

    audit_ref: CaseRef
    partnership: PartnershipCode
    kind: AuditKind
    theme: Label = Field(description="what the audit looks at (no personal data)")
    period_start: Day
    period_end: Day
    sample_size: int = Field(ge=1, le=200, description="how many cases the sample will hold")
    lead: Label = Field(description="who leads the audit (role or name of staff)")
    agencies: list[AgencyCode] = Field(min_length=1, max_length=20)
    standards: str = Field(
        default=DEFAULT_STANDARD_SET, description="practice standards set the findings use"
    )
    opened_on: Day | None = Field(
        default=None,
        description="the day the audit was planned, when it is entered after the event "
        "(default: today)",
    )

    @field_validator("standards")
    @classmethod
    def _known_set(cls, value: str) -> str:
        standard_set(value)
        return value

    @model_validator(mode="after")
    def _rules(self) -> PlanAudit:
        if self.period_end < self.period_start:
            raise invalid(
                "period_end", "chronology", "the audit period cannot end before it starts"
            )
        if len(set(self.agencies)) != len(self.agencies):
            raise invalid("agencies", "unique", "each agency may appear once")
        return self


class DrawSample(Command):
    """Record the sample: pseudonymous case references, never names."""

    drawn_on: Day
    case_refs: list[ChildRef] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _unique(self) -> DrawSample:
        if len(set(self.case_refs)) != len(self.case_refs):
            raise invalid("case_refs", "unique", "each case may be sampled once")
        return self


class ReturnRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    agency: AgencyCode
    due_on: Day


class RequestReturns(Command):
    """Ask agencies for their audit returns, each by a due day."""

    requested_on: Day
    requests: list[ReturnRequest] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _rules(self) -> RequestReturns:
        agencies = [r.agency for r in self.requests]
        if len(set(agencies)) != len(agencies):
            raise invalid("requests", "unique", "each agency may be asked once per request")
        for r in self.requests:
            if r.due_on <= self.requested_on:
                raise invalid(
                    "requests", "chronology", f"{r.agency} must be due after the request day"
                )
        return self


class RecordReturn(Command):
    """An agency's audit return arrived."""

    agency: AgencyCode
    received_on: Day


class RecordModeration(Command):
    """Moderation of the returns' grading."""

    held_on: Day
    moderators: list[Label] = Field(min_length=1, max_length=20)
    grades_changed: int = Field(
        default=0, ge=0, le=1000, description="how many grades moderation changed"
    )


class CaseFinding(BaseModel):
    """One sampled case: its overall grade and its grade per practice standard."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    case_ref: ChildRef
    overall: Grade
    standards: dict[str, Grade] = Field(default_factory=dict)


class RecordFindings(Command):
    """Findings graded per case and per practice standard."""

    recorded_on: Day
    findings: list[CaseFinding] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _unique(self) -> RecordFindings:
        refs = [f.case_ref for f in self.findings]
        if len(set(refs)) != len(refs):
            raise invalid("findings", "unique", "each sampled case is graded once")
        return self


class RecordAuditReport(Command):
    """The audit report, and who received it."""

    reported_on: Day
    recipients: list[Label] = Field(min_length=1, max_length=30)


class RecordLearningBriefing(Command):
    """The learning briefing, and who received it."""

    issued_on: Day
    recipients: list[Label] = Field(min_length=1, max_length=30)


class ActionSpec(BaseModel):
    """An action: what, which agency owns it, by when, and how success is measured."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    owner_agency: AgencyCode
    text: FreeText
    due_on: Day
    success_measure: FreeText


class RaiseActionPlan(Command):
    """Close the audit by opening its action plan."""

    raised_on: Day
    actions: list[ActionSpec] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _due(self) -> RaiseActionPlan:
        for i, a in enumerate(self.actions, 1):
            if a.due_on <= self.raised_on:
                raise invalid(
                    "actions", "chronology", f"action {i} must be due after the plan is raised"
                )
        return self


class CloseAudit(Command):
    """Close the audit without an action plan, with the reason."""

    closed_on: Day
    reason: FreeText


AUDIT_COMMANDS: dict[str, type[Command]] = {
    "draw_audit_sample": DrawSample,
    "request_audit_returns": RequestReturns,
    "record_audit_return": RecordReturn,
    "record_audit_moderation": RecordModeration,
    "record_audit_findings": RecordFindings,
    "record_audit_report": RecordAuditReport,
    "record_learning_briefing": RecordLearningBriefing,
    "raise_action_plan": RaiseActionPlan,
    "close_audit": CloseAudit,
}
