"""The stages of an action plan: shared by its state and its checks.

Apart from ``state`` so that ``checks`` can compare stages without importing the
state module, which calls ``checks``: no import cycle.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ActionPlanStage"]


class ActionPlanStage(StrEnum):
    IN_PROGRESS = "in_progress"
    AWAITING_IMPACT_CHECK = "awaiting_impact_check"
    CLOSED = "closed"
