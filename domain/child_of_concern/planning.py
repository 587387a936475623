"""The clocks a child-of-concern step opens: computed (with the working-day
calendar) before its event is triggered, and recorded in it."""

from __future__ import annotations

from datetime import date, timedelta

from domain.calendar import WorkingDayCalendar
from domain.child_of_concern.commands import (
    OpenConcern,
    RecordAssistantDirectorReview,
    RecordGroupManagerReview,
)
from domain.child_of_concern.state import ConcernState
from domain.qa.clock import Clock, QaPolicy, make_clock, next_working_day
from domain.values import Command

__all__ = ["plan_after_missed_review", "plan_concern_clocks", "plan_opening_concern_clocks"]


def plan_opening_concern_clocks(
    c: OpenConcern, policy: QaPolicy, calendar: WorkingDayCalendar
) -> list[Clock]:
    p = policy
    due = calendar.add_working_days(c.graded_on, p.concern_group_manager_working_days)
    return [
        make_clock(
            key="gm_review",
            label="Group Manager review",
            rule=f"{p.concern_group_manager_working_days} working days",
            owner="Group Manager",
            start=c.graded_on,
            due_on=due,
            calendar=calendar,
            remind_on=(due,),
            ladder=[(0, list(p.concern_group_manager_escalate_to))],
        )
    ]


def _ad_clock(state: ConcernState, number: int, after: date, cal: WorkingDayCalendar) -> Clock:
    p = state.policy
    due = next_working_day(cal, after + timedelta(days=p.concern_review_interval_days))
    return make_clock(
        key=f"ad_review:{number}",
        label=f"Assistant Director review {number}",
        rule=f"every {p.concern_review_interval_days} days until assured",
        owner="Assistant Director",
        start=after,
        due_on=due,
        calendar=cal,
        remind_on=(due,),
        ladder=[(0, list(p.concern_review_escalate_to))],
        rolls_on_miss=True,
    )


def _next_number(state: ConcernState) -> int:
    return sum(1 for k in state.clocks if k.startswith("ad_review:")) + 1


def plan_concern_clocks(
    state: ConcernState, command: Command, calendar: WorkingDayCalendar
) -> list[Clock]:
    """The clocks ``command`` opens, computed before the event is triggered."""
    if isinstance(command, RecordGroupManagerReview):
        return [_ad_clock(state, _next_number(state), command.reviewed_on, calendar)]
    if isinstance(command, RecordAssistantDirectorReview) and not command.assured:
        return [_ad_clock(state, _next_number(state), command.reviewed_on, calendar)]
    return []


def plan_after_missed_review(
    state: ConcernState, clock: str, calendar: WorkingDayCalendar
) -> list[Clock]:
    """A missed weekly review is escalated and the next week's review falls due."""
    c = state.clocks[clock]
    if not c.rolls_on_miss:
        return []
    return [_ad_clock(state, _next_number(state), c.due_on, calendar)]
