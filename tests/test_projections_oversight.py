"""Oversight: every open case with its next deadline, RAG on working days, filters, sorts."""

from __future__ import annotations

from datetime import date

import pytest

from domain.calendar import end_of_day
from projections import queries
from projections.catalogue import build_runner
from qa_engine.calendar import england_and_wales
from qa_engine.config import Settings
from qa_engine.reviews import ReviewService
from tests.lifecycle import full_lifecycle, report, step

CAL = england_and_wales()
XMAS_AWARE = date(2024, 12, 20)  # Friday: the Panel notification is due Tue 2024-12-31


@pytest.mark.parametrize(
    ("today", "amber", "expected"),
    [
        (date(2024, 12, 23), 3, ("green", 4)),  # 24, 27, 30, 31: Christmas and Boxing Day skipped
        (date(2024, 12, 24), 3, ("amber", 3)),  # exactly the amber threshold
        (date(2024, 12, 27), 3, ("amber", 2)),
        (date(2024, 12, 31), 3, ("amber", 0)),  # due today
        (date(2025, 1, 1), 3, ("red", 0)),  # past the due day (New Year's Day is not worked)
        (date(2025, 1, 2), 3, ("red", -1)),
        (date(2024, 12, 30), 0, ("green", 1)),
        (date(2024, 12, 31), 0, ("amber", 0)),
    ],
)
def test_rag_counts_working_days_to_the_due_day(
    today: date, amber: int, expected: tuple[str, int]
) -> None:
    assert (
        queries.rag(
            breached=False,
            due_on=date(2024, 12, 31),
            today=today,
            calendar=CAL,
            amber_working_days=amber,
        )
        == expected
    )


def test_a_recorded_breach_is_red_whatever_the_date() -> None:
    status, _ = queries.rag(
        breached=True,
        due_on=date(2025, 3, 3),
        today=date(2025, 1, 2),
        calendar=CAL,
        amber_working_days=3,
    )
    assert status == "red"


def _rag_of(svc: ReviewService, ref: str, today: date, amber: int = 3) -> tuple[str, int | None]:
    runner = build_runner(svc)
    runner.catch_up()
    rows = queries.oversight(runner.db, today=today, calendar=CAL, amber_working_days=amber)
    row = next(r for r in rows if r.ref == ref)
    return row.rag, row.working_days_left


def test_oversight_rag_boundaries_from_the_view(settings: Settings, service: ReviewService) -> None:
    report(service, "RAG-1", aware=XMAS_AWARE)
    assert _rag_of(service, "RAG-1", date(2024, 12, 23)) == ("green", 4)
    assert _rag_of(service, "RAG-1", date(2024, 12, 24)) == ("amber", 3)
    assert _rag_of(service, "RAG-1", date(2024, 12, 31)) == ("amber", 0)
    assert _rag_of(service, "RAG-1", date(2025, 1, 2)) == ("red", -1)

    due_at = end_of_day(date(2024, 12, 31))
    service.record_breach(
        "GSCP", "RAG-1", "panel_notification", key="review-RAG-1/breach", at=due_at
    )
    assert _rag_of(service, "RAG-1", date(2024, 12, 23)) == ("red", 4)


def test_oversight_lists_open_cases_with_next_deadline_and_owner(
    settings: Settings, service: ReviewService
) -> None:
    list(full_lifecycle(service, "OV-CLOSED"))
    report(service, "OV-A", aware=XMAS_AWARE)
    report(service, "OV-B", partnership="WSCP")
    for name, kw in [
        ("record_panel_notification", {"notified_on": date(2025, 1, 7)}),
        ("record_partners_informed", {"informed_on": date(2025, 1, 7)}),
        (
            "record_threshold_decision",
            {"met": True, "decided_on": date(2025, 1, 8), "rationale": "criteria met"},
        ),
    ]:
        step(service, "OV-B", name, date(2025, 1, 8), partnership="WSCP", **kw)
    runner = build_runner(service)
    runner.catch_up()
    today = date(2025, 1, 9)

    def refs(**kw: object) -> list[str]:
        rows = queries.oversight(
            runner.db,
            today=today,
            calendar=CAL,
            amber_working_days=3,
            **kw,  # type: ignore[arg-type]
        )
        return [r.ref for r in rows]

    rows = queries.oversight(runner.db, today=today, calendar=CAL, amber_working_days=3)
    by_ref = {r.ref: r for r in rows}
    assert set(by_ref) == {"OV-A", "OV-B"}  # the closed case has left the view
    a, b = by_ref["OV-A"], by_ref["OV-B"]
    assert (a.kind, a.stage, a.owner, a.next_due_on, a.rag) == (
        "review",
        "notification",
        "local authority",
        date(2024, 12, 31),
        "red",
    )
    assert (b.stage, b.next_deadline, b.partnership) == (
        "rapid_review",
        "Rapid review report to the national Panel",
        "WSCP",
    )
    assert b.owner != "local authority" and b.rag == "green"

    assert refs(partnership="wscp") == ["OV-B"]
    assert refs(stage="notification") == ["OV-A"]
    assert refs(owner="local authority") == ["OV-A"]
    assert refs(rag_in={"red"}) == ["OV-A"]
    assert refs(rag_in={"amber", "green"}) == ["OV-B"]
    assert refs(kind="audit") == []
    assert refs(sort="due") == ["OV-A", "OV-B"]
    assert refs(sort="due", descending=True) == ["OV-B", "OV-A"]
    assert refs(sort="partnership", descending=True) == ["OV-B", "OV-A"]
    with pytest.raises(ValueError, match="sort by"):
        refs(sort="child")


def test_a_paused_clock_is_not_the_next_deadline(
    settings: Settings, service: ReviewService
) -> None:
    states = full_lifecycle(service, "OV-P")
    for state in states:
        if (
            state.deadlines.get("lcspr_final_report")
            and state.deadlines["lcspr_final_report"].paused_on
        ):
            break
    runner = build_runner(service)
    runner.catch_up()
    (row,) = queries.oversight(
        runner.db, today=date(2025, 3, 25), calendar=CAL, amber_working_days=3
    )
    assert row.stage == "lcspr" and row.paused_clocks == 1
    assert row.next_deadline == "LCSPR progress checkpoint (Regulation 14)"
