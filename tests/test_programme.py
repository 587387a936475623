"""The QA programme as data (issue 10): a partnership's timetable for a year,
changed only by recorded decisions, over both event stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from domain.errors import CaseAlreadyExists, RuleViolation
from domain.programme import PROGRAMME_COMMANDS, EntrySpec, OpenProgramme
from domain.programme.template import seed_002_timetable
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.programme import ProgrammeService
from tests.conftest import actor

DECIDED = date(2025, 12, 1)
TODAY = date(2026, 1, 5)


@pytest.fixture
def programme(settings: Settings) -> Iterator[ProgrammeService]:
    services = bootstrap(settings)
    yield services.programme
    services.close()


def open_2026(svc: ProgrammeService, key: str = "p/open") -> Any:
    command = OpenProgramme(
        actor=actor(),
        partnership="GSCP",
        year=2026,
        decided_on=DECIDED,
        entries=seed_002_timetable(),
    )
    return svc.open_programme(command, key=key)


def step(svc: ProgrammeService, name: str, key: str, **fields: Any) -> Any:
    command = PROGRAMME_COMMANDS[name].model_validate({"actor": actor(), **fields})
    return svc.record_programme_step("GSCP", 2026, name, command, key=key, today=TODAY)


def test_seed_timetable_gives_planned_per_month(programme: ProgrammeService) -> None:
    state = open_2026(programme)
    view = {r.month: r for r in state.month_view()}
    # January: PE, EH, DIP, FPE, clinic, QPR meeting, briefing; March: clinic, QAR, QIIP
    assert view[1].planned == 7 and view[3].planned == 3 and view[4].planned == 8
    assert sum(r.planned for r in view.values()) == 74
    assert all(r.opened == r.done == 0 for r in view.values())
    assert open_2026(programme) == state  # retried with its key: unchanged
    with pytest.raises(CaseAlreadyExists):
        open_2026(programme, key="another")
    assert len(programme.history("GSCP", "programme", "QAP-2026")) == 1


def test_decisions_are_recorded_with_reasons_and_the_view_follows(
    programme: ProgrammeService,
) -> None:
    open_2026(programme)
    step(
        programme,
        "skip_programme_occurrence",
        "k1",
        entry_id="DIP",
        month=2,
        decided_on=TODAY,
        reason="Inspection week: cycle moved",
    )
    step(
        programme,
        "pause_programme_entry",
        "k2",
        entry_id="fpe",
        decided_on=TODAY,
        reason="Fostering service restructure",
    )
    step(
        programme,
        "add_adhoc_programme_entry",
        "k3",
        entry_id="DIPX",
        kind="dip_audit",
        title="Directed dip audit: strategy discussions",
        opens_on=date(2026, 2, 16),
        owner_agency="LA",
        decided_on=TODAY,
        reason="Group Manager directed: emerging theme",
    )
    s = step(
        programme,
        "record_occurrence_opened",
        "k4",
        entry_id="DIP",
        month=1,
        opened_on=TODAY,
        record_kind="audit",
        record_ref="DIP-2026-01",
    )
    s = step(programme, "record_occurrence_done", "k5", entry_id="DIP", month=1, done_on=TODAY)
    view = {r.month: r for r in s.month_view()}
    assert (view[1].opened, view[1].done) == (1, 1)
    assert (view[2].planned, view[2].skipped, view[2].paused) == (8 - 1 + 1, 1, 1)
    assert "DIP:skipped" in view[2].items and "DIPX:planned" in view[2].items
    assert s.entries["FPE"].paused and s.entries["DIPX"].adhoc
    assert s.entries["DIP"].active_months() == [4, 5, 7, 8, 10, 11]
    history = programme.history("GSCP", "programme", "QAP-2026")
    assert [e.event for e in history][1:] == [
        "OccurrenceSkipped",
        "EntryPaused",
        "AdHocEntryAdded",
        "OccurrenceOpened",
        "OccurrenceDone",
    ]
    assert history[1].actor["name"] == actor()["name"]
    assert history[1].data["reason"] == "Inspection week: cycle moved"
    assert programme.verify("GSCP", "programme", "QAP-2026").ok


@pytest.mark.parametrize(
    ("name", "fields", "field", "rule"),
    [
        ("skip_programme_occurrence", {"entry_id": "NOPE", "month": 1}, "entry_id", "entry_exists"),
        ("skip_programme_occurrence", {"entry_id": "PW", "month": 5}, "month", "planned_month"),
        ("resume_programme_entry", {"entry_id": "PW"}, None, "paused_first"),
        (
            "record_occurrence_opened",
            {
                "entry_id": "PW",
                "month": 4,
                "opened_on": TODAY,
                "record_kind": "audit",
                "record_ref": "PW-2026-04",
            },
            "record_kind",
            "entry_opens",
        ),
        (
            "record_occurrence_done",
            {"entry_id": "PW", "month": 4, "done_on": TODAY},
            "month",
            "opened_first",
        ),
        (
            "add_adhoc_programme_entry",
            {
                "entry_id": "X1",
                "kind": "briefing",
                "title": "Extra briefing",
                "opens_on": date(2027, 1, 4),
                "owner_agency": "LA",
            },
            "opens_on",
            "in_year",
        ),
        (
            "pause_programme_entry",
            {"entry_id": "PW", "decided_on": date(2026, 3, 1)},
            "decided_on",
            "no_future_dates",
        ),
    ],
)
def test_refused_decisions_name_field_and_rule_and_record_nothing(
    programme: ProgrammeService, name: str, fields: dict[str, Any], field: str | None, rule: str
) -> None:
    open_2026(programme)
    fields = {"decided_on": TODAY, "reason": "A reason given", **fields}
    model = PROGRAMME_COMMANDS[name]
    fields = {k: v for k, v in fields.items() if k in model.model_fields}
    before = programme.history("GSCP", "programme", "QAP-2026")
    with pytest.raises(RuleViolation) as err:
        step(programme, name, "refused", **fields)
    assert (err.value.field, err.value.rule) == (field, rule)
    assert programme.history("GSCP", "programme", "QAP-2026") == before


def test_an_occurrence_opens_once(programme: ProgrammeService) -> None:
    open_2026(programme)
    fields = {
        "entry_id": "QIIP",
        "month": 3,
        "opened_on": TODAY,
        "record_kind": "meeting",
        "record_ref": "QIIP-2026-03",
    }
    a = step(programme, "record_occurrence_opened", "occ/QIIP/2026-03", **fields)
    b = step(programme, "record_occurrence_opened", "occ/QIIP/2026-03", **fields)
    assert a == b and a.version == 2
    with pytest.raises(RuleViolation) as err:
        step(programme, "record_occurrence_opened", "occ/other", **fields)
    assert err.value.rule == "open_once"


@pytest.mark.parametrize(
    ("spec", "where"),
    [
        ({"cadence": "quarterly", "months": [1, 2, 3]}, "months"),
        ({"cadence": "cycles"}, "months"),
        ({"cadence": "monthly", "day": 30}, "day"),
        ({"cadence": "yearly", "kind": "subgroup_meeting"}, "group"),
        ({"cadence": "yearly", "entry_id": "dip audit"}, "entry_id"),
    ],
)
def test_bad_entries_are_invalid_naming_the_field(spec: dict[str, Any], where: str) -> None:
    base = {"entry_id": "DIP", "kind": "dip_audit", "title": "Dip audit", "owner_agency": "LA"}
    with pytest.raises(ValidationError) as err:
        EntrySpec.model_validate(base | spec)
    assert where in str(err.value)


def test_opening_an_occurrence_is_once_per_period_and_plans_the_audit(
    programme: ProgrammeService,
) -> None:
    open_2026(programme)
    first = programme.open_occurrence("GSCP", 2026, "pe", 2026, 1, key="k/2026-01", today=TODAY)
    assert (first.status, first.record_kind, first.record_ref) == ("opened", "audit", "PE-2026-01")
    plan = first.plan_audit
    assert plan is not None and plan.audit_ref == "PE-2026-01"
    assert (plan.kind, plan.sample_size, plan.agencies) == ("practice_evaluation", 6, ["LA"])
    assert (plan.period_start, plan.period_end) == (date(2025, 10, 1), date(2025, 12, 31))
    again = programme.open_occurrence("GSCP", 2026, "PE", 2026, 1, key="k/2026-01", today=TODAY)
    assert again.status == "already_opened" and again.plan_audit == plan
    assert programme.open_occurrence("GSCP", 2026, "PE", 2026, 3, key="x", today=TODAY).status == (
        "not_planned"
    )
    assert programme.open_occurrence("GSCP", 2026, "PE", 2027, 1, key="x", today=TODAY).status == (
        "not_planned"
    )
    assert programme.open_occurrence(
        "GSCP", 2026, "NOPE", 2026, 1, key="x", today=TODAY
    ).status == ("no_entry")
    step(
        programme,
        "skip_programme_occurrence",
        "s",
        entry_id="EH",
        month=1,
        decided_on=TODAY,
        reason="Team capacity",
    )
    assert programme.open_occurrence("GSCP", 2026, "EH", 2026, 1, key="y", today=TODAY).status == (
        "skipped"
    )
    step(
        programme,
        "pause_programme_entry",
        "p",
        entry_id="CLINIC",
        decided_on=TODAY,
        reason="New data platform",
    )
    assert programme.open_occurrence(
        "GSCP", 2026, "CLINIC", 2026, 1, key="z", today=TODAY
    ).status == ("paused")
    meeting = programme.open_occurrence("GSCP", 2026, "QPR", 2026, 1, key="m", today=TODAY)
    assert (meeting.status, meeting.record_kind, meeting.plan_audit) == ("opened", "meeting", None)
    events = [e.event for e in programme.history("GSCP", "programme", "QAP-2026")]
    assert events.count("OccurrenceOpened") == 2
