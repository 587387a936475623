"""Lifecycle 3, subgroup meetings (seeds 000, 001): membership by agency, quoracy
(the three lead partners present, or the chair's recorded decision for an
agenda), decision log, action log carried over until done, attendance.

Re-exports the pure part (commands, state, checks).
"""

from __future__ import annotations

from domain.subgroup.checks import CHECKS, check
from domain.subgroup.commands import *  # noqa: F403 - the commands are this package's API
from domain.subgroup.commands import __all__ as _commands
from domain.subgroup.state import Action, AgendaItem, AttendanceRow, Meeting, SubgroupState

__all__ = [
    *_commands,
    "CHECKS",
    "Action",
    "AgendaItem",
    "AttendanceRow",
    "Meeting",
    "SubgroupState",
    "check",
]
