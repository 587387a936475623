"""Lifecycle 3, the recurring QA programme: a partnership's timetable for a year
(seed 002), each entry a Temporal Schedule that opens its audit, meeting,
activity or report; changed only by recorded decisions.

Same shape as every lifecycle (``commands``, ``events``, ``state``, ``checks``,
``aggregate``); this module re-exports the pure part, which workflow code may
import.
"""

from __future__ import annotations

from domain.programme.checks import CHECKS, check
from domain.programme.commands import *  # noqa: F403 - the commands are this package's API
from domain.programme.commands import __all__ as _commands
from domain.programme.state import MonthRow, Occurrence, ProgrammeEntry, ProgrammeState

__all__ = [
    *_commands,
    "CHECKS",
    "MonthRow",
    "Occurrence",
    "ProgrammeEntry",
    "ProgrammeState",
    "check",
]
