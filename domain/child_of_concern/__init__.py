"""Lifecycle 2, the child / young person of concern process (seed 002).

One package, one concern per module (``commands``, ``events``, ``state``,
``checks``, ``planning``, ``aggregate``), as for the audit. This module
re-exports the pure part (no eventsourcing), which workflow code may import.
"""

from __future__ import annotations

from domain.child_of_concern.checks import CHECKS, check
from domain.child_of_concern.commands import *  # noqa: F403 - the commands are this package's API
from domain.child_of_concern.commands import __all__ as _commands
from domain.child_of_concern.planning import (
    plan_after_missed_review,
    plan_concern_clocks,
    plan_opening_concern_clocks,
)
from domain.child_of_concern.state import ConcernStage, ConcernState, MissedReview

__all__ = [
    *_commands,
    "CHECKS",
    "ConcernStage",
    "ConcernState",
    "MissedReview",
    "check",
    "plan_after_missed_review",
    "plan_concern_clocks",
    "plan_opening_concern_clocks",
]
