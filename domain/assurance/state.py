"""An assurance activity's state, built only from its events."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from domain.assurance.checks import check as check_rules
from domain.assurance.commands import ASSURANCE_COMMANDS
from domain.qa.clock import QaPolicy, QaState
from domain.values import Command

if TYPE_CHECKING:
    from domain.assurance import events

__all__ = ["AssuranceAction", "AssuranceState", "Declaration", "assurance_action_clock"]


def assurance_action_clock(action_id: str) -> str:
    return f"assurance_action:{action_id}"


class Declaration(BaseModel):
    model_config = ConfigDict(extra="ignore")

    compliant: bool
    declared_on: date


class AssuranceAction(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    agency: str
    raised_on: date
    due_on: date
    completed_on: date | None = None


class AssuranceState(QaState):
    """A practice week, performance clinic, declaration round or thematic audit."""

    COMMANDS: ClassVar[dict[str, type[Command]]] = ASSURANCE_COMMANDS
    LABEL: ClassVar[str] = "assurance activity"

    kind: str
    theme: str
    agencies: list[str]
    scale: list[str]
    critical_friend: str | None = None
    observations: list[tuple[str, str, str]] = Field(default_factory=list)
    clinic_items: list[str] = Field(default_factory=list)
    declarations: dict[str, Declaration] = Field(default_factory=dict)
    critical_friend_grade: str | None = None
    actions: dict[str, AssuranceAction] = Field(default_factory=dict)
    overall: str | None = None

    @classmethod
    def opened_by(cls, e: events.AssuranceOpened) -> AssuranceState:
        return cls(
            ref=e.activity_ref,
            partnership=e.partnership,
            policy=QaPolicy.model_validate(e.policy),
            calendar_version=e.calendar_version,
            opened_on=e.opened_on,
            stage="open",
            kind=e.kind,
            theme=e.theme,
            agencies=list(e.agencies),
            scale=list(e.scale),
            critical_friend=e.critical_friend,
        )

    def check(self, command: Command, today: date) -> None:
        check_rules(self, command, today)

    @property
    def last_action_done_on(self) -> date | None:
        """The day the last action was completed (None before any)."""
        return max((a.completed_on for a in self.actions.values() if a.completed_on), default=None)

    def grades(self) -> dict[str, int]:
        """Observations and discussions by grade, in the scale's order."""
        counts = Counter(g for _, _, g in self.observations)
        return {g: counts.get(g, 0) for g in self.scale}

    def open_actions(self) -> list[AssuranceAction]:
        return [a for a in self.actions.values() if a.completed_on is None]

    # -------------------------------------------------------------- mutations

    def on_observation(self, e: events.ObservationRecorded) -> None:
        self.observations.append((e.agency, e.form, e.grade))

    def on_clinic_item(self, e: events.ClinicItemReviewed) -> None:
        self.clinic_items.append(e.item)

    def on_declaration(self, e: events.DeclarationRecorded) -> None:
        self.declarations[e.agency] = Declaration(compliant=e.compliant, declared_on=e.declared_on)

    def on_critical_friend(self, e: events.CriticalFriendViewRecorded) -> None:
        self.critical_friend_grade = e.grade

    def on_action_raised(self, e: events.AssuranceActionRaised) -> None:
        self.actions[e.action_id] = AssuranceAction(
            id=e.action_id, agency=e.agency, raised_on=e.raised_on, due_on=e.due_on
        )

    def on_action_completed(self, e: events.AssuranceActionCompleted) -> None:
        self.actions[e.action_id].completed_on = e.completed_on
        self.meet(assurance_action_clock(e.action_id), e.completed_on)

    def on_closed(self, e: events.AssuranceClosed) -> None:
        self.overall = e.overall
        self.stage = "closed"
        self.close("completed")
