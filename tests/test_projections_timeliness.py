"""Timeliness per partnership and quarter: the figures a quarterly assurance report quotes."""

from __future__ import annotations

from datetime import date

import pytest

from projections import queries
from projections.catalogue import build_runner
from qa_engine.config import Settings
from qa_engine.reviews import ReviewService
from tests.lifecycle import full_lifecycle, report, step


@pytest.mark.parametrize(
    ("day", "start_month", "quarter"),
    [
        (date(2025, 1, 13), 4, "2024/25 Q4"),
        (date(2025, 4, 1), 4, "2025/26 Q1"),
        (date(2025, 6, 30), 4, "2025/26 Q1"),
        (date(2025, 7, 1), 4, "2025/26 Q2"),
        (date(2025, 12, 31), 4, "2025/26 Q3"),
        (date(2025, 3, 31), 1, "2025 Q1"),
        (date(2025, 10, 1), 1, "2025 Q4"),
    ],
)
def test_reporting_quarters(day: date, start_month: int, quarter: str) -> None:
    assert queries.quarter_of(day, start_month) == quarter


def test_timeliness_per_partnership_and_quarter(settings: Settings, service: ReviewService) -> None:
    list(full_lifecycle(service, "TL-ONTIME"))  # every clock met in time
    report(service, "TL-LATE")  # notified two days after the due day
    step(
        service,
        "TL-LATE",
        "record_panel_notification",
        date(2025, 1, 15),
        notified_on=date(2025, 1, 15),
    )
    report(service, "TL-OVERDUE")  # never notified
    report(service, "TL-PENDING", aware=date(2025, 1, 9))  # due 2025-01-16: not yet
    report(service, "TL-W", partnership="WSCP")
    step(
        service,
        "TL-W",
        "record_panel_notification",
        date(2025, 1, 7),
        partnership="WSCP",
        notified_on=date(2025, 1, 7),
    )
    step(
        service,
        "TL-W",
        "record_threshold_decision",
        date(2025, 1, 8),
        partnership="WSCP",
        met=True,
        decided_on=date(2025, 1, 8),
        rationale="criteria met",
    )
    step(
        service,
        "TL-W",
        "record_withdrawal",
        date(2025, 1, 8),
        partnership="WSCP",
        withdrawn_on=date(2025, 1, 8),
        reasons="criteria not met after all",
        decided_by=["LA lead", "ICB lead", "Police lead"],
    )

    # The SIN discussion found the criteria not met: the notification was never due
    # (issue 8), so it is not counted, although its due day has passed.
    report(service, "TL-SIN")
    step(
        service,
        "TL-SIN",
        "record_threshold_decision",
        date(2025, 1, 7),
        met=False,
        decided_on=date(2025, 1, 7),
        rationale="criteria not met",
        outcome_if_not_met="close",
    )

    runner = build_runner(service)
    runner.catch_up()
    rows = queries.timeliness(runner.db, today=date(2025, 1, 14))
    table = {
        (r.partnership, r.quarter, r.measure): (r.due, r.within, r.late, r.overdue, r.pending)
        for r in rows
    }
    assert table == {
        # due, within, late, overdue, pending
        ("GSCP", "2024/25 Q4", "notification"): (4, 1, 1, 1, 1),
        ("GSCP", "2024/25 Q4", "rapid_review"): (1, 1, 0, 0, 0),
        ("GSCP", "2025/26 Q1", "publication_notice"): (1, 1, 0, 0, 0),
        ("GSCP", "2025/26 Q2", "lcspr"): (1, 1, 0, 0, 0),  # extended by the recorded pause
        ("WSCP", "2024/25 Q4", "notification"): (1, 1, 0, 0, 0),
    }
    gscp = next(r for r in rows if r.measure == "notification" and r.partnership == "GSCP")
    assert gscp.label == "notifications within 5 working days"
    assert gscp.percent_within == pytest.approx(33.3)

    only = queries.timeliness(
        runner.db, today=date(2025, 1, 14), partnership="wscp", quarter="2024/25 Q4"
    )
    assert [(r.partnership, r.measure, r.within) for r in only] == [("WSCP", "notification", 1)]

    calendar_years = queries.timeliness(runner.db, today=date(2025, 1, 14), year_start_month=1)
    assert {r.quarter for r in calendar_years} == {"2025 Q1", "2025 Q2", "2025 Q3"}
