"""A subgroup's state, built only from its events: members, meetings (with quoracy
and agenda), the decision log, the action log (open actions carried over to each
meeting until done) and items waiting for the next agenda."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.qa.clock import QaPolicy, QaState
from domain.subgroup.checks import check as check_rules
from domain.subgroup.commands import SUBGROUP_COMMANDS
from domain.values import Command

if TYPE_CHECKING:
    from domain.subgroup import events

__all__ = ["Action", "AgendaItem", "AttendanceRow", "Meeting", "SubgroupState"]


class AgendaItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    item: str
    source: str
    raised_on: date


class Meeting(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ref: str
    scheduled_on: date | None = None
    held_on: date | None = None
    present: list[str] = Field(default_factory=list)
    quorate: bool | None = None
    quorate_by: Literal["lead_partners", "chair_decision"] | None = None
    absent_leads: list[str] = Field(default_factory=list)
    carried_actions: list[str] = Field(default_factory=list)
    agenda_items: list[AgendaItem] = Field(default_factory=list)
    decisions: list[str] = Field(default_factory=list)
    actions: list[str] = Field(default_factory=list)
    #: the chair's sign-off of the agenda and papers (none on meetings before it existed)
    signed_off_on: date | None = None
    papers: list[str] = Field(default_factory=list)
    signed_agenda: list[AgendaItem] = Field(default_factory=list)


class Decision(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    meeting_ref: str
    decided_on: date
    text: str


class Action(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    meeting_ref: str
    owner_agency: str
    text: str
    raised_on: date
    due_on: date
    status: Literal["open", "done"] = "open"
    completed_on: date | None = None
    carried_over: list[str] = Field(default_factory=list)


class AttendanceRow(BaseModel):
    agency: str
    lead_partner: bool
    held: int
    attended: int


class SubgroupState(QaState):
    """A subgroup, its meetings and its logs."""

    COMMANDS: ClassVar[dict[str, type[Command]]] = SUBGROUP_COMMANDS
    FUTURE_FIELDS: ClassVar[frozenset[str]] = frozenset({"due_on", "meeting_on"})
    LABEL: ClassVar[str] = "subgroup"

    name: str
    chair: str
    members: list[str]
    lead_partners: list[str]
    meetings: dict[str, Meeting] = Field(default_factory=dict)
    decisions: list[Decision] = Field(default_factory=list)
    actions: dict[str, Action] = Field(default_factory=dict)
    pending_items: list[AgendaItem] = Field(default_factory=list)

    @classmethod
    def opened_by(cls, e: events.SubgroupFormed) -> SubgroupState:
        return cls(
            ref=e.group_ref,
            partnership=e.partnership,
            policy=QaPolicy.model_validate(e.policy),
            calendar_version=e.calendar_version,
            opened_on=e.formed_on,
            stage="active",
            name=e.name,
            chair=e.chair,
            members=list(e.members),
            lead_partners=list(e.lead_partners),
        )

    def check(self, command: Command, today: date) -> None:
        check_rules(self, command, today)

    # ------------------------------------------------------------------ views

    def quoracy(self, present: list[str], chair_decision: str | None) -> dict[str, Any]:
        """Quorate when every lead partner is present, or by the chair's recorded decision."""
        absent = [a for a in self.lead_partners if a not in present]
        if not absent:
            return {"quorate": True, "quorate_by": "lead_partners", "absent_leads": []}
        if chair_decision:
            return {"quorate": True, "quorate_by": "chair_decision", "absent_leads": absent}
        return {"quorate": False, "quorate_by": None, "absent_leads": absent}

    def open_actions(self) -> list[Action]:
        return [a for a in self.actions.values() if a.status == "open"]

    def attendance(self, year: int) -> list[AttendanceRow]:
        """Attendance by member agency at the meetings held in ``year``."""
        held = [m for m in self.meetings.values() if m.held_on and m.held_on.year == year]
        return [
            AttendanceRow(
                agency=a,
                lead_partner=a in self.lead_partners,
                held=len(held),
                attended=sum(a in m.present for m in held),
            )
            for a in self.members
        ]

    # -------------------------------------------------------------- mutations

    def on_meeting_scheduled(self, e: events.MeetingScheduled) -> None:
        self.meetings[e.meeting_ref] = Meeting(ref=e.meeting_ref, scheduled_on=e.meeting_on)

    def on_agenda_signed_off(self, e: events.AgendaSignedOff) -> None:
        m = self.meetings[e.meeting_ref]
        m.signed_off_on, m.papers = e.signed_off_on, list(e.papers)
        m.signed_agenda = [AgendaItem.model_validate(i) for i in e.agenda_items]

    def on_meeting_held(self, e: events.MeetingHeld) -> None:
        m = self.meetings.setdefault(e.meeting_ref, Meeting(ref=e.meeting_ref))
        m.held_on, m.present = e.held_on, list(e.present)
        m.quorate, m.absent_leads = e.quorate, list(e.absent_leads)
        m.quorate_by = e.quorate_by  # type: ignore[assignment]
        m.carried_actions = list(e.carried_actions)
        m.agenda_items = [AgendaItem.model_validate(i) for i in e.agenda_items]
        for action_id in e.carried_actions:
            self.actions[action_id].carried_over.append(e.meeting_ref)
        self.pending_items = self.pending_items[len(e.agenda_items) :]

    def on_decision_recorded(self, e: events.DecisionRecorded) -> None:
        m = self.meetings[e.meeting_ref]
        assert m.held_on is not None
        self.decisions.append(
            Decision(id=e.decision_id, meeting_ref=e.meeting_ref, decided_on=m.held_on, text=e.text)
        )
        m.decisions.append(e.decision_id)

    def on_action_raised(self, e: events.ActionRaised) -> None:
        m = self.meetings[e.meeting_ref]
        assert m.held_on is not None
        self.actions[e.action_id] = Action(
            id=e.action_id,
            meeting_ref=e.meeting_ref,
            owner_agency=e.owner_agency,
            text=e.text,
            raised_on=m.held_on,
            due_on=e.due_on,
        )
        m.actions.append(e.action_id)

    def on_action_completed(self, e: events.ActionCompleted) -> None:
        a = self.actions[e.action_id]
        a.status, a.completed_on = "done", e.completed_on
        self.meet(f"subgroup_action:{e.action_id}", e.completed_on)  # none before clocks ran

    def on_agenda_item_raised(self, e: events.AgendaItemRaised) -> None:
        self.pending_items.append(AgendaItem(item=e.item, source=e.source, raised_on=e.raised_on))
