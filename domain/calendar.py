"""Working-day arithmetic for statutory clocks (England and Wales).

The calendar is a value: a set of bank holidays with the range it is valid for
and a version string naming its source. Loading the holidays is I/O and lives in
``qa_engine.calendar``; this module only counts.

"Within N working days of X": the day of X is day 0 and the deadline is the end
of the Nth working day after it, Europe/London time.
"""

from __future__ import annotations

import calendar as _stdcal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

__all__ = [
    "LONDON",
    "CalendarRangeError",
    "WorkingDayCalendar",
    "add_calendar_months",
    "count_working_days",
    "due_day",
    "end_of_day",
    "working_days_from",
]


class CalendarRangeError(ValueError):
    """A date lies outside the range the holiday data covers."""

    def __init__(self, day: date, first: date, last: date) -> None:
        super().__init__(
            f"date {day.isoformat()} is outside the bank-holiday data "
            f"({first.isoformat()} to {last.isoformat()}); "
            "update the holiday data or record the deadline by decision"
        )
        self.day = day


@dataclass(frozen=True)
class WorkingDayCalendar:
    """Bank holidays plus weekends, valid between ``first`` and ``last``."""

    holidays: frozenset[date]
    first: date
    last: date
    version: str
    sources: tuple[str, ...] = field(default=())

    def _check(self, day: date) -> None:
        if not self.first <= day <= self.last:
            raise CalendarRangeError(day, self.first, self.last)

    def is_working_day(self, day: date) -> bool:
        self._check(day)
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself is day 0)."""
        if days < 0:
            return self.subtract_working_days(start, -days)
        current, counted = start, 0
        while counted < days:
            current += timedelta(days=1)
            if self.is_working_day(current):
                counted += 1
        return current

    def subtract_working_days(self, end: date, days: int) -> date:
        """The working day that lies ``days`` working days before ``end``."""
        current, counted = end, 0
        while counted < days:
            current -= timedelta(days=1)
            if self.is_working_day(current):
                counted += 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``; negative if end < start."""
        if end < start:
            return -self.working_days_between(end, start)
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def left_until(self, today: date, due_on: date) -> str:
        """How an open deadline due on ``due_on`` reads on ``today``: "due today" only on
        the due day itself. A due day on a weekend or bank holiday has no working day
        left before it on the working day before (counting working days alone would
        read "due today" on the Friday before a Saturday due day)."""
        if today == due_on:
            return "due today"
        if today > due_on:
            return f"{self.over_by(due_on, today)} over"
        left = self.working_days_between(today, due_on)
        if left == 0:
            days = (due_on - today).days
            return (
                f"due {due_on:%A} {due_on.isoformat()} (a non-working day, in {days} "
                f"day{'s' if days != 1 else ''}; no working day left)"
            )
        return f"{left} working day{'s' if left != 1 else ''} left"

    def over_by(self, due_on: date, today: date) -> str:
        """How long past ``due_on`` ``today`` is: in working days, or in days while no
        working day has passed since (a Saturday due day, read on the Sunday)."""
        over = self.working_days_between(due_on, today)
        if over > 0:
            return f"{over} working day{'s' if over != 1 else ''}"
        days = (today - due_on).days
        return f"{days} day{'s' if days != 1 else ''}"


def end_of_day(day: date) -> datetime:
    """The instant a deadline day ends in Europe/London, as an aware UTC datetime."""
    local_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON)
    return local_midnight.astimezone(ZoneInfo("UTC"))


def due_day(deadline_end: datetime) -> date:
    """The day a deadline falls on, from the instant it ends (inverse of ``end_of_day``)."""
    return (deadline_end - timedelta(microseconds=1)).astimezone(LONDON).date()


def add_calendar_months(start: date, months: int) -> date:
    """``start`` plus calendar months, clamped to the month's last day (31 Aug + 6 → 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last_day = _stdcal.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


@lru_cache(maxsize=8)
def _working_day_prefix(calendar: WorkingDayCalendar) -> tuple[int, ...]:
    """``prefix[i]``: working days from ``calendar.first`` up to and including day ``i``."""
    out, count = [], 0
    holidays = calendar.holidays
    day, one = calendar.first, timedelta(days=1)
    while day <= calendar.last:
        if day.weekday() < 5 and day not in holidays:
            count += 1
        out.append(count)
        day += one
    return tuple(out)


def count_working_days(calendar: WorkingDayCalendar, start: date, end: date) -> int:
    """``calendar.working_days_between(start, end)`` in constant time (a prefix count per
    calendar, built once): working days after ``start`` up to and including ``end``;
    negative if ``end < start``. Dates outside the calendar are refused exactly as
    ``working_days_between`` refuses them (through ``is_working_day``, on the first day
    its day-by-day walk would refuse: the day after ``start``, or the day after ``last``)."""
    if end < start:
        return -count_working_days(calendar, end, start)
    if end == start:
        return 0
    calendar.is_working_day(start + timedelta(days=1))
    calendar.is_working_day(min(end, calendar.last + timedelta(days=1)))
    prefix = _working_day_prefix(calendar)
    first = calendar.first
    before = (start - first).days
    return prefix[(end - first).days] - (prefix[before] if before >= 0 else 0)


def working_days_from(calendar: WorkingDayCalendar, start: date) -> Callable[[date], int]:
    """``count_working_days(calendar, start, end)`` as a function of ``end``, for many ends
    from one ``start`` (a query's rows counted from today): the prefix looked up once, and
    per end two indexes. An end outside the calendar goes through ``count_working_days``,
    so it is refused (or counted) exactly as there."""
    prefix = _working_day_prefix(calendar)
    first, last = calendar.first, calendar.last
    if not first <= start <= last:
        return lambda end: count_working_days(calendar, start, end)
    at_start = prefix[(start - first).days]

    def count(end: date) -> int:
        # both inside the calendar: every day the walk would check is inside it too
        if first <= end <= last:
            return prefix[(end - first).days] - at_start
        return count_working_days(calendar, start, end)

    return count
