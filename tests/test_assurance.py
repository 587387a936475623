"""Audits of the kinds that are not case samples (issue 10): practice week, performance
clinic, KCSIE / EYFS / Section 11 declarations, thematic audits with a critical friend;
grading scales as data; actions on the clock engine; each kind takes only its steps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from domain.assurance import ASSURANCE_COMMANDS, FOUR_POINT_SCALE, OpenAssurance
from domain.errors import RuleViolation
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.programme import ProgrammeService
from tests.conftest import actor
from tests.test_programme_cli import cli  # noqa: F401 - the CLI fixture

OPENED = date(2026, 5, 11)
TODAY = date(2026, 11, 20)


@pytest.fixture
def programme(settings: Settings) -> Iterator[ProgrammeService]:
    services = bootstrap(settings)
    yield services.programme
    services.close()


def open_activity(svc: ProgrammeService, ref: str, kind: str, **extra: Any) -> Any:
    command = OpenAssurance.model_validate(
        {
            "actor": actor(),
            "activity_ref": ref,
            "partnership": "GSCP",
            "kind": kind,
            "theme": "Practice week May 2026",
            "agencies": ["LA", "POLICE", "ICB"],
            "opened_on": OPENED,
            **extra,
        }
    )
    return svc.open_assurance(command, key=f"open/{ref}")


def step(svc: ProgrammeService, ref: str, name: str, key: str, **fields: Any) -> Any:
    command = ASSURANCE_COMMANDS[name].model_validate({"actor": actor(), **fields})
    return svc.record_assurance_step("GSCP", ref, name, command, key=key, today=TODAY)


def test_a_practice_week_grades_on_the_four_point_scale_by_default(
    programme: ProgrammeService,
) -> None:
    s = open_activity(programme, "PW-2026-05", "practice_week")
    assert s.scale == list(FOUR_POINT_SCALE)
    for i, (agency, form, grade) in enumerate(
        [
            ("LA", "observation", "good"),
            ("POLICE", "reflective_discussion", "requires_improvement"),
            ("LA", "observation", "good"),
        ]
    ):
        s = step(
            programme,
            "PW-2026-05",
            "record_observation",
            f"o{i}",
            agency=agency,
            form=form,
            grade=grade,
            held_on=date(2026, 5, 12 + i),
        )
    assert s.grades() == {"outstanding": 0, "good": 2, "requires_improvement": 1, "inadequate": 0}
    with pytest.raises(RuleViolation) as refused:
        step(
            programme,
            "PW-2026-05",
            "record_observation",
            "bad",
            agency="LA",
            form="observation",
            grade="excellent",
            held_on=date(2026, 5, 15),
        )
    assert (refused.value.field, refused.value.rule) == ("grade", "grade_on_scale")
    with pytest.raises(RuleViolation) as refused:
        step(
            programme,
            "PW-2026-05",
            "record_declaration",
            "decl",
            agency="LA",
            compliant=True,
            declared_on=date(2026, 5, 15),
            evidence="Audit pack",
        )
    assert (refused.value.field, refused.value.rule) == ("step", "step_for_kind")
    assert programme.assurance("GSCP", "PW-2026-05").version == s.version  # nothing recorded
    s = step(
        programme,
        "PW-2026-05",
        "raise_assurance_action",
        "a1",
        agency="POLICE",
        action="Reflective supervision for new starters",
        raised_on=date(2026, 5, 18),
        due_on=date(2026, 7, 31),
    )
    assert s.clocks["assurance_action:AA1"].due_on == date(2026, 7, 31)
    s = step(
        programme,
        "PW-2026-05",
        "complete_assurance_action",
        "c1",
        action_id="AA1",
        completed_on=date(2026, 7, 20),
    )
    assert s.clocks["assurance_action:AA1"].status == "met"
    s = step(
        programme,
        "PW-2026-05",
        "close_assurance",
        "close",
        closed_on=date(2026, 7, 21),
        overall="good",
    )
    assert s.closed and s.overall == "good"


def test_a_scale_of_its_own_and_a_performance_clinic(programme: ProgrammeService) -> None:
    s = open_activity(
        programme, "PC-2026-06", "performance_clinic", scale=["met", "partly_met", "not_met"]
    )
    assert s.scale == ["met", "partly_met", "not_met"]
    for item in ("data", "audit_findings", "actions", "complaints"):
        s = step(
            programme,
            "PC-2026-06",
            "review_clinic_item",
            item,
            item=item,
            reviewed_on=date(2026, 6, 2),
        )
    assert s.clinic_items == ["data", "audit_findings", "actions", "complaints"]
    with pytest.raises(RuleViolation) as refused:
        step(
            programme,
            "PC-2026-06",
            "close_assurance",
            "x",
            closed_on=date(2026, 6, 3),
            overall="good",
        )
    assert refused.value.rule == "grade_on_scale"


@pytest.mark.parametrize(
    "kind", ["kcsie_declaration", "eyfs_declaration", "section_11_declaration"]
)
def test_declarations_close_when_every_agency_has_declared(
    programme: ProgrammeService, kind: str
) -> None:
    open_activity(programme, "DEC-2026", kind)
    step(
        programme,
        "DEC-2026",
        "record_declaration",
        "la",
        agency="LA",
        compliant=True,
        declared_on=date(2026, 6, 1),
        evidence="Safeguarding policy 2026",
    )
    with pytest.raises(RuleViolation) as refused:
        step(programme, "DEC-2026", "close_assurance", "early", closed_on=date(2026, 6, 2))
    assert (refused.value.field, refused.value.rule) == ("closed_on", "declarations_first")
    for agency in ("POLICE", "ICB"):
        s = step(
            programme,
            "DEC-2026",
            "record_declaration",
            agency,
            agency=agency,
            compliant=agency != "ICB",
            declared_on=date(2026, 6, 3),
            evidence="Policy",
        )
    assert [a for a, d in s.declarations.items() if not d.compliant] == ["ICB"]
    assert step(programme, "DEC-2026", "close_assurance", "c", closed_on=date(2026, 6, 4)).closed


def test_a_thematic_audit_has_a_critical_friend(programme: ProgrammeService) -> None:
    with pytest.raises(ValidationError, match="critical_friend"):
        open_activity(programme, "TH-2026", "thematic")
    open_activity(programme, "TH-2026", "thematic", critical_friend="External reviewer")
    with pytest.raises(RuleViolation) as refused:
        step(programme, "TH-2026", "close_assurance", "early", closed_on=date(2026, 6, 2))
    assert refused.value.rule == "critical_friend_first"
    step(
        programme,
        "TH-2026",
        "record_critical_friend_view",
        "cf",
        grade="requires_improvement",
        given_on=date(2026, 6, 5),
    )
    s = step(programme, "TH-2026", "close_assurance", "c", closed_on=date(2026, 6, 6))
    assert s.critical_friend_grade == "requires_improvement" and s.closed
    assert programme.verify("GSCP", "assurance", "TH-2026").ok


def test_assurance_through_the_cli(tmp_path: Path, cli: Any) -> None:  # noqa: F811
    env = {
        "QA_DATA_DIR": str(tmp_path),
        "QA_ACTOR_NAME": "Sam Patel",
        "QA_ACTOR_ROLE": "QA officer",
        "QA_PARTNERSHIP": "GSCP",
        "QA_LOG_LEVEL": "WARNING",
    }
    code, data, err = cli(
        env,
        "assurance",
        "open",
        "--activity-ref",
        "PW-2026-05",
        "--kind",
        "practice_week",
        "--theme",
        "Practice week",
        "--agencies",
        "LA",
        "--agencies",
        "POLICE",
        "--opened-on",
        "2026-05-11",
    )
    assert code == 0, err
    assert data["scale"] == list(FOUR_POINT_SCALE)
    code, data, _ = cli(
        env,
        "assurance",
        "record-observation",
        "PW-2026-05",
        "--agency",
        "LA",
        "--form",
        "observation",
        "--grade",
        "good",
        "--held-on",
        "2026-05-12",
    )
    assert code == 0 and data["observations"] == [["LA", "observation", "good"]]
    code, data, _ = cli(
        env,
        "assurance",
        "review-clinic-item",
        "PW-2026-05",
        "--item",
        "data",
        "--reviewed-on",
        "2026-05-12",
    )
    assert (code, data["field"], data["rule"]) == (1, "step", "step_for_kind")
    code, data, _ = cli(env, "assurance", "verify", "PW-2026-05")
    assert code == 0 and data["records"] == 2


def test_an_action_completes_after_it_was_raised_and_closing_follows_it(
    programme: ProgrammeService,
) -> None:
    """Issue 8: every date in order, naming the field and the rule ``chronology``;
    nothing recorded on a refusal."""
    ref = "PW-2026-ORDER"
    open_activity(programme, ref, "practice_week")
    step(
        programme, ref, "raise_assurance_action", "a1",
        agency="LA", action="Refresh supervision guidance",
        raised_on=date(2026, 5, 20), due_on=date(2026, 7, 31),
    )  # fmt: skip

    def refused(name: str, field: str, **fields: Any) -> None:
        before = programme.assurance("GSCP", ref).version
        with pytest.raises(RuleViolation) as e:
            step(programme, ref, name, f"x-{name}", **fields)
        assert (e.value.field, e.value.rule) == (field, "chronology"), e.value
        assert programme.assurance("GSCP", ref).version == before

    refused(
        "complete_assurance_action", "completed_on", action_id="AA1", completed_on=date(2026, 5, 19)
    )
    step(
        programme,
        ref,
        "complete_assurance_action",
        "done",
        action_id="AA1",
        completed_on=date(2026, 6, 1),
    )
    refused("close_assurance", "closed_on", closed_on=date(2026, 5, 30))
    assert step(programme, ref, "close_assurance", "close", closed_on=date(2026, 6, 2)).closed
