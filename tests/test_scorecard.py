"""The quarterly scorecard (issue 10): indicators as data, values per quarter, an
exception where a value breaks tolerance raised onto the subgroup's next agenda,
and trends over quarters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from domain.errors import CaseNotFound, RuleViolation
from domain.scorecard import SCORECARD_COMMANDS, OpenScorecard, ReturnValue
from domain.subgroup import SUBGROUP_COMMANDS, FormSubgroup
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.programme import ProgrammeService
from tests.conftest import actor

OPENED = date(2026, 4, 1)
TODAY = date(2026, 10, 20)


@pytest.fixture
def programme(settings: Settings) -> Iterator[ProgrammeService]:
    services = bootstrap(settings)
    yield services.programme
    services.close()


def setup(svc: ProgrammeService) -> None:
    svc.form_subgroup(
        FormSubgroup(
            actor=actor(),
            group_ref="QIIP",
            partnership="GSCP",
            name="QIIP",
            chair="Designated Doctor",
            members=["LA", "POLICE", "ICB"],
            formed_on=OPENED,
        ),
        key="form",
    )
    svc.open_scorecard(
        OpenScorecard(
            actor=actor(),
            scorecard_ref="GSCP-SC",
            partnership="GSCP",
            subgroup_ref="QIIP",
            opened_on=OPENED,
        ),
        key="open",
    )
    step(
        svc,
        "define_indicator",
        "i1",
        code="ihc_15wd",
        name="Initial health assessments within 15 working days",
        source_agency="ICB",
        polarity="higher_is_better",
        target=90,
        tolerance=5,
        unit="%",
        decided_on=OPENED,
    )
    step(
        svc,
        "define_indicator",
        "i2",
        code="REPEAT_CP",
        name="Repeat child protection plans",
        source_agency="LA",
        polarity="lower_is_better",
        target=18,
        tolerance=2,
        unit="%",
        decided_on=OPENED,
    )


def step(svc: ProgrammeService, step_name: str, key: str, **fields: Any) -> Any:
    command = SCORECARD_COMMANDS[step_name].model_validate({"actor": actor(), **fields})
    return svc.record_scorecard_step("GSCP", "GSCP-SC", step_name, command, key=key, today=TODAY)


def test_an_exception_goes_onto_the_subgroups_next_agenda(programme: ProgrammeService) -> None:
    setup(programme)
    values = [
        ("IHC_15WD", "2026/27 Q1", 88.0),
        ("REPEAT_CP", "2026/27 Q1", 17.0),
        ("IHC_15WD", "2026/27 Q2", 81.5),
        ("REPEAT_CP", "2026/27 Q2", 21.0),
    ]
    for i, (code, quarter, value) in enumerate(values):
        s = step(
            programme,
            "return_value",
            f"v{i}",
            code=code,
            quarter=quarter,
            value=value,
            returned_on=date(2026, 10, 1 + i),
        )
    again = step(
        programme,
        "return_value",
        "v3",
        code="REPEAT_CP",
        quarter="2026/27 Q2",
        value=21.0,
        returned_on=date(2026, 10, 4),
    )
    assert again == s  # retried with its key: nothing more
    assert [(i.code, v.quarter) for i, v in s.exceptions()] == [
        ("IHC_15WD", "2026/27 Q2"),
        ("REPEAT_CP", "2026/27 Q2"),
    ]
    assert [(p.value, p.rag, p.change) for p in s.trend("IHC_15WD")] == [
        (88.0, "amber", "first"),
        (81.5, "red", "worsening"),
    ]
    assert [(p.rag, p.change) for p in s.trend("REPEAT_CP")] == [
        ("green", "first"),
        ("red", "worsening"),
    ]
    group = programme.subgroup("GSCP", "QIIP")
    assert [i.item for i in group.pending_items] == [
        "Scorecard exception IHC_15WD 2026/27 Q2: 81.5% against target 90% "
        "(tolerance 5, higher is better)",
        "Scorecard exception REPEAT_CP 2026/27 Q2: 21% against target 18% "
        "(tolerance 2, lower is better)",
    ]
    meeting = SUBGROUP_COMMANDS["record_meeting"].model_validate(
        {
            "actor": actor(),
            "meeting_ref": "QIIP-2026-10",
            "held_on": TODAY,
            "present": ["LA", "POLICE", "ICB"],
        }
    )
    group = programme.record_subgroup_step(
        "GSCP", "QIIP", "record_meeting", meeting, key="m", today=TODAY
    )
    agenda = group.meetings["QIIP-2026-10"].agenda_items
    assert [i.source for i in agenda] == ["scorecard GSCP-SC"] * 2
    assert group.pending_items == []
    events = [e.event for e in programme.history("GSCP", "subgroup", "QIIP")]
    assert events.count("AgendaItemRaised") == 2
    assert programme.verify("GSCP", "scorecard", "GSCP-SC").ok


def test_refusals_and_bad_input(programme: ProgrammeService) -> None:
    setup(programme)
    before = programme.history("GSCP", "scorecard", "GSCP-SC")
    with pytest.raises(RuleViolation) as err:
        step(
            programme,
            "return_value",
            "x",
            code="NOPE",
            quarter="2026/27 Q1",
            value=1,
            returned_on=TODAY,
        )
    assert (err.value.field, err.value.rule) == ("code", "indicator_defined")
    step(
        programme,
        "return_value",
        "ok",
        code="REPEAT_CP",
        quarter="2026/27 Q1",
        value=1,
        returned_on=TODAY,
    )
    with pytest.raises(RuleViolation) as err:
        step(
            programme,
            "return_value",
            "y",
            code="REPEAT_CP",
            quarter="2026/27 Q1",
            value=2,
            returned_on=TODAY,
        )
    assert (err.value.field, err.value.rule) == ("quarter", "once_only")
    assert len(programme.history("GSCP", "scorecard", "GSCP-SC")) == len(before) + 1
    with pytest.raises(ValidationError, match="2026/27 Q1"):
        ReturnValue(
            actor=actor(),
            code="REPEAT_CP",
            quarter="2026 Q1",
            value=1,  # type: ignore[arg-type]
            returned_on=TODAY,
        )
    with pytest.raises(CaseNotFound):
        programme.open_scorecard(
            OpenScorecard(
                actor=actor(),
                scorecard_ref="OTHER-SC",
                partnership="GSCP",
                subgroup_ref="NOPE",
                opened_on=OPENED,
            ),
            key="o2",
        )
