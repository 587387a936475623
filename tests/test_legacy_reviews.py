"""A store written by the release before typed events (commit 2be70a3) still loads,
rebuilds the same state, rebuilds its views and its cases carry on.

The store was written by ``tests/legacy/v1_reviews/make_store.py`` run at that
commit (kept for the record: it needs that commit's code to run). Never rewrite
the committed file: each test works on a copy.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.review.aggregate import legacy_review_id
from projections.catalogue import build_runner
from qa_engine.bootstrap import Services, bootstrap
from tests.conftest import sqlite_settings
from tests.lifecycle import step
from tests.review_data import as_then

V1 = Path(__file__).parent / "legacy" / "v1_reviews"
MANIFEST: dict[str, Any] = json.loads((V1 / "manifest.json").read_text())


@pytest.fixture
def old_store(tmp_path: Path) -> Any:
    shutil.copy(V1 / "events.sqlite3", tmp_path / "events.sqlite3")
    services: Services = bootstrap(sqlite_settings(tmp_path))
    yield services
    services.close()


@pytest.mark.parametrize("ref", sorted(MANIFEST))
def test_every_old_case_loads_with_the_state_it_had(old_store: Services, ref: str) -> None:
    then = MANIFEST[ref]
    assert [e.event for e in old_store.reviews.history(then["state"]["partnership"], ref)] == then[
        "events"
    ]
    now = old_store.reviews.state(then["state"]["partnership"], ref).model_dump(mode="json")
    assert as_then(now, then["state"]) == then["state"]


def test_old_events_are_stored_under_their_old_topics_and_shape(old_store: Services) -> None:
    (first, *rest) = old_store.reviews.recorder.select_events(legacy_review_id("V1-FULL"))
    assert first.topic == "domain.review:ReviewCase.IncidentReported"
    assert rest[0].topic == "domain.review:ReviewCase.PanelNotified"
    assert b'"command"' in rest[0].state  # v1: the command dict, lifted on load
    entry = old_store.reviews.history("GSCP", "V1-FULL")[1]
    assert entry.data["notified_on"] == date(2025, 1, 8)  # typed after the upcast


def test_old_chains_verify_intact_although_their_events_are_upcast(old_store: Services) -> None:
    results = old_store.reviews.verify_all()
    assert sorted(r.case_ref for r in results) == sorted(MANIFEST)
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    # a new step on an old case extends the same chain
    d = date(2025, 1, 8)
    step(
        old_store.reviews,
        "V1-WEST",
        "record_panel_notification",
        d,
        partnership="WSCP",
        notified_on=d,
    )
    assert old_store.reviews.verify("WSCP", "V1-WEST").ok


def test_views_rebuild_from_the_old_store(old_store: Services) -> None:
    runner = build_runner(old_store.reviews)
    runner.catch_up()
    with runner.db.read() as cur:
        refs = {r["ref"] for r in cur.execute("SELECT ref FROM {oversight}").fetchall()}
        trail = cur.execute("SELECT COUNT(*) AS n FROM {audit_trail}").fetchone()
    open_cases = {ref for ref, m in MANIFEST.items() if m["state"]["stage"] != "closed"}
    assert refs == open_cases
    assert trail is not None and trail["n"] == sum(len(m["events"]) for m in MANIFEST.values())


def test_old_cases_carry_on_through_their_next_steps(old_store: Services) -> None:
    reviews = old_store.reviews
    d = date(2025, 1, 8)
    s = step(reviews, "V1-REPORTED", "record_panel_notification", d, notified_on=d)
    assert s.notified_on == d and s.deadlines["panel_notification"].status == "met"
    paused = reviews.state("GSCP", "V1-LCSPR")
    assert paused.deadlines["lcspr_final_report"].paused_on is not None
    resumed_on = paused.deadlines["lcspr_final_report"].paused_on + timedelta(days=31)
    s = step(reviews, "V1-LCSPR", "resume_clock", resumed_on, resumed_on=resumed_on)
    assert s.deadlines["lcspr_final_report"].paused_on is None
    assert s.version == len(MANIFEST["V1-LCSPR"]["events"]) + 1
    # the old read (recorded in the case's stream) is still shown among the reads
    (read,) = reviews.reads("GSCP", "V1-FULL")
    assert read.actor["name"] == "Ivy Inspector" and read.purpose == "scrutiny"


def test_old_incident_reports_upcast_to_not_a_care_leaver(old_store: Services) -> None:
    for ref, then in MANIFEST.items():
        first = old_store.reviews.history(then["state"]["partnership"], ref)[0]
        assert first.event == "IncidentReported" and first.data["care_leaver"] is False
        assert old_store.reviews.state(then["state"]["partnership"], ref).care_leaver is False


def test_old_decisions_pauses_and_panel_responses_upcast_to_issue_8(old_store: Services) -> None:
    """ThresholdDecided, ClockPaused and PanelResponded v3: who decided (not said then),
    when the Panel was told of a pause (not said then), and a challenge that reopened
    the decision (the rule then)."""
    seen: set[str] = set()
    for ref, then in MANIFEST.items():
        for e in old_store.reviews.history(then["state"]["partnership"], ref):
            if e.event == "ThresholdDecided":
                assert e.data["decided_by"] == []
            elif e.event == "ClockPaused":
                assert e.data["panel_told_on"] is None
            elif e.event == "PanelResponded":
                assert e.data["reopens_decision"] is True
            else:
                continue
            seen.add(e.event)
    assert seen == {"ThresholdDecided", "ClockPaused", "PanelResponded"}
