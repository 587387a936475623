"""The benchmark script still runs (tiny sizes; performance is never asserted here)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
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


def test_the_generator_writes_every_lifecycle_through_the_write_path(tmp_path: Path) -> None:
    """A tiny national data set: every kind of record, open ones among them, and a
    ledger that verifies (the generator writes through the aggregates and the store)."""
    sys.path.insert(0, str(SCRIPT.parent.parent))
    from benchmarks.generate import Volumes, generate
    from projections.catalogue import build_runner
    from projections.queries import oversight
    from qa_engine.bootstrap import bootstrap
    from qa_engine.config import Settings

    services = bootstrap(Settings(data_dir=tmp_path, store="sqlite"))
    try:
        stats = generate(
            services,
            partnerships=2,
            years=1,
            as_at=date(2025, 12, 31),
            volumes=Volumes(reviews=3, audits=4),
            seed=1,
        )
        assert set(stats.by_kind) >= {"review", "audit", "actionplan"}
        logged = int(services.reviews.recorder.max_notification_id() or 0)
        assert logged == stats.events + 2  # and the two partnerships' registrations
        assert services.quality.verify_log().ok
        runner = build_runner(services.reviews)
        runner.catch_up()
        rows = oversight(
            runner.db,
            today=date(2025, 12, 31),
            calendar=services.reviews.calendar,
            amber_working_days=3,
        )
        assert {r.partnership for r in rows} <= {"PAAA", "PAAB"}
        assert 0 < len(rows) < stats.records  # the youngest are open, the oldest closed
    finally:
        services.close()


def test_every_benchmark_runs_on_tiny_sizes() -> None:
    script = SCRIPT.parent / "run_all.py"
    result = subprocess.run(
        [sys.executable, str(script), "--quick", "--no-write"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for measure in (
        "step append",
        "projection catch-up",
        "projections rebuild",
        "oversight",
        "history",
    ):
        assert f"| sqlite | {measure}" in result.stdout, measure


def test_the_startup_benchmark_runs() -> None:
    script = SCRIPT.parent / "startup.py"
    result = subprocess.run(
        [sys.executable, str(script), "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "qa-engine dev" in result.stdout and "vs bare" in result.stdout


def test_the_web_latency_benchmark_runs_on_tiny_sizes() -> None:
    """``qa-engine dev`` as a subprocess, two signed-in users, a second of load."""
    script = SCRIPT.parent / "web_latency.py"
    result = subprocess.run(
        [sys.executable, str(script), "--users", "2", "--seconds", "1", "--warmup", "0.2"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 concurrent signed-in users" in result.stdout
    for measure in ("pages (all)", "API reads (all)", "bare /healthz"):
        assert measure in result.stdout


def test_the_lifecycle_benchmark_runs() -> None:
    """A review from report to closed on the real time-skipping server, beside a bare
    180-day timer workflow (the lifecycle raises if the case does not close)."""
    script = SCRIPT.parent / "lifecycle.py"
    result = subprocess.run(
        [sys.executable, str(script), "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "full lifecycle" in result.stdout and "bare 180-day timer" in result.stdout
