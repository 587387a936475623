"""A Section 11 cycle year's state, built only from its events: the agencies asked,
their self-assessments (a RAG per standard, evidence), the scrutiny panel, the
challenge events, the actions and the report to the board."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from domain.qa.clock import QaPolicy, QaState
from domain.section11.checks import check as check_rules
from domain.section11.commands import SECTION_11_COMMANDS, Rag
from domain.values import Command

if TYPE_CHECKING:
    from domain.section11 import events

__all__ = ["S11Action", "Section11State", "SelfAssessment", "action_clock", "return_clock"]


def return_clock(agency: str) -> str:
    return f"self_assessment:{agency}"


def action_clock(action_id: str) -> str:
    return f"section_action:{action_id}"


class SelfAssessment(BaseModel):
    model_config = ConfigDict(extra="ignore")

    agency: str
    submitted_on: date
    ratings: dict[str, Rag]
    evidence: dict[str, list[str]]
    late: bool = False


class S11Action(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    agency: str
    standard: str
    action: str
    raised_on: date
    due_on: date
    completed_on: date | None = None
    evidence: str | None = None

    def overdue(self, today: date) -> bool:
        return self.completed_on is None and today > self.due_on


class Section11State(QaState):
    """A Section 11 cycle year."""

    COMMANDS: ClassVar[dict[str, type[Command]]] = SECTION_11_COMMANDS
    FUTURE_FIELDS: ClassVar[frozenset[str]] = frozenset({"due_on", "returns_due_on"})
    LABEL: ClassVar[str] = "section 11 cycle"

    cycle_year: int
    standards: dict[str, str]
    agencies: list[str]
    returns_due_on: date
    returns: dict[str, SelfAssessment] = Field(default_factory=dict)
    panel_held_on: date | None = None
    scrutinised: list[str] = Field(default_factory=list)
    challenges: dict[str, date] = Field(default_factory=dict)
    actions: dict[str, S11Action] = Field(default_factory=dict)
    reported_on: date | None = None
    board_meeting: str | None = None

    @classmethod
    def opened_by(cls, e: events.Section11CycleOpened) -> Section11State:
        return cls(
            ref=e.cycle_ref,
            partnership=e.partnership,
            policy=QaPolicy.model_validate(e.policy),
            calendar_version=e.calendar_version,
            opened_on=e.opened_on,
            stage="returns",
            cycle_year=e.cycle_year,
            standards=dict(e.standards),
            agencies=list(e.agencies),
            returns_due_on=e.returns_due_on,
        )

    def check(self, command: Command, today: date) -> None:
        check_rules(self, command, today)

    # ------------------------------------------------------------------ views

    def open_actions(self) -> list[S11Action]:
        return [a for a in self.actions.values() if a.completed_on is None]

    @property
    def last_action_done_on(self) -> date | None:
        """The day the last action was completed (None before any)."""
        return max((a.completed_on for a in self.actions.values() if a.completed_on), default=None)

    def outstanding(self) -> list[str]:
        """Agencies whose self-assessment is not in."""
        return [a for a in self.agencies if a not in self.returns]

    def rag_counts(self) -> dict[str, dict[str, int]]:
        """Per standard: how many agencies rated themselves red, amber, green."""
        counts = {code: {"red": 0, "amber": 0, "green": 0} for code in self.standards}
        for r in self.returns.values():
            for code, rag in r.ratings.items():
                counts[code][rag] += 1
        return counts

    # -------------------------------------------------------------- mutations

    def on_self_assessment(self, e: events.SelfAssessmentSubmitted) -> None:
        evidence: dict[str, list[str]] = {}
        for item in e.evidence:
            evidence.setdefault(str(item["standard"]), []).append(str(item["document"]))
        self.returns[e.agency] = SelfAssessment(
            agency=e.agency,
            submitted_on=e.submitted_on,
            ratings={str(r["standard"]): r["rag"] for r in e.ratings},
            evidence=evidence,
            late=e.submitted_on > self.returns_due_on,
        )
        self.meet(return_clock(e.agency), e.submitted_on)

    def on_panel(self, e: events.ScrutinyPanelHeld) -> None:
        self.panel_held_on, self.scrutinised = e.held_on, list(e.agencies)
        self.stage = "scrutiny"

    def on_challenge(self, e: events.ChallengeEventHeld) -> None:
        self.challenges[e.agency] = e.held_on

    def on_action_raised(self, e: events.S11ActionRaised) -> None:
        self.actions[e.action_id] = S11Action(
            id=e.action_id,
            agency=e.agency,
            standard=e.standard,
            action=e.action,
            raised_on=e.raised_on,
            due_on=e.due_on,
        )

    def on_action_completed(self, e: events.S11ActionCompleted) -> None:
        a = self.actions[e.action_id]
        a.completed_on, a.evidence = e.completed_on, e.evidence
        self.meet(action_clock(e.action_id), e.completed_on)

    def on_reported(self, e: events.ReportedToBoard) -> None:
        self.reported_on, self.board_meeting = e.reported_on, e.board_meeting
        self.stage = "reported"

    def on_closed(self, e: events.CycleClosed) -> None:
        self.stage = "closed"
        self.close("completed")
