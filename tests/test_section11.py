"""Section 11 on its rotating two-year cycle (issue 10, seed 003): a cycle runs from
self-assessments (a RAG and evidence per standard, returns on the clock engine with
chasers and escalation) through the scrutiny panel and a challenge event to actions
completed, the report to the board and closing. Refusals name the field and rule
and record nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from domain.errors import RuleViolation
from domain.section11 import (
    CYCLE_AGENCIES,
    SECTION_11_COMMANDS,
    STANDARDS,
    OpenSection11Cycle,
    action_clock,
    return_clock,
)
from projections import queries
from projections.catalogue import build_runner, sealer_for
from qa_engine.bootstrap import bootstrap
from qa_engine.calendar import england_and_wales
from qa_engine.config import Settings
from qa_engine.programme import ProgrammeService
from tests.conftest import actor
from tests.test_programme_cli import cli  # noqa: F401 - the CLI fixture

CAL = england_and_wales()
OPENED = date(2026, 4, 1)
DUE = date(2026, 5, 29)
TODAY = date(2026, 11, 20)


@pytest.fixture
def programme(settings: Settings) -> Iterator[ProgrammeService]:
    services = bootstrap(settings)
    yield services.programme
    services.close()


def step(svc: ProgrammeService, name: str, key: str, **fields: Any) -> Any:
    command = SECTION_11_COMMANDS[name].model_validate({"actor": actor(), **fields})
    return svc.record_section11_step("GSCP", "S11-2026", name, command, key=key, today=TODAY)


def open_cycle(svc: ProgrammeService, year: int = 1) -> Any:
    return svc.open_section11(
        OpenSection11Cycle(
            actor=actor(),
            cycle_ref="S11-2026",
            partnership="GSCP",
            cycle_year=year,
            opened_on=OPENED,
            returns_due_on=DUE,
        ),
        key="open",
    )


def assessment(agency: str, red: str = "S11_7") -> dict[str, Any]:
    return {
        "agency": agency,
        "ratings": [
            {"standard": code, "rag": "red" if code == red else "green"} for code in STANDARDS
        ],
        "evidence": [
            {"standard": code, "document": f"{agency} policy pack {code}"} for code in STANDARDS
        ],
    }


def test_year_one_asks_the_statutory_partners_each_on_a_return_clock(
    programme: ProgrammeService,
) -> None:
    s = open_cycle(programme)
    assert s.agencies == list(CYCLE_AGENCIES[1]) == ["LA", "HEALTH", "POLICE"]
    assert set(s.standards) == set(STANDARDS)
    clock = s.clocks[return_clock("POLICE")]
    assert clock.due_on == DUE and clock.status == "open" and clock.reminders
    assert open_cycle(programme).version == s.version  # retried: recorded once


def test_year_two_asks_the_non_statutory_partners(programme: ProgrammeService) -> None:
    assert open_cycle(programme, year=2).agencies == ["EDUCATION", "VCS", "FAITH"]


def test_a_cycle_runs_from_self_assessment_to_challenge_to_closed_actions(
    programme: ProgrammeService,
) -> None:
    open_cycle(programme)
    s = step(
        programme,
        "submit_self_assessment",
        "la",
        submitted_on=date(2026, 5, 20),
        **assessment("LA"),
    )
    assert s.returns["LA"].ratings["S11_7"] == "red" and not s.returns["LA"].late
    assert s.clocks[return_clock("LA")].status == "met"
    step(
        programme,
        "submit_self_assessment",
        "health",
        submitted_on=date(2026, 5, 28),
        **assessment("HEALTH", red="S11_5"),
    )
    # POLICE is late: chased before the due day, escalated after it
    chased = programme.chase_section11("GSCP", "S11-2026", now=datetime(2026, 6, 3, 12, tzinfo=UTC))
    police = chased.clocks[return_clock("POLICE")]
    assert police.reminders_sent == len(police.reminders) and police.escalations_sent == 1
    again = programme.chase_section11("GSCP", "S11-2026", now=datetime(2026, 6, 3, 12, tzinfo=UTC))
    assert again.version == chased.version  # nothing more due: nothing recorded
    s = step(
        programme,
        "submit_self_assessment",
        "police",
        submitted_on=date(2026, 6, 4),
        **assessment("POLICE"),
    )
    assert s.returns["POLICE"].late and s.clocks[return_clock("POLICE")].late
    assert s.rag_counts()["S11_7"] == {"red": 2, "amber": 0, "green": 1}

    s = step(programme, "hold_scrutiny_panel", "panel", held_on=date(2026, 7, 1))
    assert s.scrutinised == ["HEALTH", "LA", "POLICE"] and s.stage == "scrutiny"
    s = step(programme, "hold_challenge_event", "ch", agency="LA", held_on=date(2026, 7, 15))
    assert s.challenges == {"LA": date(2026, 7, 15)}
    s = step(
        programme,
        "raise_s11_action",
        "a1",
        agency="LA",
        standard="S11_7",
        action="Agree an escalation protocol",
        raised_on=date(2026, 7, 15),
        due_on=date(2026, 9, 30),
    )
    assert list(s.actions) == ["SA1"]
    assert s.clocks[action_clock("SA1")].due_on == date(2026, 9, 30)
    s = step(
        programme,
        "report_to_board",
        "rep",
        reported_on=date(2026, 9, 10),
        board_meeting="Board 2026-09",
    )
    with pytest.raises(RuleViolation) as refused:
        step(programme, "close_cycle", "close-early", closed_on=date(2026, 9, 11))
    assert refused.value.rule == "actions_completed"
    s = step(
        programme,
        "complete_s11_action",
        "done",
        action_id="SA1",
        completed_on=date(2026, 9, 25),
        evidence="Protocol signed off by the board",
    )
    assert s.clocks[action_clock("SA1")].status == "met" and not s.open_actions()
    s = step(programme, "close_cycle", "close", closed_on=date(2026, 10, 1))
    assert s.closed and s.stage == "closed"
    assert programme.verify("GSCP", "section11", "S11-2026").ok
    names = [e.event for e in programme.history("GSCP", "section11", "S11-2026")]
    assert names.count("SelfAssessmentSubmitted") == 3 and names[-1] == "CycleClosed"


@pytest.mark.parametrize(
    ("name", "fields", "field", "rule"),
    [
        (
            "submit_self_assessment",
            {**assessment("VCS"), "submitted_on": date(2026, 5, 1)},
            "agency",
            "agency_in_cycle",
        ),
        (
            "submit_self_assessment",
            {
                **assessment("LA"),
                "ratings": [{"standard": "S11_1", "rag": "green"}],
                "submitted_on": date(2026, 5, 1),
            },
            "ratings",
            "rag_per_standard",
        ),
        (
            "submit_self_assessment",
            {
                **assessment("LA"),
                "evidence": [{"standard": "S11_1", "document": "pack"}],
                "submitted_on": date(2026, 5, 1),
            },
            "evidence",
            "evidence_per_standard",
        ),
        ("hold_scrutiny_panel", {"held_on": date(2026, 6, 1)}, "held_on", "returns_first"),
        (
            "hold_challenge_event",
            {"agency": "LA", "held_on": date(2026, 6, 1)},
            "held_on",
            "panel_first",
        ),
        (
            "report_to_board",
            {"reported_on": date(2026, 6, 1), "board_meeting": "Board"},
            "held_on",
            "panel_first",
        ),
        ("close_cycle", {"closed_on": date(2026, 6, 1)}, "closed_on", "report_first"),
    ],
)
def test_refusals_name_field_and_rule_and_record_nothing(
    programme: ProgrammeService, name: str, fields: dict[str, Any], field: str, rule: str
) -> None:
    before = open_cycle(programme).version
    with pytest.raises(RuleViolation) as refused:
        step(programme, name, "x", **fields)
    assert (refused.value.field, refused.value.rule) == (field, rule)
    assert programme.section11("GSCP", "S11-2026").version == before


def test_bad_input_is_refused_by_the_command() -> None:
    with pytest.raises(ValidationError, match="returns_due_on"):
        OpenSection11Cycle(
            actor=actor(),
            cycle_ref="S11-2026",
            partnership="GSCP",
            cycle_year=1,
            opened_on=OPENED,
            returns_due_on=OPENED,
        )
    with pytest.raises(ValidationError, match="rag"):
        SECTION_11_COMMANDS["submit_self_assessment"].model_validate(
            {
                "actor": actor(),
                "agency": "LA",
                "submitted_on": OPENED,
                "ratings": [{"standard": "S11_1", "rag": "purple"}],
                "evidence": [{"standard": "S11_1", "document": "pack"}],
            }
        )


def test_section11_through_the_cli(tmp_path: Path, cli: Any) -> None:  # noqa: F811
    env = {
        "QA_DATA_DIR": str(tmp_path),
        "QA_ACTOR_NAME": "Sam Patel",
        "QA_ACTOR_ROLE": "QA officer",
        "QA_PARTNERSHIP": "GSCP",
        "QA_LOG_LEVEL": "WARNING",
    }
    code, data, err = cli(
        env,
        "section11",
        "open",
        "--cycle-ref",
        "S11-2026",
        "--cycle-year",
        "2",
        "--opened-on",
        "2026-04-01",
        "--returns-due-on",
        "2026-05-29",
    )
    assert code == 0, err
    assert data["agencies"] == ["EDUCATION", "VCS", "FAITH"]
    assert data["clocks"]["self_assessment:VCS"]["due_on"] == "2026-05-29"
    pairs = [
        arg
        for code_ in STANDARDS
        for arg in ("--ratings", f"{code_}=amber", "--evidence", f"{code_}=VCS pack")
    ]
    code, data, _ = cli(
        env,
        "section11",
        "submit-self-assessment",
        "S11-2026",
        "--agency",
        "VCS",
        *pairs[:4],
        "--submitted-on",
        "2026-05-01",
    )
    assert (code, data["field"], data["rule"]) == (1, "ratings", "rag_per_standard")
    code, data, _ = cli(
        env,
        "section11",
        "submit-self-assessment",
        "S11-2026",
        "--agency",
        "VCS",
        *pairs,
        "--submitted-on",
        "2026-05-01",
    )
    assert code == 0 and data["returns"]["VCS"]["ratings"]["S11_4"] == "amber"
    auditor = {**env, "QA_ACTOR_NAME": "Ivy Inspector", "QA_ACTOR_ROLE": "auditor"}
    code, data, _ = cli(
        auditor, "section11", "hold-scrutiny-panel", "S11-2026", "--held-on", "2026-06-01"
    )
    assert (code, data["rule"]) == (1, "read_only_role")
    code, data, _ = cli(env, "section11", "show", "S11-2026", "--partnership", "ESSCP")
    assert (code, data["rule"]) == (1, "same_partnership")
    code, data, _ = cli(auditor, "section11", "history", "S11-2026", "--purpose", "inspection")
    assert code == 0
    assert [e["event"] for e in data] == ["Section11CycleOpened", "SelfAssessmentSubmitted"]
    code, data, _ = cli(env, "section11", "verify", "S11-2026")
    assert code == 0 and data["ok"] and data["records"] == 2


def test_oversight_rows_and_trail_for_a_section11_cycle(programme: ProgrammeService) -> None:
    open_cycle(programme)
    step(
        programme,
        "submit_self_assessment",
        "la",
        submitted_on=date(2026, 5, 20),
        **assessment("LA"),
    )
    runner = build_runner(programme)
    runner.catch_up()
    rows = queries.oversight(
        runner.db, today=date(2026, 6, 2), calendar=CAL, amber_working_days=3, kind="section11"
    )
    assert [(r.ref, r.next_due_on, r.rag, r.agencies) for r in rows] == [
        ("S11-2026", DUE, "red", ["HEALTH", "LA", "POLICE"])
    ]
    assert rows[0].owner in ("HEALTH", "POLICE")
    trail = queries.trail(
        runner.db, "S11-2026", partnership="GSCP", sealer=sealer_for(programme), kind="section11"
    )
    assert [t.what for t in trail][1] == (
        "LA self-assessment submitted on 2026-05-20: 1 red, 0 amber, 7 green"
    )


def test_every_date_follows_the_facts_it_depends_on(programme: ProgrammeService) -> None:
    """Issue 8: a challenge, an action or the board report dated before the scrutiny
    panel, and closing before the last action's completion, are refused naming the
    field and the rule ``chronology``; nothing is recorded."""
    open_cycle(programme)
    step(
        programme,
        "submit_self_assessment",
        "la",
        submitted_on=date(2026, 5, 20),
        **assessment("LA"),
    )
    step(programme, "hold_scrutiny_panel", "panel", held_on=date(2026, 7, 1))

    def refused(name: str, field: str, **fields: Any) -> None:
        before = programme.section11("GSCP", "S11-2026").version
        with pytest.raises(RuleViolation) as e:
            step(programme, name, f"x-{name}", **fields)
        assert (e.value.field, e.value.rule) == (field, "chronology"), e.value
        assert programme.section11("GSCP", "S11-2026").version == before

    refused("hold_challenge_event", "held_on", agency="LA", held_on=date(2026, 6, 30))
    action = {"agency": "LA", "standard": "S11_7", "action": "Agree an escalation protocol"}
    refused(
        "raise_s11_action",
        "raised_on",
        **action,
        raised_on=date(2026, 6, 30),
        due_on=date(2026, 9, 30),
    )
    refused("report_to_board", "reported_on", reported_on=date(2026, 6, 30), board_meeting="Board")
    step(
        programme,
        "raise_s11_action",
        "a1",
        **action,
        raised_on=date(2026, 7, 2),
        due_on=date(2026, 9, 30),
    )
    step(
        programme,
        "complete_s11_action",
        "done",
        action_id="SA1",
        completed_on=date(2026, 9, 25),
        evidence="Signed off",
    )
    step(
        programme,
        "report_to_board",
        "rep",
        reported_on=date(2026, 9, 10),
        board_meeting="Board 2026-09",
    )
    refused("close_cycle", "closed_on", closed_on=date(2026, 9, 20))
    assert step(programme, "close_cycle", "close", closed_on=date(2026, 9, 25)).closed
