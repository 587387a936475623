"""``domain.steps.allowed_now``: the steps a record's state allows whatever the input
(the pages offer a form only for those), asked of each lifecycle's own rules."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from domain.review import COMMANDS
from domain.section11.commands import SECTION_11_COMMANDS
from domain.steps import allowed_now
from qa_engine.bootstrap import bootstrap
from tests.conftest import sqlite_settings
from tests.review_data import cmd, report

D = date(2025, 4, 11)


def test_a_new_case_offers_its_opening_steps_and_not_the_later_ones(tmp_path: Path) -> None:
    services = bootstrap(sqlite_settings(tmp_path))
    reviews = services.reviews
    state = reviews.report_incident(report(aware=D), key="k/report", today=D)
    steps = allowed_now(state, COMMANDS, D)
    assert {"record_threshold_decision", "record_partners_informed"} <= set(steps)
    # a later stage's steps are refused by the state whatever is typed
    for later in ("record_final_report", "record_publication", "agree_terms_of_reference"):
        assert later not in steps, later
    # the SOS / Ofsted notice is for a looked-after child's death only
    assert "record_sos_ofsted_notification" not in steps

    state = reviews.record_step(
        "GSCP",
        "GSCP-2025-001",
        "record_partners_informed",
        cmd("record_partners_informed", informed_on=D),
        key="k/informed",
        today=D,
    )
    steps = allowed_now(state, COMMANDS, D)
    assert "record_partners_informed" not in steps  # recorded once only
    assert "record_threshold_decision" in steps
    # pausing a clock depends on which clock is named: kept, judged on the input
    assert "pause_clock" in steps
    services.close()


def test_a_section_11_cycle_offers_what_its_stage_allows(tmp_path: Path) -> None:
    from tests.test_board_pack import record_a_year

    services = bootstrap(sqlite_settings(tmp_path))
    record_a_year(services)
    state = services.programme.section11("GSCP", "S11-2026")
    steps = allowed_now(state, SECTION_11_COMMANDS, date(2026, 11, 1))
    assert "hold_scrutiny_panel" not in steps  # held already
    assert {"submit_self_assessment", "hold_challenge_event", "report_to_board"} <= set(steps)
    services.close()
