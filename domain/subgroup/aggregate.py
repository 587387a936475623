"""The subgroup aggregate: membership, meetings with quoracy, decision and action logs."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from domain.evolution import fields_of
from domain.qa import events as qa
from domain.qa.clock import Clock, QaPolicy, QaState
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
        RecordMeeting: events.MeetingHeld,
        RecordDecision: events.DecisionRecorded,
        RaiseAction: events.ActionRaised,
        CompleteAction: events.ActionCompleted,
        RaiseAgendaItem: events.AgendaItemRaised,
    }
    reminder_sent = qa.ReminderSent
    escalated = qa.Escalated
    history_read = qa.HistoryRead

    @classmethod
    def form(
        cls, command: FormSubgroup, *, key: str, policy: QaPolicy, calendar_version: str
    ) -> Subgroup:
        group: Subgroup = cls._open(
            events.SubgroupFormed,
            command.group_ref,
            command,
            key=key,
            policy=policy,
            calendar_version=calendar_version,
            opened=[],
        )
        return group

    def record(self, command: Command, *, key: str, today: date, opened: list[Clock]) -> None:
        """Check, then record one event with the facts the step computes (quoracy,
        agenda, log numbers) beside the command's own values."""
        s: SubgroupState = self.state
        s.check(command, today)
        facts: dict[str, Any] = {}
        if isinstance(command, RecordMeeting):
            facts = s.quoracy(command.present, command.chair_decision)
            facts["carried_actions"] = [a.id for a in s.open_actions()]
            facts["agenda_items"] = [i.model_dump(mode="json") for i in s.pending_items]
        elif isinstance(command, RecordDecision):
            facts = {"decision_id": f"D{len(s.decisions) + 1}"}
        elif isinstance(command, RaiseAction):
            facts = {"action_id": f"A{len(s.actions) + 1}"}
        self.trigger_event(
            self.EVENT_OF[type(command)],
            key=key,
            actor=command.actor.model_dump(mode="json"),
            **fields_of(command),
            **facts,
            opened=[c.model_dump(mode="json") for c in opened],
        )


if set(Subgroup.EVENT_OF) != set(SUBGROUP_COMMANDS.values()):  # pragma: no cover
    raise TypeError("subgroup commands and events differ")
