"""Lifecycle 3, the quarterly scorecard (seeds 000, 001, 003): indicators as data,
values returned per quarter by agencies, exceptions where a value breaks its
tolerance (raised onto the subgroup's next agenda), trends over quarters.

Re-exports the pure part (commands, state, checks).
"""

from __future__ import annotations

from domain.scorecard.checks import CHECKS, check
from domain.scorecard.commands import *  # noqa: F403 - the commands are this package's API
from domain.scorecard.commands import __all__ as _commands
from domain.scorecard.state import Indicator, ScorecardState, TrendPoint, Value

__all__ = [*_commands, "CHECKS", "Indicator", "ScorecardState", "TrendPoint", "Value", "check"]
