"""The bare reference workflow of ``benchmarks/lifecycle.py``: one durable timer, nothing
else. In a module of its own so that it runs in Temporal's sandbox like the project's
workflows (the sandbox re-imports a workflow's module)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow


@workflow.defn(name="BenchTimer")
class BenchTimer:
    @workflow.run
    async def run(self, days: int) -> int:
        await workflow.sleep(timedelta(days=days))
        return days
