"""Fault suite, tampering: every edit in ``tampering.TAMPERING`` made to a copy of a
store is detected AND located by what ``qa-engine verify`` runs (every case's
check, then the whole log against the ledger and its anchor).

Small run (the normal suite): each tampering once, on a store of 3 cases.
Full run: ``QA_FAULTS_FULL=1`` (see ``tests/faults/README.md``).
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.ledger import ENV_ANCHOR, ENV_KEY, ENV_LOCATION, Anchor
from qa_engine.recording import VerifyResult
from qa_engine.store import store_env
from tests.conftest import sqlite_settings
from tests.faults.tampering import TAMPERING
from tests.lifecycle import full_lifecycle

FULL = os.environ.get("QA_FAULTS_FULL", "") not in ("", "0")
CASES = 10 if FULL else 3
SEEDS = range(30) if FULL else range(1)
FIGURES: Counter[str] = Counter()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of CASES whole review lifecycles, closed so its files can be copied."""
    root = tmp_path_factory.mktemp("pristine")
    services = bootstrap(sqlite_settings(root))
    for i in range(CASES):
        for _ in full_lifecycle(services.reviews, f"FAULT-{i:03d}"):
            pass
    assert all(r.ok for r in verify(services_settings(root)))
    services.close()
    return root


def services_settings(root: Path) -> Settings:
    return sqlite_settings(root)


def rehome_anchor(original: Path, copy: Path) -> None:
    """The copy's anchor says what the original's said (the anchor is kept per store
    location, and the copy is the store as tampered in place)."""
    old, new = store_env(sqlite_settings(original)), store_env(sqlite_settings(copy))
    anchor = Anchor(Path(new[ENV_ANCHOR]), new[ENV_KEY].encode())
    at = anchor.read(old[ENV_LOCATION])
    assert at is not None, "the pristine store has no anchor"
    anchor.advance(new[ENV_LOCATION], *at)


def verify(settings: Settings) -> list[VerifyResult]:
    """What ``qa-engine verify`` checks: every case found in the log, then the log."""
    services = bootstrap(settings)
    try:
        return [*services.reviews.verify_all(), services.reviews.verify_log()]
    finally:
        services.close()


def located(results: list[VerifyResult]) -> bool:
    """Some problem says where: a record's version, or a notification in the log."""
    return any(
        p.version is not None or p.notification_id is not None for r in results for p in r.problems
    ) or any(r.first_bad_version is not None for r in results)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", list(TAMPERING))
def test_tampering_is_detected_and_located(
    kind: str, seed: int, pristine: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "store"
    shutil.copytree(pristine, copy)
    rehome_anchor(pristine, copy)
    db = sqlite3.connect(copy / "events.sqlite3", isolation_level=None)
    try:
        did = TAMPERING[kind](db, random.Random(f"{kind}/{seed}"))
    finally:
        db.close()
    results = verify(sqlite_settings(copy))
    FIGURES["tried"] += 1
    bad = [r for r in results if not r.ok]
    assert bad, f"{kind}: {did}: not detected"
    FIGURES["detected"] += 1
    assert located(bad), f"{kind}: {did}: detected but not located: {bad}"
    FIGURES["located"] += 1


def teardown_module() -> None:
    if FIGURES:
        print(f"\ntampering figures: {dict(FIGURES)} (cases in store: {CASES})")
