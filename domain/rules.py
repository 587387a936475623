"""Statutory clock rule sets, named and versioned.

A case keeps the rule set it started under: the rule set id, its version and
the local variations in force are recorded on the case when it is reported, and
each deadline records the rule set and calendar version that computed it.

National defaults follow Working Together to Safeguard Children 2023. Local
variations are configuration (see ``LocalVariations``), never code. Every clock
names the guidance it comes from (``ClockRule.citation``); docs/architecture.md
lists them.

Version 2 of ``wt2023`` (issue 8): the Panel's response only reminds
(``remind_only``); publication is its own clock (``publication``, a local
target, default 6 calendar months from the decision to initiate the LCSPR);
the looked-after child / care-leaver notice counts from the local authority's
awareness. Cases opened under version 1 keep the clocks they recorded.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.calendar import WorkingDayCalendar, add_calendar_months

__all__ = [
    "RULE_SETS",
    "ClockKind",
    "ClockRule",
    "ClockStart",
    "LocalVariations",
    "RuleSet",
    "rule_set",
]


class ClockKind(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_MONTHS = "calendar_months"
    WORKING_DAYS_BEFORE = "working_days_before"


class ClockStart(StrEnum):
    """What the rapid review clock is counted from."""

    NOTIFICATION = "notification"
    INCIDENT = "incident"
    AWARENESS = "awareness"


class ClockRule(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    label: str
    kind: ClockKind
    amount: int = Field(ge=0)
    statutory: bool = True
    #: whether the guidance lets this clock pause (criminal proceedings, an inquest, ...)
    pausable: bool = False
    #: an expectation, not a duty: the clock reminds and never records a breach
    remind_only: bool = False
    #: where the rule comes from (statute, regulation, guidance or local practice)
    citation: str = ""
    owner_role: str
    escalate_to: tuple[str, ...]

    def describe(self) -> str:
        unit = {
            ClockKind.WORKING_DAYS: "working days",
            ClockKind.CALENDAR_MONTHS: "calendar months",
            ClockKind.WORKING_DAYS_BEFORE: "working days before",
        }[self.kind]
        return f"{self.amount} {unit}"


class LocalVariations(BaseModel):
    """The partnership's local practice, recorded on every case it applies to."""

    model_config = ConfigDict(frozen=True)

    rapid_review_clock_from: ClockStart = ClockStart.NOTIFICATION
    start_day_counts_as_day_one: bool = False
    reminder_lead_working_days: int = Field(default=2, ge=0, le=20)
    lcspr_checkpoint_weeks: int = Field(default=6, ge=1, le=26)
    #: the local target for publication, in calendar months from the decision to
    #: initiate the LCSPR (Working Together 2023 sets no national date; default 6)
    publication_target_months: int = Field(default=6, ge=1, le=24)


class RuleSet(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    version: int
    edition: str
    clocks: dict[str, ClockRule]

    @property
    def label(self) -> str:
        return f"{self.id}@{self.version}"

    def clock(self, key: str) -> ClockRule:
        base = key.split(":", 1)[0]
        return self.clocks[base]

    def due_on(
        self,
        key: str,
        start: date,
        calendar: WorkingDayCalendar,
        variations: LocalVariations,
    ) -> date:
        """The deadline day of clock ``key`` started (notice clocks: ending) at ``start``."""
        rule = self.clock(key)
        if key == "publication":
            return add_calendar_months(start, variations.publication_target_months)
        if rule.kind is ClockKind.CALENDAR_MONTHS:
            return add_calendar_months(start, rule.amount)
        if rule.kind is ClockKind.WORKING_DAYS_BEFORE:
            return calendar.subtract_working_days(start, rule.amount)
        amount = rule.amount
        if variations.start_day_counts_as_day_one and amount > 0:
            amount -= 1
        return calendar.add_working_days(start, amount)


_BM = "partnership business manager"
_LSP = "lead safeguarding partners"
_CHAIR = "rapid review chair"

WT2023 = RuleSet(
    id="wt2023",
    version=2,
    edition="Working Together to Safeguard Children 2023",
    clocks={
        c.key: c
        for c in [
            ClockRule(
                key="panel_notification",
                citation=(
                    "Children Act 2004 s16C(1); Working Together 2023 ch. 5: notify the Panel "
                    "within 5 working days of the local authority becoming aware"
                ),
                label="Notify the national Panel",
                kind=ClockKind.WORKING_DAYS,
                amount=5,
                owner_role="local authority",
                escalate_to=(_BM, _LSP),
            ),
            ClockRule(
                key="partners_informed",
                citation=(
                    "Working Together 2023 ch. 5: the local authority tells the safeguarding "
                    "partners of a notifiable incident"
                ),
                label="Inform the safeguarding partners",
                kind=ClockKind.WORKING_DAYS,
                amount=5,
                owner_role="local authority",
                escalate_to=(_BM,),
            ),
            ClockRule(
                key="sos_ofsted_notification",
                citation=(
                    "Working Together 2023 ch. 5: the death of a looked-after child or a care "
                    "leaver (aged 24 or under) notified to the Secretary of State and Ofsted within"
                    " 5 working days of the local authority becoming aware"
                ),
                label="Notify the Secretary of State and Ofsted (looked-after child death)",
                kind=ClockKind.WORKING_DAYS,
                amount=5,
                owner_role="local authority",
                escalate_to=(_BM, _LSP),
            ),
            ClockRule(
                key="rapid_review",
                citation=(
                    "Working Together 2023 ch. 5: rapid review report to the Panel within 15 "
                    "working days of the notification; never paused"
                ),
                label="Rapid review report to the national Panel",
                kind=ClockKind.WORKING_DAYS,
                amount=15,
                owner_role=_CHAIR,
                escalate_to=(_BM, _LSP),
            ),
            ClockRule(
                key="agency_summary",
                citation="local practice: the due day agreed with each agency",
                label="Agency summary for the rapid review",
                kind=ClockKind.WORKING_DAYS,
                amount=0,
                statutory=False,
                owner_role="agency safeguarding lead",
                escalate_to=(_BM,),
            ),
            ClockRule(
                key="panel_response",
                citation=(
                    "National Panel practice: a response expected in about 10 working days (an "
                    "expectation: remind, never breach)"
                ),
                label="Panel response to the rapid review",
                kind=ClockKind.WORKING_DAYS,
                amount=10,
                statutory=False,
                remind_only=True,
                owner_role="national Panel",
                escalate_to=(_BM,),
            ),
            ClockRule(
                key="panel_information",
                citation=(
                    "National Panel practice: further information the Panel asks for, by the "
                    "day it asks"
                ),
                label="Further information to the national Panel",
                kind=ClockKind.WORKING_DAYS,
                amount=0,
                statutory=False,
                owner_role=_BM,
                escalate_to=(_LSP,),
            ),
            ClockRule(
                key="lcspr_final_report",
                citation=(
                    "Working Together 2023 ch. 5; Regulation 14 (SI 2018/789): final report within "
                    "6 calendar months of the decision to initiate the review"
                ),
                label="LCSPR final report",
                kind=ClockKind.CALENDAR_MONTHS,
                amount=6,
                pausable=True,
                owner_role="independent reviewer",
                escalate_to=(_BM, _LSP),
            ),
            ClockRule(
                key="publication",
                citation="Working Together 2023 ch. 5: publish the final report; local target "
                "(LocalVariations.publication_target_months, default 6 calendar months from the "
                "decision to initiate the LCSPR)",
                label="LCSPR report published",
                kind=ClockKind.CALENDAR_MONTHS,
                amount=6,
                pausable=True,
                owner_role=_BM,
                escalate_to=(_LSP,),
            ),
            ClockRule(
                key="lcspr_checkpoint",
                citation="local practice: progress checkpoints agreed by the partnership",
                label="LCSPR progress checkpoint (Regulation 14)",
                kind=ClockKind.WORKING_DAYS,
                amount=0,
                statutory=False,
                owner_role=_BM,
                escalate_to=(_LSP,),
            ),
            ClockRule(
                key="publication_notice",
                citation=(
                    "Working Together 2023 ch. 5: the final report to the Panel and the Secretary "
                    "of State at least 7 working days before publication"
                ),
                label="Final report to the Panel and Secretary of State before publication",
                kind=ClockKind.WORKING_DAYS_BEFORE,
                amount=7,
                pausable=True,
                owner_role=_BM,
                escalate_to=(_LSP,),
            ),
        ]
    },
)

RULE_SETS: dict[str, RuleSet] = {WT2023.id: WT2023}


def rule_set(rule_set_id: str) -> RuleSet:
    try:
        return RULE_SETS[rule_set_id]
    except KeyError:
        known = ", ".join(sorted(RULE_SETS))
        raise ValueError(f"unknown rule set {rule_set_id!r}; known: {known}") from None
