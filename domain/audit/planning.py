"""The clocks an audit step opens: computed (with the working-day calendar) before
its event is triggered, and recorded in it."""

from __future__ import annotations

from domain.audit.commands import RequestReturns
from domain.audit.state import AuditState
from domain.calendar import WorkingDayCalendar
from domain.qa.clock import Clock, make_clock
from domain.values import Command

__all__ = ["plan_audit_clocks"]


def plan_audit_clocks(
    state: AuditState, command: Command, calendar: WorkingDayCalendar
) -> list[Clock]:
    """The clocks ``command`` opens, computed before the event is triggered."""
    if not isinstance(command, RequestReturns):
        return []
    p = state.policy
    first, *later = p.return_escalate_to or ("audit lead",)
    ladder: list[tuple[int, list[str]]] = [(0, [first])]
    if later:
        ladder.append((p.return_second_escalation_working_days, list(later)))
    return [
        make_clock(
            key=f"return:{r.agency}",
            label=f"Audit return ({r.agency})",
            rule="agreed due day",
            owner=r.agency,
            start=command.requested_on,
            due_on=r.due_on,
            calendar=calendar,
            remind_working_days=p.return_chaser_working_days,
            ladder=ladder,
        )
        for r in command.requests
    ]
