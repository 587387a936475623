"""``qa-engine verify`` checks the access log too: reads deleted are reported."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
from pathlib import Path

import pytest

from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.entry import cli_common, cli_read
from tests.lifecycle import report

WHO = {"name": "Ivy Inspector", "role": "auditor"}


def _read_twice(data_dir: Path) -> None:
    s = bootstrap(Settings(data_dir=data_dir))
    try:
        report(s.reviews, "ACC-1")
        report(s.reviews, "ACC-2")
        s.reviews.read_history("GSCP", "ACC-1", actor=WHO, purpose="scrutiny")
        s.reviews.read_history("GSCP", "ACC-1", actor=WHO, purpose="inspection")
        s.reviews.read_history("GSCP", "ACC-2", actor=WHO, purpose="scrutiny")
    finally:
        s.close()


def _verify(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    settings = Settings(data_dir=data_dir)
    code = asyncio.run(
        cli_read.cmd_verify(argparse.Namespace(ref=None), settings, cli_common.Output(False))
    )
    return code, capsys.readouterr().out


def test_verify_checks_every_access_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _read_twice(tmp_path)
    code, out = _verify(tmp_path, capsys)
    assert code == cli_common.EXIT_OK, out
    assert "access log: intact, 5 records" in out  # two streams: 2 starts + 3 reads
    assert out.count("access ") >= 2


@pytest.mark.parametrize("deleted", ["newest read", "every read of one case"])
def test_deleted_reads_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], deleted: str
) -> None:
    _read_twice(tmp_path)
    db = sqlite3.connect(tmp_path / "events-access.sqlite3")
    with db:
        if deleted == "newest read":
            db.execute(
                "DELETE FROM stored_events WHERE rowid = (SELECT MAX(rowid) FROM stored_events)"
            )
        else:
            (first,) = db.execute("SELECT originator_id FROM stored_events LIMIT 1").fetchone()
            db.execute("DELETE FROM stored_events WHERE originator_id = ?", (first,))
    db.close()
    code, out = _verify(tmp_path, capsys)
    assert code == cli_common.EXIT_REJECTED, out
    assert "access log: TAMPERED" in out
