"""The constant-time working-day count agrees with the day-by-day walk, refusals included."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from domain.calendar import count_working_days
from qa_engine.calendar import england_and_wales

CAL = england_and_wales()


def test_the_count_equals_the_walk_across_the_whole_calendar() -> None:
    rnd = random.Random(12)
    span = (CAL.last - CAL.first).days
    pairs = [
        (CAL.first + timedelta(days=rnd.randint(0, span)), rnd.randint(-400, 400))
        for _ in range(400)
    ]
    pairs += [(date(2024, 12, 20), 7), (date(2025, 4, 14), 24), (date(2022, 6, 1), 5)]
    checked = 0
    for start, delta in pairs:
        end = start + timedelta(days=delta)
        if not (CAL.first <= min(start, end) and max(start, end) <= CAL.last):
            continue
        assert count_working_days(CAL, start, end) == CAL.working_days_between(start, end), (
            start,
            end,
        )
        checked += 1
    assert checked > 350
    # the DOMAIN.md examples: 5 working days across Christmas, 15 across Easter
    assert count_working_days(CAL, date(2024, 12, 20), date(2024, 12, 31)) == 5
    assert count_working_days(CAL, date(2025, 5, 8), date(2025, 4, 14)) == -15


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (CAL.first - timedelta(days=3), CAL.first + timedelta(days=10)),
        (CAL.last - timedelta(days=10), CAL.last + timedelta(days=40)),
        (CAL.last + timedelta(days=40), CAL.last - timedelta(days=10)),
        (CAL.first - timedelta(days=30), CAL.last + timedelta(days=30)),
    ],
)
def test_dates_outside_the_calendar_are_refused_as_the_walk_refuses_them(
    start: date, end: date
) -> None:
    with pytest.raises(Exception) as walked:
        CAL.working_days_between(start, end)
    with pytest.raises(type(walked.value)) as counted:
        count_working_days(CAL, start, end)
    assert str(counted.value) == str(walked.value)


def test_the_edges_of_the_calendar_count() -> None:
    first, last = CAL.first, CAL.last
    assert count_working_days(CAL, first - timedelta(days=1), first + timedelta(days=30)) == (
        CAL.working_days_between(first - timedelta(days=1), first + timedelta(days=30))
    )
    assert count_working_days(CAL, last - timedelta(days=30), last) == CAL.working_days_between(
        last - timedelta(days=30), last
    )
    assert count_working_days(CAL, last + timedelta(days=5), last + timedelta(days=5)) == 0


def test_counting_from_one_start_equals_the_count_inside_and_outside_the_calendar() -> None:
    """``working_days_from`` (a query's rows counted from today) is the same count, and
    refuses an end outside the calendar exactly as the walk does."""
    from domain.calendar import working_days_from

    rnd = random.Random(7)
    span = (CAL.last - CAL.first).days
    for _ in range(60):
        start = CAL.first + timedelta(days=rnd.randint(0, span))
        left = working_days_from(CAL, start)
        for delta in (0, 1, -1, rnd.randint(-500, 500), rnd.randint(-40, 40)):
            end = start + timedelta(days=delta)
            if CAL.first <= end <= CAL.last:
                assert left(end) == CAL.working_days_between(start, end), (start, end)
    for start, end in (
        (CAL.last - timedelta(days=10), CAL.last + timedelta(days=40)),
        (CAL.first + timedelta(days=10), CAL.first - timedelta(days=40)),
        (CAL.last + timedelta(days=3), CAL.last - timedelta(days=10)),
    ):
        with pytest.raises(Exception) as walked:
            CAL.working_days_between(start, end)
        with pytest.raises(type(walked.value)) as counted:
            working_days_from(CAL, start)(end)
        assert str(counted.value) == str(walked.value)
