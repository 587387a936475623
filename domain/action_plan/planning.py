"""The clocks an action-plan step opens: computed (with the working-day calendar)
before its event is triggered, and recorded in it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain.action_plan.commands import CompleteAction, OpenActionPlan, RecordImpactCheck
from domain.action_plan.state import ActionPlanState, action_ids
from domain.audit.commands import ActionSpec
from domain.calendar import WorkingDayCalendar, add_calendar_months
from domain.qa.clock import Clock, QaPolicy, make_clock
from domain.values import Command

__all__ = ["plan_action_plan_clocks", "plan_opening_clocks"]


def _action_clocks(
    policy: QaPolicy,
    ids: Sequence[str],
    start: date,
    specs: Sequence[ActionSpec],
    calendar: WorkingDayCalendar,
) -> list[Clock]:
    p = policy
    ladder = [(0, [p.subgroup_chair]), (p.escalate_to_executive_after_working_days, [p.executive])]
    return [
        make_clock(
            key=f"action:{action_id}",
            label=f"Action {action_id} ({spec.owner_agency})",
            rule="agreed due day",
            owner=spec.owner_agency,
            start=start,
            due_on=spec.due_on,
            calendar=calendar,
            remind_working_days=p.action_reminder_working_days,
            ladder=ladder,
        )
        for action_id, spec in zip(ids, specs, strict=True)
    ]


def plan_opening_clocks(
    command: OpenActionPlan, policy: QaPolicy, calendar: WorkingDayCalendar
) -> list[Clock]:
    """Clocks of the opening actions (A1, A2, ...)."""
    ids = action_ids(0, len(command.actions))
    return _action_clocks(policy, ids, command.opened_on, command.actions, calendar)


def plan_action_plan_clocks(
    state: ActionPlanState, command: Command, calendar: WorkingDayCalendar
) -> list[Clock]:
    """The clocks ``command`` opens, computed before the event is triggered."""
    p = state.policy
    if isinstance(command, CompleteAction):
        others = [a for a in state.open_actions() if a.id != command.action_id]
        if others:
            return []
        window_opens = add_calendar_months(command.completed_on, p.impact_check_months)
        due = calendar.add_working_days(window_opens, p.impact_check_window_working_days)
        return [
            make_clock(
                key="impact_check",
                label=f"Impact check (round {state.round})",
                rule=f"{p.impact_check_months} months after completion, "
                f"within {p.impact_check_window_working_days} working days",
                owner=p.subgroup_chair,
                start=command.completed_on,
                due_on=due,
                calendar=calendar,
                remind_on=(window_opens,),
                remind_working_days=p.action_reminder_working_days,
                ladder=[
                    (0, [p.subgroup_chair]),
                    (p.escalate_to_executive_after_working_days, [p.executive]),
                ],
            )
        ]
    if isinstance(command, RecordImpactCheck) and command.new_actions:
        ids = state.next_action_ids(len(command.new_actions))
        return _action_clocks(p, ids, command.checked_on, command.new_actions, calendar)
    return []
