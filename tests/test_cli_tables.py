"""The ``list`` commands of every lifecycle print one table shape (``records_table``)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from qa_engine.entry.cli_common import records_table


def test_rows_show_reference_stage_due_day_and_flag() -> None:
    rows = [
        SimpleNamespace(
            case_ref="CR-1",
            partnership="lbx",
            stage="rapid_review",
            next_deadline=datetime(2026, 3, 6, 23, 59, tzinfo=UTC),
            breached=True,
        ),
        SimpleNamespace(
            case_ref="CR-2", partnership="lbx", stage="closed", next_deadline=None, breached=False
        ),
    ]
    text = records_table(
        rows, ref=lambda r: r.case_ref, titles=("CASE", "BREACHED"), widths=(8, 14), empty="none"
    )
    header, first, second = text.splitlines()
    assert header.split() == ["CASE", "PARTNERSHIP", "STAGE", "NEXT", "DUE", "DAY", "BREACHED"]
    assert first.split() == ["CR-1", "lbx", "rapid_review", "2026-03-06", "yes"]
    assert second.split() == ["CR-2", "lbx", "closed", "-", "no"]


def test_no_rows_says_so() -> None:
    assert (
        records_table([], ref=str, titles=("REF", "OVERDUE"), widths=(4, 4), empty="none") == "none"
    )
