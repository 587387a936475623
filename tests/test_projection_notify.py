"""On PostgreSQL the projection runner follows appends by LISTEN/NOTIFY, not by
waiting out its poll interval; on SQLite it polls. Real stores, real runner task."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from projections.catalogue import build_runner
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from tests.conftest import postgres_settings
from tests.lifecycle import report

#: far longer than the test may take: a row that shows up came by a notification
POLL = 120.0


def _oversight_refs(runner: Any) -> set[str]:
    with runner.db.read() as cur:
        return {r["ref"] for r in cur.execute("SELECT ref FROM {oversight}").fetchall()}


async def _until(predicate: Any, within: float) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if await asyncio.to_thread(predicate):
            return True
        await asyncio.sleep(0.05)
    return False


async def test_an_append_reaches_the_views_without_waiting_for_the_poll(
    settings: Settings,
) -> None:
    services = bootstrap(settings)
    runner = build_runner(services.reviews)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run_forever(stop, poll_seconds=POLL))
    try:
        report(services.reviews, "NOTE-1")  # before the runner's first catch-up or after
        assert await _until(lambda: "NOTE-1" in _oversight_refs(runner), 10)
        if settings.store == "postgres":
            await asyncio.sleep(0.5)  # the runner now waits on its channel, not polling
            report(services.reviews, "NOTE-2")
            assert await _until(lambda: "NOTE-2" in _oversight_refs(runner), 10)
        else:
            report(services.reviews, "NOTE-2")  # SQLite: seen at the next poll only
            assert not await _until(lambda: "NOTE-2" in _oversight_refs(runner), 1.5)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        services.close()


@pytest.mark.postgres
def test_listening_twice_makes_one_trigger_and_writes_no_row(postgres_db: str) -> None:
    services = bootstrap(postgres_settings(postgres_db))
    try:
        runner = build_runner(services.reviews)
        before = int(services.reviews.recorder.max_notification_id() or 0)
        first, second = runner.listen(), runner.listen()
        assert first is not None and second is not None
        first.close()
        second.close()
        with runner.db.read() as cur:
            n = cur.execute(
                "SELECT COUNT(*) AS n FROM pg_trigger WHERE tgname = ?", (runner.notify_channel(),)
            ).fetchone()
        assert n is not None and n["n"] == 1
        assert int(services.reviews.recorder.max_notification_id() or 0) == before
    finally:
        services.close()
