"""Issue 8 item 13: two times on every fact. ``--as-at`` answers what the record said at
a moment (recording time); ``--as-of`` what had happened by a day (fact time, each
event's ``happened_on``), in the services and the CLI (``case history`` and the QA
lifecycle's ``history``). Tested on records entered after the event, where the two
answers differ."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.audit import DrawSample
from domain.calendar import LONDON
from domain.errors import CaseNotFound
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.entry.cli import run
from qa_engine.recording import fact_day
from tests.conftest import actor
from tests.lifecycle import report, step
from tests.qa_support import SAMPLE, plan_audit

AWARE = date(2025, 1, 6)  # facts of January 2025 ...
ENTERED = date(2025, 3, 3)  # ... entered in March (the store records now, in any case)


def _entered_after_the_event(settings: Settings) -> None:
    services = bootstrap(settings)
    try:
        svc = services.reviews
        report(svc, "LATE-1", aware=AWARE)
        step(svc, "LATE-1", "record_panel_notification", ENTERED, notified_on=date(2025, 1, 8))
        qa = services.quality
        planned = date(2025, 2, 3)
        qa.plan_audit(plan_audit("AUD-LATE-1", planned), key="a/planned", today=planned)
        qa.record_audit_step(
            "GSCP",
            "AUD-LATE-1",
            "draw_audit_sample",
            DrawSample.model_validate(
                {"actor": actor(), "drawn_on": date(2025, 2, 10), "case_refs": SAMPLE}
            ),
            key="a/sample",
            today=ENTERED,
        )
    finally:
        services.close()


def test_each_fact_carries_when_it_happened_beside_when_it_was_recorded(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, store="sqlite")
    _entered_after_the_event(settings)
    services = bootstrap(settings)
    try:
        svc = services.reviews
        history = svc.history("GSCP", "LATE-1")
        assert [(e.event, e.happened_on) for e in history] == [
            ("IncidentReported", AWARE),  # the LA became aware (not the day it was entered)
            ("PanelNotified", date(2025, 1, 8)),
        ]
        assert all(e.recorded_at.date() > date(2025, 3, 3) for e in history)  # recorded now
        # as of the 7th: the report had happened, the notification not yet
        of_7th = svc.history("GSCP", "LATE-1", as_of=date(2025, 1, 7))
        assert [e.event for e in of_7th] == ["IncidentReported"]
        assert len(svc.history("GSCP", "LATE-1", as_of=date(2025, 1, 8))) == 2
        # as at the end of the 8th (recording time) nothing was recorded yet
        with pytest.raises(CaseNotFound) as none_then:
            svc.history("GSCP", "LATE-1", as_at=datetime(2025, 1, 8, 23, 59, tzinfo=LONDON))
        assert none_then.value.rule == "case_exists"
        with pytest.raises(CaseNotFound) as before:
            svc.history("GSCP", "LATE-1", as_of=date(2025, 1, 5))
        assert (before.value.field, before.value.rule) == ("as_of", "case_exists")
        # the audit: planned on 3 February, its sample (drawn on the 10th) entered in March
        qa = services.quality
        audit = qa.history("GSCP", "audit", "AUD-LATE-1")
        assert [(e.event, e.happened_on) for e in audit] == [
            ("Planned", date(2025, 2, 3)),
            ("SampleDrawn", date(2025, 2, 10)),
        ]
        planned_only = qa.history("GSCP", "audit", "AUD-LATE-1", as_of=date(2025, 2, 9))
        assert [e.event for e in planned_only] == ["Planned"]
    finally:
        services.close()


def test_a_fact_with_no_date_of_its_own_happened_when_it_was_recorded() -> None:
    recorded = datetime.fromisoformat("2025-06-30T23:30:00+00:00")  # 00:30 in London
    assert fact_day("PublicationPlanned", {"planned_on": date(2025, 9, 1)}, recorded) == date(
        2025, 7, 1
    )
    breach_at = datetime.fromisoformat("2025-01-13T23:00:00+00:00")
    assert fact_day("BreachRecorded", {"due_on": date(2025, 1, 13), "at": breach_at}, recorded) == (
        date(2025, 1, 13)
    )
    paused = {"panel_told_on": date(2025, 2, 3), "paused_on": date(2025, 2, 1)}
    assert fact_day("ClockPaused", paused, recorded) == date(2025, 2, 1)


def test_the_cli_answers_as_of_beside_as_at(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _entered_after_the_event(Settings(data_dir=tmp_path, store="sqlite"))
    env = {
        "QA_DATA_DIR": str(tmp_path),
        "QA_STORE": "sqlite",
        "QA_LOG_LEVEL": "WARNING",
        "QA_ACTOR_NAME": "Jo Scrutineer",
        "QA_ACTOR_ROLE": "auditor",
        "QA_PARTNERSHIP": "GSCP",
    }

    def cli(*args: str) -> tuple[int, Any]:
        with monkeypatch.context() as m:
            for k in [k for k in os.environ if k.startswith("QA_")]:
                m.delenv(k)
            for k, v in env.items():
                m.setenv(k, v)
            code = run([*args, "--json"])
        out, err = capsys.readouterr()
        return code, json.loads(out) if out.strip() else err

    code, data = cli("case", "history", "LATE-1", "--as-of", "2025-01-07")
    assert code == 0, data
    assert data["as_of"] == "2025-01-07" and data["as_at"] is None
    assert [(e["event"], e["happened_on"]) for e in data["events"]] == [
        ("IncidentReported", "2025-01-06")
    ]
    code, data = cli("case", "history", "LATE-1", "--as-at", "2025-01-08T23:59:00")
    assert code != 0 and "case_exists" in json.dumps(data)  # nothing recorded by then
    code, data = cli("case", "history", "LATE-1", "--as-of", "8 January")
    assert code == 2 and "as_of" in json.dumps(data)
    code, data = cli("audit", "history", "AUD-LATE-1", "--as-of", "2025-02-09")
    assert code == 0, data
    assert [(e["event"], e["happened_on"]) for e in data["events"]] == [("Planned", "2025-02-03")]
    code, data = cli("audit", "history", "AUD-LATE-1")
    assert code == 0 and [e["event"] for e in data["events"]] == ["Planned", "SampleDrawn"]
    # the reads are recorded with the day asked for
    assert data["reads"][0]["as_of"] == "2025-02-09"
