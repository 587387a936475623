"""Agreed due days in tests built from the server's "today" (any weekday) must be
working days: the services reject a weekend or bank holiday (qa_engine.due_days)."""

from __future__ import annotations

from datetime import date

from domain.qa import next_working_day
from qa_engine.calendar import england_and_wales

__all__ = ["working_day"]

_CALENDAR = england_and_wales()


def working_day(day: date) -> date:
    """``day`` if it is a working day, else the next working day."""
    return next_working_day(_CALENDAR, day)
