"""Audits, plans and concerns belong to a partnership: two may share a reference."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from domain.audit import AUDIT_COMMANDS
from domain.errors import CaseAlreadyExists, CaseNotFound
from domain.qa.record import legacy_record_id, record_id
from qa_engine.bootstrap import Services, bootstrap
from qa_engine.config import Settings
from tests.conftest import actor
from tests.qa_support import plan_audit

TODAY = date(2025, 3, 3)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    s = bootstrap(settings)
    yield s
    s.close()


def test_two_partnerships_hold_the_same_audit_reference_side_by_side(services: Services) -> None:
    qa = services.quality
    g = qa.plan_audit(plan_audit("AUD-1", TODAY), key="g/planned", today=TODAY)
    w = qa.plan_audit(
        plan_audit("AUD-1", TODAY, partnership="WSCP", theme="Neglect"),
        key="w/planned",
        today=TODAY,
    )
    assert (g.partnership, w.partnership) == ("GSCP", "WSCP")
    assert record_id("audit", "GSCP", "AUD-1") != record_id("audit", "WSCP", "AUD-1")

    sample = AUDIT_COMMANDS["draw_audit_sample"].model_validate(
        {"actor": actor(), "drawn_on": TODAY, "case_refs": ["C-1001", "C-1002", "C-1003"]}
    )
    qa.record_audit_step("WSCP", "AUD-1", "draw_audit_sample", sample, key="w/s", today=TODAY)
    assert [e.event for e in qa.history("WSCP", "audit", "aud-1")] == ["Planned", "SampleDrawn"]
    assert [e.event for e in qa.history("GSCP", "audit", "AUD-1")] == ["Planned"]
    assert qa.state("GSCP", "audit", "AUD-1").stage == "planned"
    assert qa.verify("WSCP", "audit", "AUD-1").ok and qa.verify("GSCP", "audit", "AUD-1").ok

    with pytest.raises(CaseAlreadyExists):  # unique within its partnership
        qa.plan_audit(plan_audit("AUD-1", TODAY), key="again", today=TODAY)
    with pytest.raises(CaseNotFound) as e:
        qa.state("ESCB", "audit", "AUD-1")
    assert (e.value.field, e.value.rule) == ("ref", "record_exists")


def test_reads_go_to_the_access_log_of_the_right_partnerships_record(services: Services) -> None:
    qa = services.quality
    qa.plan_audit(plan_audit("AUD-2", TODAY), key="g/planned", today=TODAY)
    qa.plan_audit(plan_audit("AUD-2", TODAY, partnership="WSCP"), key="w/planned", today=TODAY)
    who = {"name": "Ivy Inspector", "role": "auditor"}
    qa.read_history("WSCP", "audit", "AUD-2", actor=who, purpose="scrutiny")
    assert [r.purpose for r in qa.reads("WSCP", "audit", "AUD-2")] == ["scrutiny"]
    assert qa.reads("GSCP", "audit", "AUD-2") == []
    assert [e.event for e in qa.history("WSCP", "audit", "AUD-2")] == ["Planned"]


def test_the_legacy_id_is_the_one_before_partnerships(services: Services) -> None:
    """Records from before keep ``uuid5(kind:REF)``; tests/test_legacy_store.py and
    tests/test_qa_event_evolution.py load and carry on such records."""
    assert legacy_record_id("audit", "aud-1") == legacy_record_id("audit", "AUD-1")
    assert legacy_record_id("audit", "AUD-1") != record_id("audit", "GSCP", "AUD-1")


def test_oversight_keeps_to_the_principals_scope(services: Services) -> None:
    from domain.tenancy import Scope
    from projections import queries
    from projections.catalogue import build_runner
    from qa_engine.calendar import england_and_wales

    qa = services.quality
    qa.plan_audit(plan_audit("AUD-3", TODAY, agencies=["LA", "POLICE"]), key="a", today=TODAY)
    qa.plan_audit(plan_audit("AUD-4", TODAY, agencies=["LA", "ICB"]), key="b", today=TODAY)
    qa.plan_audit(
        plan_audit("AUD-3", TODAY, partnership="WSCP", agencies=["POLICE"]), key="c", today=TODAY
    )
    runner = build_runner(qa)
    runner.catch_up()

    def seen(scope: Scope | None, **filters: str) -> list[tuple[str, str]]:
        rows = queries.oversight(
            runner.db,
            today=TODAY,
            calendar=england_and_wales(),
            amber_working_days=3,
            scope=scope,
            **filters,  # type: ignore[arg-type]
        )
        return sorted((r.partnership, r.ref) for r in rows)

    everything = [("GSCP", "AUD-3"), ("GSCP", "AUD-4"), ("WSCP", "AUD-3")]
    assert seen(None) == everything  # operations
    assert seen(Scope(partnership="GSCP")) == [("GSCP", "AUD-3"), ("GSCP", "AUD-4")]
    police = Scope(partnership="GSCP", agencies=("POLICE",))
    assert seen(police) == [("GSCP", "AUD-3")]
    assert seen(Scope(partnership="GSCP", agencies=("ICB", "POLICE"))) == everything[:2]
    assert seen(police, partnership="WSCP") == []  # never another partnership's records
    assert seen(Scope(partnership="GSCP", agencies=())) == []
    (row,) = queries.oversight(
        runner.db, today=TODAY, calendar=england_and_wales(), amber_working_days=3, scope=police
    )
    assert row.agencies == ["LA", "POLICE"]
