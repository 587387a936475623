"""Lifecycle 3, Section 11 on its rotating two-year cycle (seed 003).

Re-exports the pure part (commands, state, checks, the clocks it opens).
"""

from __future__ import annotations

from domain.section11.checks import CHECKS, check
from domain.section11.commands import *  # noqa: F403 - the commands are this package's API
from domain.section11.commands import __all__ as _commands
from domain.section11.planning import plan_section11_clocks
from domain.section11.state import (
    S11Action,
    Section11State,
    SelfAssessment,
    action_clock,
    return_clock,
)

__all__ = [
    *_commands,
    "CHECKS",
    "S11Action",
    "SelfAssessment",
    "Section11State",
    "action_clock",
    "check",
    "plan_section11_clocks",
    "return_clock",
]
