"""The one clock model every lifecycle shares.

A clock is a due day computed once, outside workflow code, with the
working-day calendar, and recorded as a fact in the event that opened it:
when it started, when it is due (day and instant), under which rule and which
calendar version, whether it is statutory, and what the workflow must do
around it (remind before, breach or escalate after). ``ClockBase`` holds what
every clock has; the review lifecycle's ``Deadline`` (statutory clocks with a
reminder, a breach and a pause where the rule allows one) and lifecycle 2's
``Clock`` (reminders and an escalation ladder) add their own fields. Stored
copies are read leniently: unknown fields are ignored, so a field removed later
still loads.

``Timer`` is the next instant a clocked workflow must act on, whatever the
lifecycle: every state offers ``next_timer(now)``, and one clocked-workflow base
(``workflows.clocked``) waits on it. Workflow code compares recorded instants
with ``workflow.now()``; it never counts working days.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["ClockBase", "Timer", "earliest"]


class ClockBase(BaseModel):
    """What every clock records, in every lifecycle."""

    model_config = ConfigDict(extra="ignore")

    key: str
    label: str
    #: the rule the due day comes from (a statutory reference or a local practice)
    rule: str
    clock_start: date
    due_on: date
    due_at: datetime
    calendar_version: str
    status: str = "open"
    met_on: date | None = None
    late: bool = False

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def is_statutory(self) -> bool:
        """A statutory clock is reported in timeliness; an informational one only reminds."""
        return bool(getattr(self, "statutory", False))

    @property
    def pausable(self) -> bool:
        """Whether this clock's rule allows a pause (the lifecycle decides)."""
        return False


class Timer(BaseModel):
    """The next instant a workflow must act on: a reminder, a breach or an escalation."""

    model_config = ConfigDict(frozen=True)

    clock: str
    kind: Literal["remind", "escalate", "breach"]
    index: int
    at: datetime
    due_on: date


def earliest(timers: Iterable[Timer | None]) -> Timer | None:
    """The first of ``timers`` to fire (ties: the first given)."""
    best: Timer | None = None
    for t in timers:
        if t is not None and (best is None or t.at < best.at):
            best = t
    return best
