"""Working-day deadlines on the real GOV.UK England-and-Wales data."""

from __future__ import annotations

from datetime import date

import pytest

from domain.calendar import CalendarRangeError, add_calendar_months, end_of_day
from domain.rules import LocalVariations, rule_set
from qa_engine.calendar import england_and_wales

CAL = england_and_wales()


@pytest.mark.parametrize(
    ("start", "days", "expected", "why"),
    [
        (date(2024, 12, 20), 5, date(2024, 12, 31), "DOMAIN.md: across Christmas and Boxing Day"),
        (date(2025, 4, 14), 15, date(2025, 5, 8), "DOMAIN.md: Easter and the early May holiday"),
        (date(2023, 12, 22), 5, date(2024, 1, 3), "Christmas, Boxing Day, New Year's Day"),
        (
            date(2020, 12, 24),
            1,
            date(2020, 12, 29),
            "Boxing Day 2020 fell on a Saturday: substitute Mon 28th",
        ),
        (date(2024, 3, 28), 1, date(2024, 4, 2), "Good Friday and Easter Monday 2024"),
        (
            date(2022, 6, 1),
            1,
            date(2022, 6, 6),
            "2022 one-offs: moved spring holiday 2 June, Jubilee 3 June",
        ),
        (date(2022, 9, 16), 1, date(2022, 9, 20), "2022-09-19: the State Funeral"),
        (date(2023, 5, 5), 1, date(2023, 5, 9), "2023-05-08: the Coronation"),
        (date(2026, 11, 20), 5, date(2026, 11, 27), "a plain week (Friday start: day 0)"),
        (date(2026, 11, 21), 5, date(2026, 11, 27), "a Saturday start still counts from day 0"),
        (date(2030, 12, 23), 2, date(2030, 12, 27), "beyond the GOV.UK copy: computed holidays"),
    ],
)
def test_working_day_deadlines(start: date, days: int, expected: date, why: str) -> None:
    assert CAL.add_working_days(start, days) == expected, why


def test_working_days_between_is_the_inverse_of_adding() -> None:
    start = date(2024, 12, 20)
    end = CAL.add_working_days(start, 15)
    assert CAL.working_days_between(start, end) == 15
    assert CAL.working_days_between(end, start) == -15


def test_notice_counted_backwards_skips_holidays() -> None:
    # 7 working days before Wed 2025-05-14: Mon 5 May is a bank holiday.
    assert CAL.subtract_working_days(date(2025, 5, 14), 7) == date(2025, 5, 2)


def test_dates_beyond_the_data_are_a_clear_error() -> None:
    with pytest.raises(CalendarRangeError, match="outside the bank-holiday data"):
        CAL.add_working_days(date(2040, 12, 28), 10)
    with pytest.raises(CalendarRangeError):
        CAL.is_working_day(date(2011, 6, 1))


def test_calendar_names_its_sources_and_version() -> None:
    assert "govuk-bank-holidays" in CAL.version
    assert any("GOV.UK" in s for s in CAL.sources)


def test_deadline_ends_at_london_midnight_in_utc() -> None:
    assert end_of_day(date(2025, 7, 1)).isoformat() == "2025-07-01T23:00:00+00:00"  # BST
    assert end_of_day(date(2025, 1, 6)).isoformat() == "2025-01-07T00:00:00+00:00"  # GMT


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 15), 6, date(2025, 7, 15)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2025, 10, 1), 6, date(2026, 4, 1)),
    ],
)
def test_calendar_months(start: date, months: int, expected: date) -> None:
    assert add_calendar_months(start, months) == expected


def test_local_variation_start_day_counts_as_day_one() -> None:
    rules = rule_set("wt2023")
    national = rules.due_on("rapid_review", date(2025, 4, 14), CAL, LocalVariations())
    local = rules.due_on(
        "rapid_review", date(2025, 4, 14), CAL, LocalVariations(start_day_counts_as_day_one=True)
    )
    assert national == date(2025, 5, 8)
    assert local == date(2025, 5, 7)


def test_unknown_rule_set_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown rule set 'wt1999'"):
        rule_set("wt1999")


@pytest.mark.parametrize("day", [date(2025, 7, 1), date(2025, 1, 6), date(2025, 3, 30)])
def test_due_day_is_the_inverse_of_end_of_day(day: date) -> None:
    from domain.calendar import due_day

    assert due_day(end_of_day(day)) == day


def test_the_govuk_days_read_from_the_packaged_file_equal_the_packages_own_loader() -> None:
    """``govuk_days`` reads the feed's copy straight from the file (no HTTP client
    imported): the days are exactly those the package's ``BankHolidays`` gives."""
    from govuk_bank_holidays.bank_holidays import BankHolidays

    from qa_engine.calendar import govuk_days

    loaded = BankHolidays(use_cached_holidays=True).get_holidays(
        division=BankHolidays.ENGLAND_AND_WALES
    )
    assert govuk_days() == {h["date"] for h in loaded}
    assert len(govuk_days()) > 100
