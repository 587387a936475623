"""Loads the England and Wales working-day calendar.

Source of truth: the GOV.UK ``bank-holidays.json`` feed, in the offline copy
that the ``govuk-bank-holidays`` package ships (substitute days and one-offs
included). For years after the last year of that copy, the ``holidays``
package computes the England holidays: a documented fallback, named in the
calendar version so every deadline records which data computed it. Dates
outside both raise ``CalendarRangeError``.
"""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from importlib.metadata import version
from importlib.resources import files

import holidays as holidays_lib

from domain.calendar import WorkingDayCalendar

__all__ = ["FALLBACK_YEARS", "england_and_wales", "govuk_days"]

#: How many years after the GOV.UK data the computed fallback covers.
FALLBACK_YEARS = 12


@lru_cache(maxsize=1)
def england_and_wales() -> WorkingDayCalendar:
    """The calendar, loaded once per process (no network: the packaged copy)."""
    days = govuk_days()
    first_year = min(d.year for d in days)
    last_govuk_year = max(d.year for d in days)
    last_year = last_govuk_year + FALLBACK_YEARS
    computed = holidays_lib.country_holidays(
        "GB", subdiv="ENG", years=range(last_govuk_year + 1, last_year + 1)
    )
    days |= set(computed.keys())
    v_govuk, v_hol = version("govuk-bank-holidays"), version("holidays")
    return WorkingDayCalendar(
        holidays=frozenset(days),
        first=date(first_year, 1, 1),
        last=date(last_year, 12, 31),
        version=f"govuk-bank-holidays {v_govuk} to {last_govuk_year}; holidays {v_hol} after",
        sources=(
            f"GOV.UK bank-holidays.json england-and-wales {first_year}-{last_govuk_year}",
            f"holidays {v_hol} GB-ENG {last_govuk_year + 1}-{last_year}",
        ),
    )


def govuk_days() -> set[date]:
    """England and Wales's days in the GOV.UK feed's copy that ``govuk-bank-holidays``
    ships, read as the file it is: the package's loader imports an HTTP client to offer
    a download this product never makes (a tenth of a command's start, issue 12)."""
    feed = json.loads((files("govuk_bank_holidays") / "bank-holidays.json").read_text("utf-8"))
    return {date.fromisoformat(e["date"]) for e in feed["england-and-wales"]["events"]}
