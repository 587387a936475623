"""The audit's state: what the workflow carries and queries return.

Built only from recorded events: each ``on_*`` method sets state from one event's
own fields (and the clocks recorded with it), so replay rebuilds the same state.
It holds no child reference and no free text: the sample is a count
(``sampled``) and concerns are named by sample position. The sampled references
stay in the (encrypted) event store and its read models; a state built from the
events in the store (the service's aggregate) keeps them in a private attribute
(``sample_refs``), never serialised, so the workflow's state, its query results
and the activities' results in Temporal's history never carry them.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from domain.audit.checks import check as check_rules
from domain.audit.commands import (
    AUDIT_COMMANDS,
    CONCERN_KINDS,
    AuditKind,
    action_plan_ref,
    concern_ref,
)
from domain.audit.stages import AuditStage
from domain.qa.clock import QaPolicy, QaState
from domain.standards import Grade
from domain.values import Command

if TYPE_CHECKING:
    from domain.audit import events

__all__ = ["AuditStage", "AuditState", "ConcernRaised"]


class ConcernRaised(BaseModel):
    model_config = ConfigDict(extra="ignore")
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
    sampled: int = Field(default=0, description="how many cases were sampled")
    sampled_on: date | None = None
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
    #: the sampled references, in order: known only where the state was built from
    #: the stored events (never serialised; ``None`` in a workflow's copy)
    _sample: list[str] | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _count_an_older_sample(cls, data: Any) -> Any:
        """A state serialised by an earlier release (an activity's result or a resumed
        run in a stored Temporal history) held the references: only their count is kept."""
        if isinstance(data, dict) and "sample" in data and "sampled" not in data:
            older = data["sample"]
            data = {k: v for k, v in data.items() if k != "sample"}
            data["sampled"] = len(older) if isinstance(older, list) else 0
        return data

    def dump_with_refs(self) -> str:
        """The state as JSON with its sample's references (``sample_refs``): for the
        read models' sealed state store only, never for Temporal."""
        data = self.model_dump(mode="json")
        data["sample_refs"] = self._sample
        return json.dumps(data)

    @classmethod
    def load_with_refs(cls, text: str) -> AuditState:
        """A state from ``dump_with_refs`` (or an earlier release's dump, whose
        ``sample`` held the references), with its sample's references known."""
        data = json.loads(text)
        refs = data.pop("sample_refs", None)
        if refs is None and isinstance(data.get("sample"), list):
            refs = list(data["sample"])
        state = cls.model_validate(data)
        state._sample = None if refs is None else [str(r) for r in refs]
        return state

    @property
    def sample_refs(self) -> list[str] | None:
        """The sampled references where this state was built from the store, else ``None``."""
        return None if self._sample is None else list(self._sample)

    @classmethod
    def opened_by(cls, e: events.Planned) -> AuditState:
        """The state of an audit just planned (from the opening event's own fields)."""
        return cls(
            ref=e.audit_ref,
            partnership=e.partnership,
            policy=QaPolicy.model_validate(e.policy),
            calendar_version=e.calendar_version,
            opened_on=e.opened_on,
            stage=AuditStage.PLANNED,
            kind=AuditKind(e.kind),
            standards=e.standards,
            standard_codes=list(e.standard_codes),
            period_start=e.period_start,
            period_end=e.period_end,
            sample_size=e.sample_size,
            agencies=list(e.agencies),
        )

    @property
    def last_return_on(self) -> date | None:
        """The day the last agency return arrived (None before any)."""
        days = [d for d in self.returns.values() if d is not None]
        return max(days) if days else None

    def check(self, command: Command, today: date, *, before_issue_8: bool = False) -> None:
        """Raise ``RuleViolation`` if ``command`` may not be applied now (see ``checks``)."""
        check_rules(self, command, today, before_issue_8=before_issue_8)

    # --------------------------------------------------------------- mutations

    def on_sample_drawn(self, e: events.SampleDrawn) -> None:
        self._sample = list(e.case_refs)
        self.sampled = len(e.case_refs)
        self.sampled_on = e.drawn_on
        self.stage = AuditStage.SAMPLED

    def on_returns_requested(self, e: events.ReturnsRequested) -> None:
        for r in e.requests:
            self.returns[str(r["agency"])] = None
        self.stage = AuditStage.RETURNS

    def on_return_received(self, e: events.ReturnReceived) -> None:
        self.returns[e.agency] = e.received_on
        self.meet(f"return:{e.agency}", e.received_on)

    def on_moderated(self, e: events.Moderated) -> None:
        self.moderated_on = e.held_on
        self.stage = AuditStage.MODERATED

    def on_findings_graded(self, e: events.FindingsGraded) -> None:
        self.graded_on = e.recorded_on
        self.overall_grades = dict(Counter(str(f["overall"]) for f in e.findings))
        per_standard: dict[str, Counter[str]] = {}
        for f in e.findings:
            for code, grade in (f.get("standards") or {}).items():
                per_standard.setdefault(code, Counter())[str(grade)] += 1
        self.standard_grades = {k: dict(v) for k, v in sorted(per_standard.items())}
        if self.kind in CONCERN_KINDS:
            if self._sample is None:
                raise ValueError(
                    "placing concerns needs the sample's references: fold the audit from "
                    "its stored events (or a state loaded with load_with_refs)"
                )
            position = {ref: i for i, ref in enumerate(self._sample, 1)}
            self.concerns = [
                ConcernRaised(
                    concern_ref=concern_ref(self.ref, position[f["case_ref"]]),
                    sample_no=position[f["case_ref"]],
                    graded_on=e.recorded_on,
                )
                for f in e.findings
                if f["overall"] == Grade.INADEQUATE
            ]
            self.concerns.sort(key=lambda x: x.sample_no)
        self.stage = AuditStage.GRADED

    def on_report_issued(self, e: events.ReportIssued) -> None:
        self.reported_on = e.reported_on
        self.report_recipients = list(e.recipients)
        self.stage = AuditStage.REPORTED

    def on_learning_briefing_issued(self, e: events.LearningBriefingIssued) -> None:
        self.briefing_on = e.issued_on
        self.briefing_recipients = list(e.recipients)

    def on_action_plan_raised(self, e: events.ActionPlanRaised) -> None:
        self.action_plan_ref = action_plan_ref(self.ref)
        self.stage = AuditStage.CLOSED
        self.close(f"action plan {self.action_plan_ref} raised")

    def on_closed_without_actions(self, e: events.ClosedWithoutActions) -> None:
        self.stage = AuditStage.CLOSED
        self.close("closed without actions; reason recorded")
