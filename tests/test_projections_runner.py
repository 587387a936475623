"""The projection runner on both stores: exactly once across crashes, resume, rebuild."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from domain.review.events import TOPIC_PREFIXES
from projections.catalogue import build_projections, build_runner, lifecycles, sealer_for
from projections.runner import Notified, ProjectionRunner
from projections.views import AuditTrailProjection, OversightProjection
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.reviews import ReviewService
from tests.lifecycle import full_lifecycle, report, snapshot, step


class Crash(Exception):
    pass


class CrashingTrail(AuditTrailProjection):
    """Writes its rows for the batch, then the process 'dies' before the commit."""

    def apply(self, cur: Any, batch: Sequence[Notified]) -> None:
        super().apply(cur, batch)
        raise Crash("killed inside the transaction, after writing the batch's rows")


def _seed(svc: ReviewService) -> int:
    """Seed three cases; returns how many review events the log holds (the log also
    holds the two partnerships' registrations, which no read model applies)."""
    list(full_lifecycle(svc, "RUN-1"))
    report(svc, "RUN-2")
    report(svc, "RUN-3", partnership="WSCP")
    return 22 + 1 + 1


def _logged(svc: ReviewService) -> int:
    return int(svc.recorder.max_notification_id() or 0)


def _count(runner: ProjectionRunner, table: str) -> int:
    with runner.db.read() as cur:
        row = cur.execute(f"SELECT COUNT(*) AS n FROM {{{table}}}").fetchone()
    assert row is not None
    return int(row["n"])


def test_catch_up_applies_every_event_once_and_reports_no_lag(
    settings: Settings, service: ReviewService
) -> None:
    events = _seed(service)
    logged = _logged(service)
    runner = build_runner(service, batch_size=4)
    assert [s.lag for s in runner.status()] == [logged] * 4

    assert runner.catch_up() == logged * 4  # four projections (outbox too), every notification
    assert _count(runner, "audit_trail") == events
    assert {s.name: (s.position, s.lag) for s in runner.status()} == {
        "oversight": (logged, 0),
        "audit_trail": (logged, 0),
        "timeliness": (logged, 0),
        "outbox": (logged, 0),
    }
    assert runner.catch_up() == 0  # nothing new: nothing applied again
    assert _count(runner, "audit_trail") == events


def test_crash_between_batches_resumes_where_it_stopped(settings: Settings) -> None:
    first = bootstrap(settings)
    events = _seed(first.reviews)
    runner = build_runner(first.reviews, batch_size=5)
    assert runner.run_batch("audit_trail") == 5
    assert runner.run_batch("oversight") == 5
    first.close()  # the process stops between batches

    second = bootstrap(settings)
    try:
        resumed = build_runner(second.reviews, batch_size=5)
        assert resumed.position("audit_trail") == 5
        resumed.catch_up()
        assert _count(resumed, "audit_trail") == events
        incremental = snapshot(resumed)
        for name in resumed.projections:
            resumed.rebuild(name)
        assert snapshot(resumed) == incremental
    finally:
        second.close()


def test_crash_inside_a_batch_writes_neither_rows_nor_position(
    settings: Settings, service: ReviewService
) -> None:
    events = _seed(service)
    good = build_runner(service, batch_size=6)
    good.run_batch("audit_trail")  # one committed batch before the crash
    first = service.recorder.select_notifications(start=1, limit=6)
    rows = sum(1 for n in first if n.topic.startswith(TOPIC_PREFIXES))  # case events only
    assert _count(good, "audit_trail") == rows

    crashing = ProjectionRunner(
        service, [CrashingTrail(lifecycles(), sealer_for(service))], batch_size=6
    )
    with pytest.raises(Crash):
        crashing.run_batch("audit_trail")
    assert crashing.position("audit_trail") == 6
    assert _count(good, "audit_trail") == rows  # the crashed batch's rows were rolled back

    good.catch_up()
    assert _count(good, "audit_trail") == events
    incremental = snapshot(good)
    good.rebuild("audit_trail")
    assert snapshot(good) == incremental


def test_a_crashed_batch_does_not_leak_buffered_rows_into_the_next(
    settings: Settings, service: ReviewService
) -> None:
    """The same projection object retries after a failure (as ``run_forever`` does)."""
    _seed(service)

    class FailOnce(OversightProjection):
        failed = False

        def flush(self, cur: Any) -> None:
            if not self.failed:
                self.failed = True
                raise Crash("database went away")
            super().flush(cur)

    runner = ProjectionRunner(service, [FailOnce(lifecycles())], batch_size=100)
    with pytest.raises(Crash):
        runner.catch_up()
    runner.catch_up()
    reference = build_runner(service)
    reference.rebuild("oversight")
    assert snapshot(runner)["oversight"] == snapshot(reference)["oversight"]


def test_rebuild_equals_incremental_with_writes_between_batches(
    settings: Settings, service: ReviewService
) -> None:
    runner = build_runner(service, batch_size=3)
    states = full_lifecycle(service, "INC-1")
    for i, _state in enumerate(states):
        if i % 4 == 0:
            report(service, f"INC-{100 + i}")
        if i % 3 == 0:
            runner.catch_up()
    step(service, "INC-100", "record_panel_notification", _day(), notified_on=_day())
    runner.catch_up()
    incremental = snapshot(runner)
    # every reported case is open and shown; INC-1 is closed, so gone
    reported = {f"INC-{100 + i}" for i in range(0, 22, 4)}
    assert {r["ref"] for r in incremental["oversight"]} == reported
    assert len(incremental["audit_trail"]) == 22 + len(reported) + 1

    for name in runner.projections:
        runner.rebuild(name)
    assert snapshot(runner) == incremental

    fresh = ProjectionRunner(service, build_projections(service), batch_size=1000)
    assert snapshot(fresh) == incremental  # same tables, whatever the batch size


def test_progress_is_reported_while_rebuilding(settings: Settings, service: ReviewService) -> None:
    _seed(service)
    logged = _logged(service)
    runner = build_runner(service, batch_size=10)
    seen: list[tuple[str, int, int]] = []
    assert runner.rebuild("oversight", progress=lambda *a: seen.append(a)) == logged
    assert seen == [("oversight", n, logged) for n in (10, 20, logged)]


def _day() -> Any:
    from datetime import date

    return date(2025, 1, 8)


def test_reset_all_empties_every_view_and_catch_up_fills_them_again(
    settings: Settings, service: ReviewService
) -> None:
    """``reset_all`` (the first half of ``rebuild_all``; the benchmarks time a catch-up
    of a kept store from zero with it): no rows, every position 0, nothing lagging
    unnoticed; the next catch-up writes the same rows again."""
    _seed(service)
    logged = _logged(service)
    runner = build_runner(service, batch_size=5)
    runner.catch_up()
    before = snapshot(runner)
    assert before["oversight"] and before["audit_trail"]

    assert sorted(runner.reset_all()) == sorted(runner.projections)
    assert [s.position for s in runner.status()] == [0] * 4
    assert [s.lag for s in runner.status()] == [logged] * 4
    assert all(not rows for rows in snapshot(runner).values())

    assert runner.catch_up() == logged * 4
    assert snapshot(runner) == before
