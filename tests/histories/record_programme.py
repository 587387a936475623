"""Re-record the committed lifecycle-3 history that tests/test_replay.py replays.

    .venv/bin/python -m tests.histories.record_programme

Writes ``programme_occurrence_audit.json`` beside this file: a programme's dip-audit
entry fires (started by hand, as ``trigger`` does), records the month's occurrence
and starts the audit's workflow as a child that outlives it. Re-record only when
the workflow changes on purpose (see record.py).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain.programme import EntrySpec, OpenProgramme
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from tests.conftest import _bin, actor
from tests.qa_support import today_of
from workers.main import build_worker
from workflows.contracts import SEARCH_ATTRIBUTES
from workflows.programme import ProgrammeOccurrenceWorkflow
from workflows.programme_contracts import StartOccurrence, occurrence_workflow_id

HERE = Path(__file__).parent


async def record() -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_bin("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={
                k.name: IndexedValueType.ValueType(k.indexed_value_type) for k in SEARCH_ATTRIBUTES
            },
        )
    )
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(4) as pool:
        services = bootstrap(Settings(data_dir=Path(tmp)))
        today = await today_of(env)
        entry = EntrySpec(
            entry_id="DIP",
            kind="dip_audit",  # type: ignore[arg-type]
            title="Dip audit: strategy discussions",
            cadence="cycles",  # type: ignore[arg-type]
            months=[today.month],
            owner_agency="LA",
            sample_size=2,
        )
        services.programme.open_programme(
            OpenProgramme(
                actor=actor(),
                partnership="GSCP",
                year=today.year,
                decided_on=today,
                entries=[entry],
            ),
            key="record/open",
        )
        queue = f"record-{uuid.uuid4().hex[:6]}"
        async with build_worker(env.client, task_queue=queue, services=services, executor=pool):
            handle = await env.client.start_workflow(
                ProgrammeOccurrenceWorkflow.run,
                StartOccurrence(partnership="GSCP", year=today.year, entry_id="DIP"),
                id=occurrence_workflow_id("GSCP", today.year, "DIP") + "-manual",
                task_queue=queue,
            )
            await handle.result()
            history = await handle.fetch_history()
            (HERE / "programme_occurrence_audit.json").write_text(history.to_json())
        services.close()
    await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record())
    print("recorded programme_occurrence_audit.json", flush=True)
    os._exit(0)
