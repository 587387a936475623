"""The ledger's anchor follows the store, not its path (issue 11).

A store copied or restored to another path (same data directory: same anchor file
and ledger key) is checked against its own anchor at once: truncating its tail is
reported, where before the copy had no anchor until its next write.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.ledger import LogCheck
from tests.faults.tampering import truncate_log_tail
from tests.lifecycle import full_lifecycle


def _verify(settings: Settings) -> LogCheck:
    services = bootstrap(settings)
    try:
        check: LogCheck = services.reviews.verify_log()
        return check
    finally:
        services.close()


def test_a_restored_copy_is_checked_against_its_anchor(tmp_path: Path) -> None:
    original = Settings(data_dir=tmp_path, sqlite_path=tmp_path / "live" / "events.sqlite3")
    services = bootstrap(original)
    for _ in full_lifecycle(services.reviews, "ANCHOR-1"):
        pass
    services.close()
    restored = Settings(data_dir=tmp_path, sqlite_path=tmp_path / "restored" / "events.sqlite3")
    (tmp_path / "restored").mkdir()
    shutil.copy(original.sqlite_file, restored.sqlite_file)
    intact = _verify(restored)
    assert intact.problems == [] and intact.notes == []  # it has an anchor: no "no anchor" note
    assert intact.anchor == intact.head
    db = sqlite3.connect(restored.sqlite_file, isolation_level=None)
    try:
        did = truncate_log_tail(db, random.Random(8))
    finally:
        db.close()
    truncated = _verify(restored)
    assert [p.kind for p in truncated.problems] == ["truncated"], (did, truncated)
    assert truncated.problems[0].notification_id == intact.head
