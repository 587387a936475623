"""The programme's commands: strict input models, validated at the edge, never stored.

A partnership's QA programme for a year (seed 002's timetable) is data: entries
(what, how often, which months, which agency owns it), changed only by recorded
decisions (add, pause, resume, skip an occurrence with a reason, ad-hoc entry).
An accepted command's values become its event's typed fields.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from domain.audit.commands import AuditKind
from domain.values import AgencyCode, CaseRef, Command, FreeText, PartnershipCode, invalid

__all__ = [
    "AUDIT_KIND_OF",
    "CADENCE_MONTHS",
    "OPENS",
    "PROGRAMME_COMMANDS",
    "AddAdHocEntry",
    "AddEntry",
    "Cadence",
    "EntryId",
    "EntryKind",
    "EntrySpec",
    "OpenProgramme",
    "Opens",
    "PauseEntry",
    "RecordOccurrenceDone",
    "RecordOccurrenceOpened",
    "ResumeEntry",
    "SkipOccurrence",
    "occurrence_ref",
    "programme_ref",
]

_ENTRY_ID = re.compile(r"^[A-Z][A-Z0-9]{1,11}$")


def _entry_id(value: str) -> str:
    value = value.strip().upper()
    if not _ENTRY_ID.match(value):
        raise invalid(
            None,
            "entry_id_format",
            "an entry id is 2-12 letters and digits, starting with a letter (DIP)",
        )
    return value


EntryId = Annotated[str, AfterValidator(_entry_id)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
Month = Annotated[int, Field(ge=1, le=12)]
Year = Annotated[int, Field(ge=2020, le=2040)]


class EntryKind(StrEnum):
    """What a programme entry is (seed 002's timetable, seeds 000, 001, 003)."""

    DIP_AUDIT = "dip_audit"
    EARLY_HELP_AUDIT = "early_help_audit"
    PRACTICE_EVALUATION = "practice_evaluation"
    FOSTERING_PRACTICE_EVALUATION = "fostering_practice_evaluation"
    MULTI_AGENCY_AUDIT = "multi_agency_audit"
    DEEP_DIVE = "deep_dive"
    SECTION_11 = "section_11"
    PRACTICE_WEEK = "practice_week"
    PERFORMANCE_CLINIC = "performance_clinic"
    QUARTERLY_ASSURANCE_REPORT = "quarterly_assurance_report"
    CONFERENCE_REVIEWING_SUMMARY = "conference_reviewing_summary"
    BRIEFING = "briefing"
    SCORECARD_QUARTER = "scorecard_quarter"
    SUBGROUP_MEETING = "subgroup_meeting"
    PRACTICE_QUALITY_LEARNING_GROUP = "practice_quality_learning_group"
    QUALITY_PERFORMANCE_REVIEW_MEETING = "quality_performance_review_meeting"


Opens = Literal["audit", "meeting", "activity", "report"]

#: what an occurrence of each kind opens: an audit (its workflow), a meeting of a
#: group (``domain.subgroup``), or an activity / report recorded on the programme
#: itself until its own lifecycle exists (practice week, clinics, board pack)
OPENS: dict[EntryKind, Opens] = {
    EntryKind.DIP_AUDIT: "audit",
    EntryKind.EARLY_HELP_AUDIT: "audit",
    EntryKind.PRACTICE_EVALUATION: "audit",
    EntryKind.FOSTERING_PRACTICE_EVALUATION: "audit",
    EntryKind.MULTI_AGENCY_AUDIT: "audit",
    EntryKind.DEEP_DIVE: "audit",
    EntryKind.SECTION_11: "audit",
    EntryKind.PRACTICE_WEEK: "activity",
    EntryKind.PERFORMANCE_CLINIC: "activity",
    EntryKind.QUARTERLY_ASSURANCE_REPORT: "report",
    EntryKind.CONFERENCE_REVIEWING_SUMMARY: "report",
    EntryKind.BRIEFING: "report",
    EntryKind.SCORECARD_QUARTER: "report",
    EntryKind.SUBGROUP_MEETING: "meeting",
    EntryKind.PRACTICE_QUALITY_LEARNING_GROUP: "meeting",
    EntryKind.QUALITY_PERFORMANCE_REVIEW_MEETING: "meeting",
}

AUDIT_KIND_OF: dict[EntryKind, AuditKind] = {
    EntryKind.DIP_AUDIT: AuditKind.DIP,
    EntryKind.EARLY_HELP_AUDIT: AuditKind.EARLY_HELP,
    EntryKind.PRACTICE_EVALUATION: AuditKind.PRACTICE_EVALUATION,
    EntryKind.FOSTERING_PRACTICE_EVALUATION: AuditKind.FOSTERING_PRACTICE_EVALUATION,
    EntryKind.MULTI_AGENCY_AUDIT: AuditKind.MULTI_AGENCY_THEMATIC,
    EntryKind.DEEP_DIVE: AuditKind.DEEP_DIVE,
    EntryKind.SECTION_11: AuditKind.SECTION_11,
}


class Cadence(StrEnum):
    MONTHLY = "monthly"
    BI_MONTHLY = "bi_monthly"
    QUARTERLY = "quarterly"
    TWICE_YEARLY = "twice_yearly"
    YEARLY = "yearly"
    #: n cycles in the months named (e.g. 8 dip-audit cycles)
    CYCLES = "cycles"
    #: an ad-hoc entry: one occurrence on its day
    ONCE = "once"


#: the months a cadence runs in when none are given, and how many it must have
CADENCE_MONTHS: dict[Cadence, tuple[int, ...]] = {
    Cadence.MONTHLY: tuple(range(1, 13)),
    Cadence.BI_MONTHLY: (1, 3, 5, 7, 9, 11),
    Cadence.QUARTERLY: (3, 6, 9, 12),
    Cadence.TWICE_YEARLY: (4, 10),
    Cadence.YEARLY: (4,),
}


def programme_ref(year: int) -> str:
    """A partnership has one programme a year; its reference is the year."""
    return f"QAP-{year}"


def occurrence_ref(entry_id: str, year: int, month: int) -> str:
    """The record an occurrence opens: deterministic from entry and period, so a
    schedule firing twice names (and opens) the same record."""
    return f"{entry_id.upper()}-{year}-{month:02d}"


class EntrySpec(BaseModel):
    """One line of the timetable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entry_id: EntryId = Field(description="short code, e.g. DIP, EH, CLINIC, QIIP")
    kind: EntryKind
    title: Label = Field(description="what it is (no personal data)")
    cadence: Cadence
    months: list[Month] = Field(
        default_factory=list, description="repeatable: months it runs in (1-12); cadence default"
    )
    day: int = Field(default=1, ge=1, le=31, description="day of the month it opens")
    owner_agency: AgencyCode
    group: CaseRef | None = Field(
        default=None, description="meetings: the subgroup / group reference that meets"
    )
    agencies: list[AgencyCode] = Field(
        default_factory=list, description="audits: agencies taking part (default: the owner)"
    )
    sample_size: int = Field(default=5, ge=1, le=200, description="audits: cases sampled")
    lead: Label | None = Field(default=None, description="audits: who leads (role)")
    lookback_months: int = Field(
        default=3, ge=1, le=24, description="audits: the period looked at, in months before"
    )

    @model_validator(mode="after")
    def _rules(self) -> EntrySpec:
        months = sorted(set(self.months))
        if len(months) != len(self.months):
            raise invalid("months", "unique", "each month may appear once")
        if self.cadence == Cadence.CYCLES and not months:
            raise invalid("months", "cadence_months", "a cadence of cycles names its months")
        if self.cadence == Cadence.ONCE and len(months) != 1:
            raise invalid(
                "months", "cadence_months", "an ad-hoc (once) entry has exactly one month"
            )
        wanted = CADENCE_MONTHS.get(self.cadence)
        if wanted is not None and months and len(months) != len(wanted):
            raise invalid(
                "months",
                "cadence_months",
                f"a {self.cadence.value} entry runs in {len(wanted)} month(s); {len(months)} given",
            )
        if self.cadence != Cadence.ONCE and self.day > 28:
            raise invalid(
                "day", "day_of_month", "a recurring entry opens on day 1-28 (every month has it)"
            )
        if OPENS[self.kind] == "meeting" and self.group is None:
            raise invalid(
                "group", "meeting_group", f"a {self.kind.value} entry names the group that meets"
            )
        if len(set(self.agencies)) != len(self.agencies):
            raise invalid("agencies", "unique", "each agency may appear once")
        object.__setattr__(self, "months", months or list(wanted or ()))
        return self


class OpenProgramme(Command):
    """Open a partnership's QA programme for a year, with its timetable."""

    partnership: PartnershipCode
    year: Year
    decided_on: date
    entries: list[EntrySpec] = Field(default_factory=list, max_length=60)

    @model_validator(mode="after")
    def _unique(self) -> OpenProgramme:
        ids = [e.entry_id for e in self.entries]
        if len(set(ids)) != len(ids):
            raise invalid("entries", "unique", "each entry id may appear once")
        return self


class AddEntry(Command):
    """Add an entry to the timetable (a recorded decision)."""

    decided_on: date
    entry: EntrySpec
    reason: FreeText


class PauseEntry(Command):
    """Pause an entry: its schedule stops until it is resumed."""

    entry_id: EntryId
    decided_on: date
    reason: FreeText


class ResumeEntry(Command):
    """Resume a paused entry."""

    entry_id: EntryId
    decided_on: date
    reason: FreeText


class SkipOccurrence(Command):
    """Skip one month's occurrence of an entry, with the reason."""

    entry_id: EntryId
    month: Month
    decided_on: date
    reason: FreeText


class AddAdHocEntry(Command):
    """An ad-hoc occurrence (e.g. a dip audit directed by a Group Manager) on a day."""

    entry_id: EntryId
    kind: EntryKind
    title: Label
    opens_on: date = Field(description="the day it opens")
    owner_agency: AgencyCode
    decided_on: date
    reason: FreeText
    group: CaseRef | None = None
    agencies: list[AgencyCode] = Field(default_factory=list)
    sample_size: int = Field(default=5, ge=1, le=200)
    lead: Label | None = None

    def spec(self) -> EntrySpec:
        return EntrySpec(
            entry_id=self.entry_id,
            kind=self.kind,
            title=self.title,
            cadence=Cadence.ONCE,
            months=[self.opens_on.month],
            day=self.opens_on.day,
            owner_agency=self.owner_agency,
            group=self.group,
            agencies=self.agencies,
            sample_size=self.sample_size,
            lead=self.lead,
        )


class RecordOccurrenceOpened(Command):
    """The schedule opened a month's occurrence (recorded by qa-engine)."""

    entry_id: EntryId
    month: Month
    opened_on: date
    record_kind: Opens
    record_ref: CaseRef


class RecordOccurrenceDone(Command):
    """A month's occurrence was done (the activity held, the report issued)."""

    entry_id: EntryId
    month: Month
    done_on: date


PROGRAMME_COMMANDS: dict[str, type[Command]] = {
    "add_programme_entry": AddEntry,
    "pause_programme_entry": PauseEntry,
    "resume_programme_entry": ResumeEntry,
    "skip_programme_occurrence": SkipOccurrence,
    "add_adhoc_programme_entry": AddAdHocEntry,
    "record_occurrence_opened": RecordOccurrenceOpened,
    "record_occurrence_done": RecordOccurrenceDone,
}
