"""The stages of a review case: shared by its state and its checks.

Apart from ``state`` so that ``checks`` can compare stages without importing the
state module, which calls ``checks``: no import cycle.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Stage"]


class Stage(StrEnum):
    NOTIFICATION = "notification"
    LAC_DEATH_NOTIFICATION = "lac_death_notification"
    RAPID_REVIEW = "rapid_review"
    AWAITING_PANEL_RESPONSE = "awaiting_panel_response"
    LCSPR = "lcspr"
    PUBLICATION = "publication"
    CLOSED = "closed"
