"""Lifecycle 2, action plans: actions → progress and evidence → completion → impact check.

One package, one concern per module (``commands``, ``events``, ``state``,
``checks``, ``planning``, ``aggregate``), as for the audit. This module
re-exports the pure part (no eventsourcing), which workflow code may import.
"""

from __future__ import annotations

from domain.action_plan.checks import CHECKS, check
from domain.action_plan.commands import *  # noqa: F403 - the commands are this package's API
from domain.action_plan.commands import __all__ as _commands
from domain.action_plan.planning import plan_action_plan_clocks, plan_opening_clocks
from domain.action_plan.state import (
    ActionPlanStage,
    ActionPlanState,
    ActionState,
    ImpactCheck,
    action_ids,
)

__all__ = [
    *_commands,
    "CHECKS",
    "ActionPlanStage",
    "ActionPlanState",
    "ActionState",
    "ImpactCheck",
    "action_ids",
    "check",
    "plan_action_plan_clocks",
    "plan_opening_clocks",
]
