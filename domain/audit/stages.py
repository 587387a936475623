"""The stages of an audit: shared by its state and its checks.

Apart from ``state`` so that ``checks`` can compare stages without importing the
state module, which calls ``checks``: no import cycle.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AuditStage"]


class AuditStage(StrEnum):
    PLANNED = "planned"
    SAMPLED = "sampled"
    RETURNS = "returns"
    MODERATED = "moderated"
    GRADED = "graded"
    REPORTED = "reported"
    CLOSED = "closed"
