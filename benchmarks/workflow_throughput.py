"""Write-side throughput on the real Temporal dev server, beside the raw limits.

    .venv/bin/python benchmarks/workflow_throughput.py [--cases 200] [--concurrency 20]

Measured in one run on this machine:
- qa-engine: N review cases, each reported (workflow start + report activity) and
  given two steps as Temporal updates (validator, activity, event store save);
- Temporal raw limit: N trivial workflows each running three no-op activities on
  the same server and worker process (what the server itself can do);
- event store raw limit: the same N cases and 2 steps written straight through
  the application service (no Temporal).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

from temporalio import activity, workflow
from temporalio.worker import Worker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.calendar import LONDON
from domain.review import COMMANDS, ReportIncident
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.entry.review_client import ReviewClient
from qa_engine.entry.temporal import start_dev_server
from workers.main import build_worker

ACTOR = {"name": "Bench Mark", "role": "partnership business manager"}


@activity.defn(name="bench_noop")
def bench_noop(n: int) -> int:
    return n


@workflow.defn(name="BenchNoop", sandboxed=False)
class BenchNoop:
    @workflow.run
    async def run(self, n: int) -> int:
        for _ in range(3):
            n = await workflow.execute_activity(
                "bench_noop", n, start_to_close_timeout=timedelta(seconds=30)
            )
        return n


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def report(ref: str, today: date) -> ReportIncident:
    return ReportIncident.model_validate(
        {
            "actor": ACTOR,
            "case_ref": ref,
            "partnership": "BENCH",
            "incident_on": today - timedelta(days=1),
            "aware_on": today,
            "child_refs": ["C-00001"],
            "abuse_or_neglect": True,
            "harm": "seriously_harmed",
        }
    )


def steps(today: date) -> list[tuple[str, object]]:
    return [
        (
            "record_panel_notification",
            COMMANDS["record_panel_notification"].model_validate(
                {"actor": ACTOR, "notified_on": today}
            ),
        ),
        (
            "record_partners_informed",
            COMMANDS["record_partners_informed"].model_validate(
                {"actor": ACTOR, "informed_on": today}
            ),
        ),
    ]


async def timed(n: int, concurrency: int, one: object) -> tuple[float, list[float]]:
    sem = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def run(i: int) -> None:
        async with sem:
            t = time.perf_counter()
            await one(i)  # type: ignore[operator]
            latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*(run(i) for i in range(n)))
    return time.perf_counter() - start, latencies


async def measure(cases: int, concurrency: int) -> dict[str, float]:
    """Cases (or bare workflows) per second, p50 latencies (s), and the event store alone."""
    today = datetime.now(LONDON).date()
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(16) as pool:
        port = free_port()
        settings = Settings(
            data_dir=Path(tmp),
            dev_server_port=port,
            dev_server_ui_port=free_port(),
            temporal_task_queue="bench",
        )
        env = await start_dev_server(settings)
        services = bootstrap(settings)
        client = ReviewClient(env.client, "bench")
        run_id = uuid.uuid4().hex[:6].upper()
        worker = build_worker(env.client, task_queue="bench", services=services, executor=pool)
        noop_worker = Worker(
            env.client,
            task_queue="bench-noop",
            workflows=[BenchNoop],
            activities=[bench_noop],
            activity_executor=pool,
        )
        async with worker, noop_worker:

            async def one_case(i: int) -> None:
                ref = f"B{run_id}-{i:05d}"
                await client.report(report(ref, today))
                for step, command in steps(today):
                    await client.record("BENCH", ref, step, command)  # type: ignore[arg-type]

            async def one_noop(i: int) -> None:
                await env.client.execute_workflow(
                    BenchNoop.run, i, id=f"noop-{run_id}-{i}", task_queue="bench-noop"
                )

            qa_s, qa_lat = await timed(cases, concurrency, one_case)
            raw_s, raw_lat = await timed(cases, concurrency, one_noop)
        services.close()

        direct = bootstrap(settings.model_copy(update={"sqlite_path": Path(tmp) / "direct.db"}))
        t = time.perf_counter()
        for i in range(cases):
            ref = f"D{run_id}-{i:05d}"
            direct.reviews.report_incident(report(ref, today), key=f"{ref}/r", today=today)
            for j, (step, command) in enumerate(steps(today)):
                direct.reviews.record_step(
                    "BENCH",
                    ref,
                    step,
                    command,
                    key=f"{ref}/{j}",  # type: ignore[arg-type]
                    today=today,
                )
        store_s = time.perf_counter() - t
        direct.close()
        await env.shutdown()

    return {
        "qa_per_s": cases / qa_s,
        "raw_per_s": cases / raw_s,
        "qa_p50": statistics.median(qa_lat),
        "raw_p50": statistics.median(raw_lat),
        "store_per_s": cases / store_s,
    }


async def main(cases: int, concurrency: int) -> None:
    m = await measure(cases, concurrency)

    print(f"cases={cases} concurrency={concurrency} cores={os.cpu_count()}")
    print(f"{'':48} {'per second':>12} {'p50 latency':>12}")
    print(
        f"{'qa-engine: case reported + 2 steps (updates)':48} {m['qa_per_s']:>12.1f} "
        f"{m['qa_p50'] * 1000:>10.0f}ms"
    )
    print(
        f"{'Temporal raw: workflow with 3 no-op activities':48} {m['raw_per_s']:>12.1f} "
        f"{m['raw_p50'] * 1000:>10.0f}ms"
    )
    print(f"{'event store raw: same writes, no Temporal':48} {m['store_per_s']:>12.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.concurrency))
    sys.stdout.flush()
    os._exit(0)
