"""A subgroup's commands (seeds 000, 001): membership by agency, meetings with
quoracy, the decision log and the action log. Strict input, never stored."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from domain.values import AgencyCode, CaseRef, Command, Day, FreeText, PartnershipCode, invalid
from domain.values import Label as PaperTitle

__all__ = [
    "LEAD_PARTNERS",
    "SUBGROUP_COMMANDS",
    "CompleteAction",
    "FormSubgroup",
    "RaiseAction",
    "RaiseAgendaItem",
    "RecordDecision",
    "RecordMeeting",
    "ScheduleMeeting",
    "SignOffAgenda",
]

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
ActionId = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^A[0-9]{1,4}$")
]

#: the three lead safeguarding partners: local authority, police, health (ICB)
LEAD_PARTNERS = ("LA", "POLICE", "ICB")


class FormSubgroup(Command):
    """Form a subgroup (or any group that meets): its member agencies and its quorum."""

    group_ref: CaseRef = Field(description="e.g. QIIP")
    partnership: PartnershipCode
    name: Label
    chair: Label = Field(description="the chair's role (e.g. Designated Doctor)")
    members: list[AgencyCode] = Field(min_length=1, max_length=40)
    lead_partners: list[AgencyCode] = Field(
        default_factory=lambda: list(LEAD_PARTNERS),
        description="agencies that must all be present for quorum",
    )
    formed_on: date

    @model_validator(mode="after")
    def _rules(self) -> FormSubgroup:
        if len(set(self.members)) != len(self.members):
            raise invalid("members", "unique", "each agency may appear once")
        missing = [a for a in self.lead_partners if a not in self.members]
        if missing:
            raise invalid(
                "lead_partners",
                "lead_partners_are_members",
                f"{', '.join(missing)} must be members too",
            )
        return self


class ScheduleMeeting(Command):
    """A meeting is planned (by the programme's schedule, or by hand)."""

    meeting_ref: CaseRef
    meeting_on: date


class SignOffAgenda(Command):
    """The chair signs off a scheduled meeting's agenda and papers before it is held."""

    meeting_ref: CaseRef
    papers: list[PaperTitle] = Field(default_factory=list, max_length=40)
    signed_off_on: Day


class RecordMeeting(Command):
    """A meeting was held: who was present, by agency; quoracy follows from it."""

    meeting_ref: CaseRef
    held_on: date
    present: list[AgencyCode] = Field(min_length=1, max_length=40)
    chair_decision: FreeText | None = Field(
        default=None,
        description="the chair's recorded decision that the meeting is quorate for its agenda",
    )

    @model_validator(mode="after")
    def _unique(self) -> RecordMeeting:
        if len(set(self.present)) != len(self.present):
            raise invalid("present", "unique", "each agency may appear once")
        return self


class RecordDecision(Command):
    """A decision of a quorate meeting, for the decision log."""

    meeting_ref: CaseRef
    text: FreeText


class RaiseAction(Command):
    """An action agreed at a meeting: owner agency and due day; carried over until done."""

    meeting_ref: CaseRef
    owner_agency: AgencyCode
    text: FreeText
    due_on: date


class CompleteAction(Command):
    """An action on the log is done."""

    action_id: ActionId
    completed_on: date


class RaiseAgendaItem(Command):
    """An item for the next meeting's agenda (e.g. a scorecard exception)."""

    raised_on: date
    item: Label
    source: Label


SUBGROUP_COMMANDS: dict[str, type[Command]] = {
    "schedule_meeting": ScheduleMeeting,
    "sign_off_agenda": SignOffAgenda,
    "record_meeting": RecordMeeting,
    "record_decision": RecordDecision,
    "raise_action": RaiseAction,
    "complete_action": CompleteAction,
    "raise_agenda_item": RaiseAgendaItem,
}
