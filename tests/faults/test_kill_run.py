"""The short process-kill fault run (the long one: ``python -m tests.faults.kill_run``).

One case goes from report to rapid review meeting through real ``qa-engine`` commands
while the worker, the Temporal dev server and the projection runner are SIGKILLed and
restarted at random; nothing is lost, duplicated or wedged, and no command prints a
traceback or is refused for anything but a rule. A second case takes two callers'
conflicting SIN decisions at once: one wins, the other is refused by a rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.kill_run import run

pytestmark = pytest.mark.integration


async def test_kills_lose_nothing_duplicate_nothing_wedge_nothing(tmp_path: Path) -> None:
    figures = await run(
        tmp_path,
        cases=1,
        conflicts=1,
        concurrency=2,
        seed=3,
        budget=120,
        pause=(2.5, 5),
        deadline=4,
    )
    print(figures.line())
    assert sum(figures.kills.values()) > 0  # faults were injected
    assert (figures.lost, figures.duplicated, figures.wedged) == (0, 0, 0), figures.problems
    assert figures.conflicts_unresolved == 0 and figures.survived == 2, figures.problems
    assert figures.problems == []
