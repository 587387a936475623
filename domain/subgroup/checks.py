"""The rules a subgroup step must pass before it is recorded: one per command type."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from domain.errors import OutOfOrder, RuleViolation
from domain.qa.checks import Rule, dispatch
from domain.subgroup.commands import (
    SUBGROUP_COMMANDS,
    CompleteAction,
    RaiseAction,
    RaiseAgendaItem,
    RecordDecision,
    RecordMeeting,
    ScheduleMeeting,
    SignOffAgenda,
)
from domain.values import Command

if TYPE_CHECKING:
    from domain.subgroup.state import Meeting, SubgroupState

__all__ = ["CHECKS", "check"]


def check(s: SubgroupState, command: Command, today: date) -> None:
    dispatch(s, command, today, CHECKS)


def _held(s: SubgroupState, ref: str) -> Meeting:
    m = s.meetings.get(ref)
    if m is None or m.held_on is None:
        raise OutOfOrder(
            f"meeting {ref} of {s.ref} has not been recorded as held",
            field="meeting_ref",
            rule="held_first",
        )
    return m


def _members(s: SubgroupState, agencies: list[str], field: str) -> None:
    outside = [a for a in agencies if a not in s.members]
    if outside:
        raise RuleViolation(
            f"{', '.join(outside)} not a member of {s.ref} ({', '.join(s.members)})",
            field=field,
            rule="member_agency",
        )


def _schedule(s: SubgroupState, c: ScheduleMeeting, today: date) -> None:
    if c.meeting_ref in s.meetings:
        raise RuleViolation(
            f"meeting {c.meeting_ref} is already on the record",
            field="meeting_ref",
            rule="unique_meeting",
        )


#: the system role that may sign off for any group (else the group's own chair role)
CHAIR_ROLE = "subgroup chair"


def _sign_off(s: SubgroupState, c: SignOffAgenda, today: date) -> None:
    if c.actor.role.lower() not in (CHAIR_ROLE, s.chair.lower()):
        raise RuleViolation(
            f"the agenda is signed off by the chair ({s.chair}), not by {c.actor.role}",
            field="actor",
            rule="chair_signs_off",
        )
    m = s.meetings.get(c.meeting_ref)
    if m is None:
        raise OutOfOrder(
            f"meeting {c.meeting_ref} of {s.ref} is not scheduled",
            field="meeting_ref",
            rule="scheduled_first",
        )
    if m.held_on is not None:
        raise RuleViolation(
            f"meeting {c.meeting_ref} was held on {m.held_on.isoformat()}",
            field="meeting_ref",
            rule="before_meeting",
        )
    if m.signed_off_on is not None:
        raise RuleViolation(
            f"the agenda of {c.meeting_ref} was signed off on {m.signed_off_on.isoformat()}",
            field="meeting_ref",
            rule="once_only",
        )


def _record_meeting(s: SubgroupState, c: RecordMeeting, today: date) -> None:
    m = s.meetings.get(c.meeting_ref)
    if m is not None and m.held_on is not None:
        raise RuleViolation(
            f"meeting {c.meeting_ref} is already recorded as held on {m.held_on.isoformat()}",
            field="meeting_ref",
            rule="once_only",
        )
    _members(s, c.present, "present")


def _decision(s: SubgroupState, c: RecordDecision, today: date) -> None:
    m = _held(s, c.meeting_ref)
    if not m.quorate:
        raise RuleViolation(
            f"meeting {c.meeting_ref} was not quorate (absent: {', '.join(m.absent_leads)}) "
            "and the chair recorded no decision for its agenda: it cannot decide",
            field="meeting_ref",
            rule="quorate_for_decisions",
        )


def _raise_action(s: SubgroupState, c: RaiseAction, today: date) -> None:
    m = _held(s, c.meeting_ref)
    _members(s, [c.owner_agency], "owner_agency")
    assert m.held_on is not None
    if c.due_on <= m.held_on:
        raise RuleViolation(
            f"an action is due after the meeting that raised it ({m.held_on.isoformat()})",
            field="due_on",
            rule="due_after_meeting",
        )


def _complete(s: SubgroupState, c: CompleteAction, today: date) -> None:
    a = s.actions.get(c.action_id)
    if a is None:
        raise RuleViolation(
            f"no action {c.action_id} on the log of {s.ref}", field="action_id", rule="exists"
        )
    if a.status != "open":
        raise RuleViolation(f"action {c.action_id} is already done", rule="once_only")
    if c.completed_on < a.raised_on:
        raise RuleViolation(
            f"completed before it was raised ({a.raised_on.isoformat()})",
            field="completed_on",
            rule="chronology",
        )


def _agenda_item(s: SubgroupState, c: RaiseAgendaItem, today: date) -> None:
    return None


CHECKS: Mapping[type[Command], Rule] = {
    SignOffAgenda: _sign_off,
    ScheduleMeeting: _schedule,
    RecordMeeting: _record_meeting,
    RecordDecision: _decision,
    RaiseAction: _raise_action,
    CompleteAction: _complete,
    RaiseAgendaItem: _agenda_item,
}
if set(CHECKS) != set(SUBGROUP_COMMANDS.values()):  # pragma: no cover - a programming error
    raise TypeError("subgroup commands without a rule")
