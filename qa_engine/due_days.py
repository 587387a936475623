"""Agreed due days must be working days.

An agreed due day (an agency's audit return, an action, a rapid-review agency
summary) that falls on a weekend or a bank holiday is rejected, naming the field
and the rule ``due_on_working_day`` and suggesting the next working day; nothing
is recorded. Moving the day silently would record a date nobody agreed, and such
a day is most often a slip when the date was typed. Statutory deadlines are not
agreed days: they are computed in working days and never land on one.

The check needs the working-day calendar, so it runs in the application
services, where deadlines are planned, after the step's own checks and before
anything is recorded (a retried step whose key is already recorded is not
re-checked).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from domain.action_plan import OpenActionPlan, OpenPlanFromReview, RecordImpactCheck
from domain.audit import ActionSpec, RaiseActionPlan, RequestReturns
from domain.calendar import WorkingDayCalendar
from domain.errors import RuleViolation
from domain.qa import next_working_day
from domain.review import RequestAgencySummaries

__all__ = ["RULE", "agreed_due_days", "check_agreed_due_days"]

RULE = "due_on_working_day"


def _actions(field: str, actions: list[ActionSpec]) -> Iterator[tuple[str, str, date]]:
    for i, a in enumerate(actions, 1):
        yield field, f"action {i} ({a.owner_agency})", a.due_on


def agreed_due_days(command: object) -> Iterator[tuple[str, str, date]]:
    """``(field, what, day)`` for every agreed due day a command carries."""
    if isinstance(command, RequestReturns):
        for r in command.requests:
            yield "requests", f"the {r.agency} audit return", r.due_on
    elif isinstance(command, RequestAgencySummaries):
        for s in command.requests:
            yield "requests", f"the {s.agency} agency summary", s.due_on
    elif isinstance(command, RaiseActionPlan | OpenActionPlan):
        yield from _actions("actions", list(command.actions))
    elif isinstance(command, RecordImpactCheck):
        yield from _actions("new_actions", list(command.new_actions))
    elif isinstance(command, OpenPlanFromReview):
        yield "due_on", "the review's actions", command.due_on


def check_agreed_due_days(command: object, calendar: WorkingDayCalendar) -> None:
    """Raise ``RuleViolation`` on the first agreed due day that is not a working day."""
    for field, what, day in agreed_due_days(command):
        if not calendar.is_working_day(day):
            kind = "a weekend" if day.weekday() >= 5 else "a bank holiday"
            suggestion = next_working_day(calendar, day)
            raise RuleViolation(
                f"{what} would be due on {day:%A} {day.isoformat()}, {kind}: agreed due days "
                f"must be working days (the next one is {suggestion:%A} "
                f"{suggestion.isoformat()})",
                field=field,
                rule=RULE,
            )
