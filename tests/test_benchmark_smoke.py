"""The benchmark script still runs (tiny sizes; performance is never asserted here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "read_side.py"


def test_benchmark_script_runs_end_to_end_on_sqlite() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--cases", "2", "--long-case", "12", "--stock-events", "3"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "batched runner" in result.stdout
    assert "case history of 12 events" in result.stdout
