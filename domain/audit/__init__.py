"""Lifecycle 2, audits: plan → sample → agency returns → moderation → findings → report.

One package, one concern per module:

- ``commands``  strict input models (never stored);
- ``events``    the typed, versioned facts an audit records (and their upcasters);
- ``state``     ``AuditState``, built only from events;
- ``checks``    the rule each command must pass, by command type;
- ``planning``  the clocks a step opens, computed before its event;
- ``aggregate`` ``Audit``: checks, then triggers one event.

This module re-exports the pure part (no eventsourcing), which workflow code
may import; the event store's side (``aggregate``, ``events``) is imported
from its own modules by the application layer.
"""

from __future__ import annotations

from domain.audit.checks import CHECKS, check
from domain.audit.commands import *  # noqa: F403 - the commands are this package's API
from domain.audit.commands import __all__ as _commands
from domain.audit.planning import plan_audit_clocks
from domain.audit.state import AuditStage, AuditState, ConcernRaised

__all__ = [
    *_commands,
    "CHECKS",
    "AuditStage",
    "AuditState",
    "ConcernRaised",
    "check",
    "plan_audit_clocks",
]
