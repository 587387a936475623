"""The subgroup aggregate: membership, meetings with quoracy, decision and action logs."""

from __future__ import annotations

from typing import Any, ClassVar

from domain.qa import events as qa
from domain.qa.clock import QaPolicy, QaState
from domain.qa.record import QaRecord
from domain.subgroup import events
from domain.subgroup.commands import (
    SUBGROUP_COMMANDS,
    CompleteAction,
    FormSubgroup,
    RaiseAction,
    RaiseAgendaItem,
    RecordDecision,
    RecordMeeting,
    ScheduleMeeting,
    SignOffAgenda,
)
from domain.subgroup.state import SubgroupState
from domain.values import Command

__all__ = ["Subgroup"]


class Subgroup(QaRecord):
    """A subgroup (or any group that meets) and the facts recorded about it."""

    KIND: ClassVar[str] = "subgroup"
    STATE: ClassVar[type[QaState]] = SubgroupState
    state: ClassVar[SubgroupState]
    EVENT_OF: ClassVar[dict[type[Command], type[qa.StepRecorded]]] = {
        ScheduleMeeting: events.MeetingScheduled,
        SignOffAgenda: events.AgendaSignedOff,
        RecordMeeting: events.MeetingHeld,
        RecordDecision: events.DecisionRecorded,
        RaiseAction: events.ActionRaised,
        CompleteAction: events.ActionCompleted,
        RaiseAgendaItem: events.AgendaItemRaised,
    }

    @classmethod
    def form(
        cls, command: FormSubgroup, *, key: str, policy: QaPolicy, calendar_version: str
    ) -> Subgroup:
        group: Subgroup = cls._open_plain(
            events.SubgroupFormed,
            command.group_ref,
            command,
            key=key,
            policy=policy,
            calendar_version=calendar_version,
        )
        return group

    def facts(self, command: Command) -> dict[str, Any]:
        """The facts a step computes: quoracy and agenda, log numbers."""
        s: SubgroupState = self.state
        if isinstance(command, RecordMeeting):
            facts = s.quoracy(command.present, command.chair_decision)
            facts["carried_actions"] = [a.id for a in s.open_actions()]
            facts["agenda_items"] = [i.model_dump(mode="json") for i in s.pending_items]
            return facts
        if isinstance(command, SignOffAgenda):
            return {
                "agenda_items": [i.model_dump(mode="json") for i in s.pending_items],
            }
        if isinstance(command, RecordDecision):
            return {"decision_id": f"D{len(s.decisions) + 1}"}
        if isinstance(command, RaiseAction):
            return {"action_id": f"A{len(s.actions) + 1}"}
        return {}


if set(Subgroup.EVENT_OF) != set(SUBGROUP_COMMANDS.values()):  # pragma: no cover
    raise TypeError("subgroup commands and events differ")
