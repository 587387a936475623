"""The rules a scorecard step must pass before it is recorded: one per command type."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from domain.errors import OutOfOrder, RuleViolation
from domain.qa.checks import Rule, dispatch
from domain.scorecard.commands import SCORECARD_COMMANDS, DefineIndicator, ReturnValue
from domain.values import Command

if TYPE_CHECKING:
    from domain.scorecard.state import ScorecardState

__all__ = ["CHECKS", "check"]


def check(s: ScorecardState, command: Command, today: date) -> None:
    dispatch(s, command, today, CHECKS)


def _define(s: ScorecardState, c: DefineIndicator, today: date) -> None:
    if c.code in s.indicators:
        raise RuleViolation(
            f"indicator {c.code} is already defined on {s.ref}", field="code", rule="once_only"
        )


def _return(s: ScorecardState, c: ReturnValue, today: date) -> None:
    if c.code not in s.indicators:
        raise OutOfOrder(
            f"no indicator {c.code} on {s.ref} "
            f"(defined: {', '.join(sorted(s.indicators)) or 'none'})",
            field="code",
            rule="indicator_defined",
        )
    if c.quarter in s.values.get(c.code, {}):
        raise RuleViolation(
            f"{c.code} for {c.quarter} is already returned", field="quarter", rule="once_only"
        )


CHECKS: Mapping[type[Command], Rule] = {DefineIndicator: _define, ReturnValue: _return}
if set(CHECKS) != set(SCORECARD_COMMANDS.values()):  # pragma: no cover
    raise TypeError("scorecard commands without a rule")
