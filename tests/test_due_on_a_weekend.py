"""``case show`` (and the QA records' ``show``, and the pages' overdue status) on a due
day that falls on a weekend: "due today" only on the due day itself, never on the
Friday before a Saturday due day; the Sunday after it reads overdue. Working days from
the real England and Wales calendar (``domain.calendar``)."""

from __future__ import annotations

from datetime import date

from qa_engine.calendar import england_and_wales
from qa_engine.entry.cli import render_state
from qa_engine.entry.web.pages import clock_rows
from qa_engine.reviews import ReviewService
from tests.lifecycle import full_lifecycle

SATURDAY = date(2025, 10, 4)


def _line(text: str, label_start: str) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith(label_start))


def test_a_saturday_due_day_is_not_due_today_on_the_friday(service: ReviewService) -> None:
    # aware Mon 2025-03-17: the rapid review decides on an LCSPR on Fri 2025-04-04, so
    # the final report is due 6 calendar months later, on Saturday 2025-10-04
    state = None
    for state in full_lifecycle(service, "SAT-1", aware=date(2025, 3, 17)):
        if "lcspr_final_report" in state.deadlines:
            break
    assert state is not None
    report = state.deadlines["lcspr_final_report"]
    assert report.due_on == SATURDAY and report.status == "open"
    label = report.label

    friday = _line(render_state(state, date(2025, 10, 3)), label)
    assert "due today" not in friday
    assert "due Saturday 2025-10-04" in friday and "no working day left" in friday
    assert "due today" in _line(render_state(state, SATURDAY), label)
    sunday = _line(render_state(state, date(2025, 10, 5)), label)
    assert "OVERDUE (1 day over)" in sunday
    monday = _line(render_state(state, date(2025, 10, 6)), label)
    assert "OVERDUE (1 working day over)" in monday
    thursday = _line(render_state(state, date(2025, 10, 2)), label)
    assert "1 working day left" in thursday

    # the pages: open on the Saturday, overdue on the Sunday after it
    cal = england_and_wales()
    rows = {r["key"]: r for r in clock_rows(state, SATURDAY, cal)}
    assert rows["lcspr_final_report"]["status"] == "open"
    rows = {r["key"]: r for r in clock_rows(state, date(2025, 10, 5), cal)}
    assert rows["lcspr_final_report"]["status"] == "overdue"


def test_the_calendar_reads_a_due_day_in_words() -> None:
    cal = england_and_wales()
    assert cal.left_until(date(2025, 10, 3), SATURDAY).startswith("due Saturday 2025-10-04")
    assert cal.left_until(SATURDAY, SATURDAY) == "due today"
    assert cal.left_until(date(2025, 9, 29), SATURDAY) == "4 working days left"
    # over a bank holiday weekend: Friday 2025-04-18 and Monday 2025-04-21 are holidays
    assert cal.left_until(date(2025, 4, 17), date(2025, 4, 21)).endswith("no working day left)")
    assert cal.over_by(date(2025, 4, 18), date(2025, 4, 21)) == "3 days"
    assert cal.over_by(date(2025, 4, 18), date(2025, 4, 22)) == "1 working day"
