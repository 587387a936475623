"""PostgreSQL writes a batch's view rows in bulk (one ``INSERT ... SELECT FROM unnest``
per table) instead of a statement per row: the same records rebuild to the same rows
either way."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from projections.catalogue import build_runner
from projections.runner import ProjectionRunner
from qa_engine.bootstrap import bootstrap
from tests.conftest import postgres_settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import Volumes, generate

#: every view column but the outbox's delivery bookkeeping (stamped with the clock)
VIEWS = {
    "oversight": "*",
    "audit_trail": "*",
    "timeliness_clocks": "*",
    "projection_state": "*",
    "notify_outbox": "originator_id, version, notification_id, kind, partnership, ref, what, "
    "step_key, step_label, due_on, roles, agencies, recorded_at, status",
}


def view_rows(runner: ProjectionRunner) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with runner.db.read() as cur:
        for table, columns in VIEWS.items():
            rows = cur.execute(f"SELECT {columns} FROM {{{table}}}").fetchall()
            out[table] = sorted(tuple(str(v) for v in r.values()) for r in rows)
    return out


def clear_outbox(runner: ProjectionRunner) -> None:
    """A rebuild keeps the outbox's rows (their delivery status): start it empty."""
    with runner.db.transaction() as cur:
        cur.execute("DELETE FROM {notify_outbox}")


@pytest.mark.postgres
def test_bulk_writes_give_the_rows_of_row_by_row_writes(postgres_db: str) -> None:
    services = bootstrap(postgres_settings(postgres_db))
    try:
        generate(
            services,
            partnerships=1,
            years=2,
            as_at=date(2025, 12, 31),
            volumes=Volumes(reviews=3, audits=6),
            seed=3,
        )
        runner = build_runner(services.reviews, batch_size=97)
        runner.db.bulk_writes = False
        runner.catch_up()
        row_by_row = view_rows(runner)
        runner.db.bulk_writes = True
        clear_outbox(runner)
        runner.rebuild_all()
        assert view_rows(runner) == row_by_row
        assert len(row_by_row["audit_trail"]) > 300
        assert row_by_row["oversight"] and row_by_row["timeliness_clocks"]
        assert row_by_row["notify_outbox"] and row_by_row["projection_state"]
        # and following the log batch by batch in bulk writes the same rows again
        clear_outbox(runner)
        runner.rebuild("oversight")
        runner.rebuild_all(["audit_trail", "timeliness", "outbox"])
        assert view_rows(runner) == row_by_row
    finally:
        services.close()
