"""The chair signs off a meeting's agenda and papers (issue 10, seeds 000, 001): only
the chair, only before the meeting is held, once; the agenda signed is recorded as
it stood (the items pending then). Refusals name the field and rule, record nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.errors import RuleViolation
from domain.subgroup import SUBGROUP_COMMANDS
from qa_engine.programme import ProgrammeService
from tests.conftest import actor
from tests.test_subgroup import TODAY, form, programme  # noqa: F401 - the fixture

CHAIR = {"name": "Dr Chair", "role": "Designated Nurse"}


def as_(who: dict[str, str], svc: ProgrammeService, name: str, key: str, **fields: Any) -> Any:
    command = SUBGROUP_COMMANDS[name].model_validate({"actor": who, **fields})
    return svc.record_subgroup_step("GSCP", "QIIP", name, command, key=key, today=TODAY)


def test_the_chair_signs_off_the_agenda_and_papers(
    programme: ProgrammeService,  # noqa: F811
) -> None:
    form(programme)
    as_(
        actor(),
        programme,
        "schedule_meeting",
        "s",
        meeting_ref="QIIP-2026-06",
        meeting_on=date(2026, 6, 24),
    )
    as_(
        actor(),
        programme,
        "raise_agenda_item",
        "i",
        raised_on=date(2026, 6, 1),
        item="Scorecard exception IHC_15WD",
        source="scorecard GSCP-SC",
    )
    with pytest.raises(RuleViolation) as refused:
        as_(
            actor(),
            programme,
            "sign_off_agenda",
            "x",
            meeting_ref="QIIP-2026-06",
            papers=["Scorecard Q4"],
            signed_off_on=date(2026, 6, 10),
        )
    assert (refused.value.field, refused.value.rule) == ("actor", "chair_signs_off")
    with pytest.raises(RuleViolation) as refused:
        as_(
            CHAIR,
            programme,
            "sign_off_agenda",
            "y",
            meeting_ref="QIIP-2026-09",
            signed_off_on=date(2026, 6, 10),
        )
    assert (refused.value.field, refused.value.rule) == ("meeting_ref", "scheduled_first")
    before = programme.subgroup("GSCP", "QIIP").version
    s = as_(
        CHAIR,
        programme,
        "sign_off_agenda",
        "ok",
        meeting_ref="QIIP-2026-06",
        papers=["Scorecard Q4", "Practice week findings"],
        signed_off_on=date(2026, 6, 10),
    )
    assert s.version == before + 1
    m = s.meetings["QIIP-2026-06"]
    assert m.signed_off_on == date(2026, 6, 10)
    assert m.papers == ["Scorecard Q4", "Practice week findings"]
    assert [i.item for i in m.signed_agenda] == ["Scorecard exception IHC_15WD"]
    with pytest.raises(RuleViolation) as refused:
        as_(
            CHAIR,
            programme,
            "sign_off_agenda",
            "again",
            meeting_ref="QIIP-2026-06",
            signed_off_on=date(2026, 6, 11),
        )
    assert refused.value.rule == "once_only"
    as_(
        actor(),
        programme,
        "record_meeting",
        "held",
        meeting_ref="QIIP-2026-06",
        held_on=date(2026, 6, 24),
        present=["LA", "POLICE", "ICB"],
    )
    with pytest.raises(RuleViolation) as refused:
        as_(
            {"name": "Sam", "role": "subgroup chair"},
            programme,
            "sign_off_agenda",
            "late",
            meeting_ref="QIIP-2026-06",
            signed_off_on=date(2026, 6, 25),
        )
    assert refused.value.rule == "before_meeting"
    assert programme.subgroup("GSCP", "QIIP").version == s.version + 1


def test_a_meetings_action_runs_on_the_clock_engine(
    programme: ProgrammeService,  # noqa: F811
) -> None:
    form(programme)
    as_(
        actor(),
        programme,
        "record_meeting",
        "held",
        meeting_ref="QIIP-2026-03",
        held_on=date(2026, 3, 11),
        present=["LA", "POLICE", "ICB"],
    )
    s = as_(
        actor(),
        programme,
        "raise_action",
        "a",
        meeting_ref="QIIP-2026-03",
        owner_agency="POLICE",
        text="Share the dataset",
        due_on=date(2026, 4, 30),
    )
    clock = s.clocks["subgroup_action:A1"]
    assert (clock.owner, clock.due_on, clock.status) == ("POLICE", date(2026, 4, 30), "open")
    assert clock.reminders and clock.escalations[0].to == ["QA subgroup chair"]
    s = as_(
        actor(), programme, "complete_action", "c", action_id="A1", completed_on=date(2026, 5, 6)
    )
    assert s.clocks["subgroup_action:A1"].status == "met" and s.clocks["subgroup_action:A1"].late
