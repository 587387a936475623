"""Lifecycle 1: serious incident → rapid review → LCSPR → publication.

One package, one concern per module:

- ``commands``  strict input models (never stored);
- ``events``    the typed, versioned facts a case records (and their upcasters);
- ``state``     ``ReviewState`` and ``Deadline``, built only from events;
- ``checks``    the rule each command must pass, by command type;
- ``planning``  the deadlines a step opens, computed before its event;
- ``aggregate`` ``ReviewCase``: checks, then triggers one event.

This module re-exports the pure part (no eventsourcing), which workflow code
may import; the event store's side (``aggregate``, ``events``) is imported
from its own modules by the application layer.
"""

from __future__ import annotations

from domain.review.checks import CHECKS, check
from domain.review.commands import *  # noqa: F403 - the commands are this package's API
from domain.review.commands import __all__ as _commands
from domain.review.planning import plan_deadlines, plan_report_deadlines, settle_backdated
from domain.review.state import Deadline, ReviewState, Stage, make_deadline

__all__ = [
    *_commands,
    "CHECKS",
    "Deadline",
    "ReviewState",
    "Stage",
    "check",
    "make_deadline",
    "plan_deadlines",
    "plan_report_deadlines",
    "settle_backdated",
]
