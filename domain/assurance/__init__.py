"""Lifecycle 3, audits of the kinds that are not case samples: practice week,
performance clinic, KCSIE / EYFS / Section 11 declarations, thematic audits with a
critical friend; the grading scale is data (``commands.FOUR_POINT_SCALE`` by default).

Re-exports the pure part (commands, state, checks, the clocks it opens).
"""

from __future__ import annotations

from datetime import date

from domain.assurance.checks import CHECKS, check
from domain.assurance.commands import *  # noqa: F403 - the commands are this package's API
from domain.assurance.commands import RaiseAssuranceAction
from domain.assurance.commands import __all__ as _commands
from domain.assurance.state import AssuranceState, assurance_action_clock
from domain.calendar import WorkingDayCalendar
from domain.qa.clock import Clock, action_due_clock
from domain.values import Command

__all__ = [*_commands, "CHECKS", "AssuranceState", "check", "plan_assurance_clocks"]


def plan_assurance_clocks(
    state: AssuranceState, command: Command, calendar: WorkingDayCalendar
) -> list[Clock]:
    """An action raised starts its due-day clock (on the one clock engine)."""
    if not isinstance(command, RaiseAssuranceAction):
        return []
    action_id = f"AA{len(state.actions) + 1}"
    start: date = command.raised_on
    return [
        action_due_clock(
            state.policy,
            key=assurance_action_clock(action_id),
            label=f"Assurance action {action_id} ({command.agency})",
            owner=command.agency,
            start=start,
            due_on=command.due_on,
            calendar=calendar,
        )
    ]
