"""The guards every lifecycle-2 step passes before its own rule (``dispatch``).

Typed dispatch: each lifecycle's ``checks`` module maps its command classes to
one rule each; a command that is not a step of the record is a programming error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from domain import chronology
from domain.errors import RuleViolation
from domain.qa.clock import QaState
from domain.values import Command

__all__ = ["Rule", "check_common", "dispatch"]

#: A step's rule: the state, the command (of the rule's own type), today.
Rule = Callable[[Any, Any, date], None]


def check_common(s: QaState, command: Command, today: date) -> None:
    """Nothing is recorded on a closed record, nor dated in the future or before it opened."""
    if s.closed:
        raise RuleViolation(
            f"{s.LABEL} {s.ref} is closed ({s.outcome}); nothing more can be recorded",
            rule="closed",
        )
    for name, value in command:
        if isinstance(value, date) and not isinstance(value, datetime):
            if value > today and name not in s.FUTURE_FIELDS:
                raise RuleViolation(
                    f"{value.isoformat()} is in the future (today is {today.isoformat()})",
                    field=name,
                    rule="no_future_dates",
                )
            if value < s.opened_on and name not in s.FUTURE_FIELDS:
                raise RuleViolation(
                    f"{value.isoformat()} is before this {s.LABEL} was opened "
                    f"({s.opened_on.isoformat()})",
                    field=name,
                    rule="not_before_opening",
                )


def dispatch(
    s: QaState,
    command: Command,
    today: date,
    rules: Mapping[type[Command], Rule],
    order: chronology.Order | None = None,
    *,
    before_issue_8: bool = False,
) -> None:
    """Raise ``RuleViolation`` if ``command`` may not be applied to ``s`` now: the
    common guards, the step's own rule, then every date in order (``order``; not for
    a step a workflow recorded before issue 8 and now replays: ``before_issue_8``)."""
    check_common(s, command, today)
    rule = rules.get(type(command))
    if rule is None:
        raise TypeError(f"{type(command).__name__} is not a step of this {s.LABEL}")
    rule(s, command, today)
    if order is not None and not before_issue_8:
        chronology.in_order(s, command, order)
