"""Old stored text is printed safely (issue 11): data recorded before the entry rules
(``domain.values.clean_text``) may hold ANSI escapes, carriage returns and
right-to-left overrides; ``case trail`` and ``case history`` show them as visible
escapes, never raw to the terminal. In-process CLI over a real SQLite store."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from domain import values
from domain.review import COMMANDS
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.entry.cli import run
from tests.review_data import ACTOR, report

DAY = date(2025, 3, 3)
HOSTILE = "criteria met\x1b[2J\x1b[31m\rOK\u202etxt.exe\u2066"
RAW = ("\x1b", "\r", "\u202e", "\u2066")


@pytest.fixture
def old_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A case recorded by a release without the text rules, and an old read of it."""
    settings = Settings(data_dir=tmp_path)
    services = bootstrap(settings)
    with monkeypatch.context() as older_release:
        older_release.setattr(values, "_stored", lambda info: True)
        reviews = services.reviews
        reviews.report_incident(report("OLD-001", aware=DAY), key="k/open", today=DAY)
        for step, fields in (
            ("record_panel_notification", {"notified_on": DAY}),
            ("record_threshold_decision", {"met": True, "decided_on": DAY, "rationale": HOSTILE}),
        ):
            command = COMMANDS[step].model_validate({"actor": ACTOR, **fields})
            reviews.record_step("GSCP", "OLD-001", step, command, key=f"k/{step}", today=DAY)
        reviews.record_history_read(
            "GSCP", "OLD-001", actor={**ACTOR, "partnership": "GSCP"}, purpose=HOSTILE
        )
    services.close()
    return settings


def _run(settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    with monkeypatch.context() as m:
        for k in [k for k in os.environ if k.startswith("QA_")]:
            m.delenv(k)
        env = {
            "QA_DATA_DIR": str(settings.data_dir),
            "QA_ACTOR_NAME": "Sam Patel",
            "QA_ACTOR_ROLE": "partnership business manager",
            "QA_PARTNERSHIP": "GSCP",
            "QA_LOG_LEVEL": "WARNING",
        }
        for k, v in env.items():
            m.setenv(k, v)
        return run(list(args))


@pytest.mark.parametrize("view", ["trail", "history"])
def test_old_control_characters_are_escaped_when_printed(
    old_case: Settings,
    view: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = _run(old_case, monkeypatch, "case", view, "OLD-001")
    out, err = capsys.readouterr()
    assert code == 0, err
    assert not [c for c in RAW if c in out], repr(out)
    # shown, not dropped: the reader sees that the stored text holds them
    assert "\\x1b[2J\\x1b[31m\\x0dOK\\u202etxt.exe\\u2066" in out
    # --json keeps the stored value exactly (escaped by JSON itself)
    code = _run(old_case, monkeypatch, "case", view, "OLD-001", "--json")
    out, _ = capsys.readouterr()
    assert code == 0 and "\\u001b[2J" in out and "\x1b" not in out
