"""Lifecycle 2, audits: plan → sample → agency returns → moderation → findings → report.

Pure models shared by the aggregate (``domain.audit``), the application service
(which plans the clocks with ``plan_clocks``) and the audit workflow (whose update
validators call ``AuditState.check``). The state holds the pseudonymous sample
references the findings are checked against, but no free text; none of it goes
into workflow ids, search attributes or memos.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from domain.calendar import WorkingDayCalendar
from domain.errors import OutOfOrder, RuleViolation
from domain.qa_clock import Clock, QaPolicy, QaState, make_clock
from domain.standards import DEFAULT_STANDARD_SET, Grade, standard_set
from domain.values import AgencyCode, CaseRef, ChildRef, Command, FreeText, PartnershipCode

__all__ = [
    "AUDIT_COMMANDS",
    "CONCERN_KINDS",
    "ActionSpec",
    "AuditKind",
    "AuditStage",
    "AuditState",
    "CaseFinding",
    "CloseAudit",
    "ConcernRaised",
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
    "initial_audit_state",
    "plan_audit_clocks",
]

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]


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


class AuditStage(StrEnum):
    PLANNED = "planned"
    SAMPLED = "sampled"
    RETURNS = "returns"
    MODERATED = "moderated"
    GRADED = "graded"
    REPORTED = "reported"
    CLOSED = "closed"


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
    period_start: date
    period_end: date
    sample_size: int = Field(ge=1, le=200, description="how many cases the sample will hold")
    lead: Label = Field(description="who leads the audit (role or name of staff)")
    agencies: list[AgencyCode] = Field(min_length=1, max_length=20)
    standards: str = Field(
        default=DEFAULT_STANDARD_SET, description="practice standards set the findings use"
    )

    @field_validator("standards")
    @classmethod
    def _known_set(cls, value: str) -> str:
        standard_set(value)
        return value

    @model_validator(mode="after")
    def _rules(self) -> PlanAudit:
        if self.period_end < self.period_start:
            raise ValueError("period_end: the audit period cannot end before it starts")
        if len(set(self.agencies)) != len(self.agencies):
            raise ValueError("agencies: each agency may appear once")
        return self


class DrawSample(Command):
    """Record the sample: pseudonymous case references, never names."""

    drawn_on: date
    case_refs: list[ChildRef] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _unique(self) -> DrawSample:
        if len(set(self.case_refs)) != len(self.case_refs):
            raise ValueError("case_refs: each case may be sampled once")
        return self


class ReturnRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    agency: AgencyCode
    due_on: date


class RequestReturns(Command):
    """Ask agencies for their audit returns, each by a due day."""

    requested_on: date
    requests: list[ReturnRequest] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _rules(self) -> RequestReturns:
        agencies = [r.agency for r in self.requests]
        if len(set(agencies)) != len(agencies):
            raise ValueError("requests: each agency may be asked once per request")
        for r in self.requests:
            if r.due_on <= self.requested_on:
                raise ValueError(f"requests: {r.agency} must be due after the request day")
        return self


class RecordReturn(Command):
    """An agency's audit return arrived."""

    agency: AgencyCode
    received_on: date


class RecordModeration(Command):
    """Moderation of the returns' grading."""

    held_on: date
    moderators: list[Label] = Field(min_length=1, max_length=20)
    grades_changed: int = Field(default=0, ge=0, description="how many grades moderation changed")


class CaseFinding(BaseModel):
    """One sampled case: its overall grade and its grade per practice standard."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    case_ref: ChildRef
    overall: Grade
    standards: dict[str, Grade] = Field(default_factory=dict)


class RecordFindings(Command):
    """Findings graded per case and per practice standard."""

    recorded_on: date
    findings: list[CaseFinding] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _unique(self) -> RecordFindings:
        refs = [f.case_ref for f in self.findings]
        if len(set(refs)) != len(refs):
            raise ValueError("findings: each sampled case is graded once")
        return self


class RecordAuditReport(Command):
    """The audit report, and who received it."""

    reported_on: date
    recipients: list[Label] = Field(min_length=1, max_length=30)


class RecordLearningBriefing(Command):
    """The learning briefing, and who received it."""

    issued_on: date
    recipients: list[Label] = Field(min_length=1, max_length=30)


class ActionSpec(BaseModel):
    """An action: what, which agency owns it, by when, and how success is measured."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    owner_agency: AgencyCode
    text: FreeText
    due_on: date
    success_measure: FreeText


class RaiseActionPlan(Command):
    """Close the audit by opening its action plan."""

    raised_on: date
    actions: list[ActionSpec] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _due(self) -> RaiseActionPlan:
        for i, a in enumerate(self.actions, 1):
            if a.due_on <= self.raised_on:
                raise ValueError(f"actions: action {i} must be due after the plan is raised")
        return self


class CloseAudit(Command):
    """Close the audit without an action plan, with the reason."""

    closed_on: date
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


# ------------------------------------------------------------------------ state


class ConcernRaised(BaseModel):
    model_config = ConfigDict(extra="forbid")
    concern_ref: str
    sample_no: int
    graded_on: date


class AuditState(QaState):
    """One audit: what the workflow carries and queries return."""

    COMMANDS: ClassVar[dict[str, type[Command]]] = AUDIT_COMMANDS
    LABEL: ClassVar[str] = "audit"

    stage: AuditStage
    kind: AuditKind
    standards: str
    standard_codes: list[str]
    period_start: date
    period_end: date
    sample_size: int
    agencies: list[str]
    sample: list[str] = Field(default_factory=list)
    returns: dict[str, date | None] = Field(default_factory=dict)
    moderated_on: date | None = None
    graded_on: date | None = None
    overall_grades: dict[str, int] = Field(default_factory=dict)
    standard_grades: dict[str, dict[str, int]] = Field(default_factory=dict)
    concerns: list[ConcernRaised] = Field(default_factory=list)
    reported_on: date | None = None
    report_recipients: list[str] = Field(default_factory=list)
    briefing_on: date | None = None
    briefing_recipients: list[str] = Field(default_factory=list)
    action_plan_ref: str | None = None

    # ------------------------------------------------------------------ guards

    def _need(self, what: str, *stages: AuditStage) -> None:
        if self.stage not in stages:
            wanted = " or ".join(s.value for s in stages)
            raise OutOfOrder(
                f"{what} needs the audit at stage {wanted}; it is {self.stage.value}",
                rule="stage_order",
            )

    def _check_draw_audit_sample(self, c: DrawSample, today: date) -> None:
        self._need("drawing the sample", AuditStage.PLANNED)
        if len(c.case_refs) != self.sample_size:
            raise RuleViolation(
                f"the audit was planned with a sample of {self.sample_size}; "
                f"{len(c.case_refs)} cases given",
                field="case_refs",
                rule="sample_size",
            )

    def _check_request_audit_returns(self, c: RequestReturns, today: date) -> None:
        self._need("requesting agency returns", AuditStage.SAMPLED, AuditStage.RETURNS)
        for r in c.requests:
            if r.agency not in self.agencies:
                raise RuleViolation(
                    f"{r.agency} is not one of the audit's agencies ({', '.join(self.agencies)})",
                    field="requests",
                    rule="audit_agency",
                )
            if r.agency in self.returns:
                raise RuleViolation(
                    f"a return from {r.agency} was already requested",
                    field="requests",
                    rule="once_only",
                )

    def _check_record_audit_return(self, c: RecordReturn, today: date) -> None:
        self._need("recording a return", AuditStage.RETURNS)
        if c.agency not in self.returns:
            raise OutOfOrder(
                f"no return was requested from {c.agency}", field="agency", rule="request_first"
            )
        if self.returns[c.agency] is not None:
            raise RuleViolation(
                f"the return from {c.agency} is already recorded", field="agency", rule="once_only"
            )
        requested = self.clocks[f"return:{c.agency}"].clock_start
        if c.received_on < requested:
            raise RuleViolation(
                f"a return cannot arrive before it was requested ({requested.isoformat()})",
                field="received_on",
                rule="chronology",
            )

    def _check_record_audit_moderation(self, c: RecordModeration, today: date) -> None:
        self._need("moderation", AuditStage.RETURNS)
        missing = [a for a in self.agencies if self.returns.get(a) is None]
        if missing:
            raise OutOfOrder(
                f"returns outstanding from {', '.join(missing)}: moderate once every agency "
                "has returned",
                rule="returns_outstanding",
            )

    def _check_record_audit_findings(self, c: RecordFindings, today: date) -> None:
        self._need("grading findings", AuditStage.MODERATED)
        graded = {f.case_ref for f in c.findings}
        extra = sorted(graded - set(self.sample))
        if extra:
            raise RuleViolation(
                f"{len(extra)} graded case(s) are not in the sample",
                field="findings",
                rule="sampled_cases_only",
            )
        missing = len(set(self.sample) - graded)
        if missing:
            raise RuleViolation(
                f"{missing} sampled case(s) are not graded: grade every sampled case",
                field="findings",
                rule="grade_every_sampled_case",
            )
        for f in c.findings:
            unknown = sorted(set(f.standards) - set(self.standard_codes))
            if unknown:
                raise RuleViolation(
                    f"unknown practice standard(s) {', '.join(unknown)} in {self.standards} "
                    f"(known: {', '.join(self.standard_codes)})",
                    field="findings",
                    rule="known_standard",
                )

    def _check_record_audit_report(self, c: RecordAuditReport, today: date) -> None:
        self._need("the report", AuditStage.GRADED)

    def _check_record_learning_briefing(self, c: RecordLearningBriefing, today: date) -> None:
        self._need("the learning briefing", AuditStage.REPORTED)
        if self.briefing_on is not None:
            raise RuleViolation("the learning briefing is already recorded", rule="once_only")

    def _closing(self, what: str) -> None:
        self._need(what, AuditStage.REPORTED)
        if self.briefing_on is None:
            raise OutOfOrder(
                "record the learning briefing before closing the audit", rule="briefing_first"
            )

    def _check_raise_action_plan(self, c: RaiseActionPlan, today: date) -> None:
        self._closing("raising the action plan")

    def _check_close_audit(self, c: CloseAudit, today: date) -> None:
        self._closing("closing the audit")

    # --------------------------------------------------------------- mutations

    def _on_draw_audit_sample(self, c: DrawSample) -> None:
        self.sample = list(c.case_refs)
        self.stage = AuditStage.SAMPLED

    def _on_request_audit_returns(self, c: RequestReturns) -> None:
        for r in c.requests:
            self.returns[r.agency] = None
        self.stage = AuditStage.RETURNS

    def _on_record_audit_return(self, c: RecordReturn) -> None:
        self.returns[c.agency] = c.received_on
        self.meet(f"return:{c.agency}", c.received_on)

    def _on_record_audit_moderation(self, c: RecordModeration) -> None:
        self.moderated_on = c.held_on
        self.stage = AuditStage.MODERATED

    def _on_record_audit_findings(self, c: RecordFindings) -> None:
        self.graded_on = c.recorded_on
        self.overall_grades = dict(Counter(f.overall.value for f in c.findings))
        per_standard: dict[str, Counter[str]] = {}
        for f in c.findings:
            for code, grade in f.standards.items():
                per_standard.setdefault(code, Counter())[grade.value] += 1
        self.standard_grades = {k: dict(v) for k, v in sorted(per_standard.items())}
        if self.kind in CONCERN_KINDS:
            position = {ref: i for i, ref in enumerate(self.sample, 1)}
            self.concerns = [
                ConcernRaised(
                    concern_ref=concern_ref(self.ref, position[f.case_ref]),
                    sample_no=position[f.case_ref],
                    graded_on=c.recorded_on,
                )
                for f in c.findings
                if f.overall is Grade.INADEQUATE
            ]
            self.concerns.sort(key=lambda x: x.sample_no)
        self.stage = AuditStage.GRADED

    def _on_record_audit_report(self, c: RecordAuditReport) -> None:
        self.reported_on = c.reported_on
        self.report_recipients = list(c.recipients)
        self.stage = AuditStage.REPORTED

    def _on_record_learning_briefing(self, c: RecordLearningBriefing) -> None:
        self.briefing_on = c.issued_on
        self.briefing_recipients = list(c.recipients)

    def _on_raise_action_plan(self, c: RaiseActionPlan) -> None:
        self.action_plan_ref = action_plan_ref(self.ref)
        self.stage = AuditStage.CLOSED
        self.close(f"action plan {self.action_plan_ref} raised")

    def _on_close_audit(self, c: CloseAudit) -> None:
        self.stage = AuditStage.CLOSED
        self.close("closed without actions; reason recorded")


def initial_audit_state(
    c: PlanAudit, *, policy: QaPolicy, calendar_version: str, today: date
) -> AuditState:
    return AuditState(
        ref=c.audit_ref,
        partnership=c.partnership,
        policy=policy,
        calendar_version=calendar_version,
        opened_on=today,
        stage=AuditStage.PLANNED,
        kind=c.kind,
        standards=c.standards,
        standard_codes=standard_set(c.standards).codes,
        period_start=c.period_start,
        period_end=c.period_end,
        sample_size=c.sample_size,
        agencies=list(c.agencies),
    )


def plan_audit_clocks(
    state: AuditState, command: Command, calendar: WorkingDayCalendar
) -> list[Clock]:
    """The clocks ``command`` opens, computed before the event is triggered."""
    if not isinstance(command, RequestReturns):
        return []
    p = state.policy
    first, *later = p.return_escalate_to or ("audit lead",)
    ladder: list[tuple[int, list[str]]] = [(0, [first])]
    if later:
        ladder.append((p.return_second_escalation_working_days, list(later)))
    return [
        make_clock(
            key=f"return:{r.agency}",
            label=f"Audit return ({r.agency})",
            rule="agreed due day",
            owner=r.agency,
            start=command.requested_on,
            due_on=r.due_on,
            calendar=calendar,
            remind_working_days=p.return_chaser_working_days,
            ladder=ladder,
        )
        for r in command.requests
    ]
