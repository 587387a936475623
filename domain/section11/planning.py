"""The clocks a Section 11 step opens (on the one clock engine, ``domain.qa.clock``):
computed with the working-day calendar before its event is triggered, and recorded
in it. Returns are chased before their due day and escalated after it; actions
are reminded before theirs and escalated to the subgroup chair, then the executive."""

from __future__ import annotations

from domain.calendar import WorkingDayCalendar
from domain.qa.clock import Clock, QaPolicy, action_due_clock, make_clock
from domain.section11.commands import OpenSection11Cycle, RaiseS11Action
from domain.section11.state import action_clock, return_clock
from domain.values import Command

__all__ = ["plan_section11_clocks"]


def plan_section11_clocks(
    policy: QaPolicy, command: Command, calendar: WorkingDayCalendar, *, action_id: str = ""
) -> list[Clock]:
    """The clocks ``command`` opens: a return per agency, or an action's due day."""
    if isinstance(command, OpenSection11Cycle):
        first, *later = policy.return_escalate_to or ("Section 11 lead",)
        ladder: list[tuple[int, list[str]]] = [(0, [first])]
        if later:
            ladder.append((policy.return_second_escalation_working_days, list(later)))
        return [
            make_clock(
                key=return_clock(agency),
                label=f"Section 11 self-assessment ({agency})",
                rule="the cycle's return day",
                owner=agency,
                start=command.opened_on,
                due_on=command.returns_due_on,
                calendar=calendar,
                remind_working_days=policy.return_chaser_working_days,
                ladder=ladder,
            )
            for agency in command.cohort()
        ]
    if isinstance(command, RaiseS11Action):
        return [
            action_due_clock(
                policy,
                key=action_clock(action_id),
                label=f"Section 11 action {action_id} ({command.agency})",
                owner=command.agency,
                start=command.raised_on,
                due_on=command.due_on,
                calendar=calendar,
            )
        ]
    return []
