"""The stages of a child of concern: shared by its state and its checks.

Apart from ``state`` so that ``checks`` can compare stages without importing the
state module, which calls ``checks``: no import cycle.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ConcernStage"]


class ConcernStage(StrEnum):
    GROUP_MANAGER_REVIEW = "group_manager_review"
    ASSISTANT_DIRECTOR_REVIEWS = "assistant_director_reviews"
    ASSURED = "assured"
