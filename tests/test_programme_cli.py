"""``qa-engine programme|subgroup|scorecard`` (in-process) over a real SQLite store:
the principal is the actor, refusals name the field and rule (exit 1), bad input is
invalid (exit 2), read-only roles and other partnerships are refused, nothing recorded."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from qa_engine.entry.cli import run


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    def call(env: dict[str, str], *args: str) -> tuple[int, Any, str]:
        with monkeypatch.context() as m:
            for k in [k for k in os.environ if k.startswith("QA_")]:
                m.delenv(k)
            for k, v in env.items():
                m.setenv(k, v)
            code = run([*args, "--json"])
        out, err = capsys.readouterr()
        return code, json.loads(out) if out.strip() else None, err

    return call


def test_programme_subgroup_and_scorecard_commands(tmp_path: Path, cli: Any) -> None:
    env = {
        "QA_DATA_DIR": str(tmp_path),
        "QA_ACTOR_NAME": "Sam Patel",
        "QA_ACTOR_ROLE": "partnership business manager",
        "QA_PARTNERSHIP": "GSCP",
        "QA_LOG_LEVEL": "WARNING",
    }
    code, data, err = cli(
        env, "programme", "open", "--year", "2025", "--decided-on", "2025-01-02", "--no-sync"
    )
    assert code == 0, err
    assert data["ref"] == "QAP-2025" and len(data["entries"]) == 12
    code, data, _ = cli(
        env,
        "programme",
        "skip",
        "2025",
        "--entry-id",
        "PW",
        "--month",
        "5",
        "--decided-on",
        "2025-01-03",
        "--reason",
        "Not planned",
        "--no-sync",
    )
    assert (code, data["field"], data["rule"]) == (1, "month", "planned_month")
    code, data, _ = cli(
        env,
        "programme",
        "skip",
        "2025",
        "--entry-id",
        "PW",
        "--month",
        "4",
        "--decided-on",
        "2025-01-03",
        "--reason",
        "Ofsted visit",
        "--no-sync",
    )
    assert code == 0 and data["entries"]["PW"]["occurrences"]["4"]["status"] == "skipped"
    code, data, _ = cli(env, "programme", "show", "2025")
    april = data["months"][3]
    assert (april["planned"], april["skipped"]) == (7, 1)

    code, data, err = cli(
        env,
        "subgroup",
        "form",
        "--group-ref",
        "QIIP",
        "--name",
        "QIIP",
        "--chair",
        "Designated Nurse",
        "--members",
        "LA",
        "--members",
        "POLICE",
        "--members",
        "ICB",
        "--formed-on",
        "2025-01-02",
    )
    assert code == 0, err
    code, data, _ = cli(
        env,
        "subgroup",
        "record-meeting",
        "QIIP",
        "--meeting-ref",
        "QIIP-2025-03",
        "--held-on",
        "2025-03-17",
        "--present",
        "LA",
        "--present",
        "ICB",
    )
    assert code == 0 and data["meetings"]["QIIP-2025-03"]["quorate"] is False
    code, data, _ = cli(
        env,
        "subgroup",
        "record-decision",
        "QIIP",
        "--meeting-ref",
        "QIIP-2025-03",
        "--text",
        "Approve the plan",
    )
    assert (code, data["rule"]) == (1, "quorate_for_decisions")
    code, data, _ = cli(
        env,
        "scorecard",
        "open",
        "--scorecard-ref",
        "GSCP-SC",
        "--subgroup-ref",
        "QIIP",
        "--opened-on",
        "2025-01-02",
    )
    assert code == 0
    code, data, _ = cli(
        env,
        "scorecard",
        "return-value",
        "GSCP-SC",
        "--code",
        "X1",
        "--quarter",
        "2025 Q1",
        "--value",
        "3",
        "--returned-on",
        "2025-04-01",
    )
    assert code == 2 and data["problems"][0]["field"] == "quarter"

    auditor = {**env, "QA_ACTOR_NAME": "Ivy Inspector", "QA_ACTOR_ROLE": "auditor"}
    code, data, _ = cli(
        auditor,
        "programme",
        "pause-entry",
        "2025",
        "--entry-id",
        "DIP",
        "--decided-on",
        "2025-01-03",
        "--reason",
        "Inspector says",
        "--no-sync",
    )
    assert (code, data["rule"]) == (1, "read_only_role")
    code, data, _ = cli(env, "programme", "show", "2025", "--partnership", "ESSCP")
    assert (code, data["rule"]) == (1, "same_partnership")
    code, data, _ = cli(auditor, "programme", "history", "2025", "--purpose", "inspection")
    assert code == 0 and [e["event"] for e in data] == ["ProgrammeOpened", "OccurrenceSkipped"]
    assert data[1]["actor"]["name"] == "Sam Patel"
    code, data, _ = cli(env, "subgroup", "verify", "QIIP")
    assert code == 0 and data["ok"] and data["records"] == 2
