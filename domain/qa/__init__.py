"""What the lifecycle-2 records share: clocks, the QA policy, the common state and guards.

This module re-exports the pure part (no eventsourcing), which workflow code may
import; the event store's side (``events``: the shared event bases, ``record``:
the base aggregate) is imported from its own modules by the lifecycles.
"""

from __future__ import annotations

from domain.qa.checks import Rule, check_common, dispatch
from domain.qa.clock import (
    Clock,
    Escalation,
    QaPolicy,
    QaState,
    Timer,
    make_clock,
    next_working_day,
)

__all__ = [
    "Clock",
    "Escalation",
    "QaPolicy",
    "QaState",
    "Rule",
    "Timer",
    "check_common",
    "dispatch",
    "make_clock",
    "next_working_day",
]
