"""Subgroup meetings (issue 10; seeds 000, 001): quoracy by the three lead partners
or the chair's recorded decision, decision and action logs, actions carried over
until done, attendance by agency over the year; meetings the programme opens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from domain.errors import RuleViolation
from domain.programme import OpenProgramme
from domain.programme.template import seed_002_timetable
from domain.subgroup import SUBGROUP_COMMANDS, FormSubgroup
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.programme import ProgrammeService
from tests.conftest import actor

FORMED = date(2025, 12, 1)
TODAY = date(2026, 7, 1)
MEMBERS = ["LA", "POLICE", "ICB", "EDUCATION", "FIRE", "YOS"]


@pytest.fixture
def programme(settings: Settings) -> Iterator[ProgrammeService]:
    services = bootstrap(settings)
    yield services.programme
    services.close()


def form(svc: ProgrammeService) -> Any:
    return svc.form_subgroup(
        FormSubgroup(
            actor=actor(),
            group_ref="QIIP",
            partnership="GSCP",
            name="Quality and Improvement in Practice",
            chair="Designated Nurse",
            members=MEMBERS,
            formed_on=FORMED,
        ),
        key="form",
    )


def step(svc: ProgrammeService, name: str, key: str, **fields: Any) -> Any:
    command = SUBGROUP_COMMANDS[name].model_validate({"actor": actor(), **fields})
    return svc.record_subgroup_step("GSCP", "QIIP", name, command, key=key, today=TODAY)


def test_quorate_and_inquorate_meetings_and_the_logs(programme: ProgrammeService) -> None:
    form(programme)
    # March: all three lead partners present: quorate; a decision and two actions
    s = step(
        programme,
        "record_meeting",
        "m1",
        meeting_ref="QIIP-2026-03",
        held_on=date(2026, 3, 16),
        present=["LA", "POLICE", "ICB", "EDUCATION"],
    )
    assert (s.meetings["QIIP-2026-03"].quorate, s.meetings["QIIP-2026-03"].quorate_by) == (
        True,
        "lead_partners",
    )
    step(
        programme,
        "record_decision",
        "d1",
        meeting_ref="QIIP-2026-03",
        text="Adopt the neglect dip audit as the Q1 theme",
    )
    step(
        programme,
        "raise_action",
        "a1",
        meeting_ref="QIIP-2026-03",
        owner_agency="POLICE",
        text="Share strategy discussion data",
        due_on=date(2026, 4, 30),
    )
    step(
        programme,
        "raise_action",
        "a2",
        meeting_ref="QIIP-2026-03",
        owner_agency="ICB",
        text="Report GP attendance at conferences",
        due_on=date(2026, 5, 29),
    )
    step(programme, "complete_action", "c1", action_id="A2", completed_on=date(2026, 5, 20))
    # June: police absent, no chair decision: inquorate, cannot decide; A1 carried over
    s = step(
        programme,
        "record_meeting",
        "m2",
        meeting_ref="QIIP-2026-06",
        held_on=date(2026, 6, 15),
        present=["LA", "ICB", "FIRE"],
    )
    june = s.meetings["QIIP-2026-06"]
    assert (june.quorate, june.absent_leads, june.carried_actions) == (False, ["POLICE"], ["A1"])
    with pytest.raises(RuleViolation) as err:
        step(
            programme,
            "record_decision",
            "d2",
            meeting_ref="QIIP-2026-06",
            text="Approve the annual report section",
        )
    assert (err.value.field, err.value.rule) == ("meeting_ref", "quorate_for_decisions")
    # an extraordinary meeting: health absent, quorate by the chair's recorded decision
    s = step(
        programme,
        "record_meeting",
        "m3",
        meeting_ref="QIIP-2026-06X",
        held_on=date(2026, 6, 29),
        present=["LA", "POLICE"],
        chair_decision="Quorate for the annual report sign-off: ICB agreed in writing",
    )
    x = s.meetings["QIIP-2026-06X"]
    assert (x.quorate, x.quorate_by, x.absent_leads) == (True, "chair_decision", ["ICB"])
    s = step(
        programme,
        "record_decision",
        "d3",
        meeting_ref="QIIP-2026-06X",
        text="Approve the annual report section",
    )
    assert [d.id for d in s.decisions] == ["D1", "D2"]
    assert s.actions["A1"].carried_over == ["QIIP-2026-06", "QIIP-2026-06X"]
    assert s.actions["A2"].carried_over == [] and s.actions["A2"].status == "done"
    attendance = {r.agency: (r.held, r.attended) for r in s.attendance(2026)}
    assert attendance == {
        "LA": (3, 3),
        "POLICE": (3, 2),
        "ICB": (3, 2),
        "EDUCATION": (3, 1),
        "FIRE": (3, 1),
        "YOS": (3, 0),
    }
    assert all(r.held == 0 for r in s.attendance(2025))
    assert programme.verify("GSCP", "subgroup", "QIIP").ok
    history = programme.history("GSCP", "subgroup", "QIIP")
    assert history[6].event == "MeetingHeld" and history[6].data["quorate"] is False


@pytest.mark.parametrize(
    ("name", "fields", "field", "rule"),
    [
        (
            "record_meeting",
            {
                "meeting_ref": "M-2026-01",
                "held_on": date(2026, 1, 5),
                "present": ["LA", "PROBATION"],
            },
            "present",
            "member_agency",
        ),
        (
            "record_decision",
            {"meeting_ref": "M-2026-01", "text": "Something decided"},
            "meeting_ref",
            "held_first",
        ),
        (
            "complete_action",
            {"action_id": "A9", "completed_on": date(2026, 1, 5)},
            "action_id",
            "exists",
        ),
        (
            "record_meeting",
            {"meeting_ref": "M-2026-01", "held_on": date(2026, 8, 1), "present": ["LA"]},
            "held_on",
            "no_future_dates",
        ),
    ],
)
def test_refused_steps_name_field_and_rule_and_record_nothing(
    programme: ProgrammeService, name: str, fields: dict[str, Any], field: str, rule: str
) -> None:
    form(programme)
    before = programme.history("GSCP", "subgroup", "QIIP")
    with pytest.raises(RuleViolation) as err:
        step(programme, name, "refused", **fields)
    assert (err.value.field, err.value.rule) == (field, rule)
    assert programme.history("GSCP", "subgroup", "QIIP") == before


def test_an_action_is_due_after_its_meeting(programme: ProgrammeService) -> None:
    form(programme)
    step(
        programme,
        "record_meeting",
        "m",
        meeting_ref="QIIP-2026-03",
        held_on=date(2026, 3, 16),
        present=["LA", "POLICE", "ICB"],
    )
    with pytest.raises(RuleViolation) as err:
        step(
            programme,
            "raise_action",
            "a",
            meeting_ref="QIIP-2026-03",
            owner_agency="LA",
            text="Too late already",
            due_on=date(2026, 3, 16),
        )
    assert (err.value.field, err.value.rule) == ("due_on", "due_after_meeting")


def test_lead_partners_must_be_members() -> None:
    with pytest.raises(ValidationError, match="lead_partners"):
        FormSubgroup(
            actor=actor(),
            group_ref="QIIP",
            partnership="GSCP",
            name="QIIP",
            chair="Chair",
            members=["LA", "POLICE"],
            formed_on=FORMED,
        )  # type: ignore[arg-type]


def test_the_programme_opens_the_groups_meeting_once(programme: ProgrammeService) -> None:
    form(programme)
    programme.open_programme(
        OpenProgramme(
            actor=actor(),
            partnership="GSCP",
            year=2026,
            decided_on=FORMED,
            entries=seed_002_timetable(),
        ),
        key="open",
    )
    for _ in range(2):
        opening = programme.open_occurrence(
            "GSCP", 2026, "QIIP", 2026, 9, key="q/2026-09", today=TODAY + timedelta(days=60)
        )
    assert (opening.record_kind, opening.record_ref) == ("meeting", "QIIP-2026-09")
    group = programme.subgroup("GSCP", "QIIP")
    assert group.meetings["QIIP-2026-09"].scheduled_on == date(2026, 9, 15)
    assert [e.event for e in programme.history("GSCP", "subgroup", "QIIP")].count(
        "MeetingScheduled"
    ) == 1
