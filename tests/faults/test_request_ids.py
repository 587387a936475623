"""Re-running a command never records twice; no worker is a bounded exit 4 (issue 11).

On the real Temporal dev server, with the CLI in its own process and a worker that
this test starts and stops:

- a step sent while no worker runs answers exit 4 within its deadline, names the
  request id, prints no traceback; a worker that starts afterwards refuses the
  stale step (nothing recorded); re-running the same command records it once, and
  re-running it again answers the first result without recording it again;
- a refusal that arrives through the workflow as invalid input exits 2 naming the
  field and rule, not 1.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from domain.errors import InvalidInput
from domain.review import ReviewState
from qa_engine.bootstrap import Services, bootstrap
from qa_engine.config import Settings
from qa_engine.entry.temporal import start_dev_server
from qa_engine.entry.workflow_calls import send_step
from tests.review_data import cmd
from tests.test_integration_dev_server import free_port
from workers.main import build_worker

pytestmark = pytest.mark.integration

DAY = date(2025, 3, 3)
CLERK = {"name": "Casey Clerk", "role": "partnership business manager"}


class Dev(BaseModel, arbitrary_types_allowed=True):
    settings: Settings
    env: Any
    services: Any
    pool: Any


@pytest.fixture
async def dev(tmp_path: Path) -> AsyncIterator[Dev]:
    port = free_port()
    settings = Settings(
        data_dir=tmp_path,
        dev_server_port=port,
        dev_server_ui_port=free_port(),
        temporal_address=f"127.0.0.1:{port}",
        temporal_task_queue="faults",
    )
    env = await start_dev_server(settings)
    services = bootstrap(settings)
    with ThreadPoolExecutor(4) as pool:
        yield Dev(settings=settings, env=env, services=services, pool=pool)
    services.close()
    await env.shutdown()


def worker(dev: Dev) -> Any:
    return build_worker(
        dev.env.client, task_queue="faults", services=dev.services, executor=dev.pool
    )


def _cli(settings: Settings, args: tuple[str, ...], extra: dict[str, str]) -> Any:
    env = {
        **os.environ,
        "QA_DATA_DIR": str(settings.data_dir),
        "QA_TEMPORAL_ADDRESS": settings.temporal_address,
        "QA_TEMPORAL_TASK_QUEUE": settings.temporal_task_queue,
        "QA_PARTNERSHIP": "GSCP",
        "QA_ACTOR_NAME": CLERK["name"],
        "QA_ACTOR_ROLE": CLERK["role"],
        "QA_LOG_LEVEL": "WARNING",
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "qa_engine.entry.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )


async def cli(settings: Settings, *args: str, **extra: str) -> Any:
    return await asyncio.to_thread(_cli, settings, args, extra)


def recorded(services: Services, ref: str, event: str) -> int:
    """How many ``event``s the case's stream holds."""
    entries = services.reviews.read_history(
        "GSCP", ref, actor={**CLERK, "partnership": "GSCP"}, purpose="fault suite"
    )
    return sum(1 for e in entries if e.event == event)


async def report(dev: Dev, ref: str) -> None:
    d = DAY.isoformat()
    r = await cli(
        dev.settings,
        "case",
        "report",
        "--case-ref",
        ref,
        "--partnership",
        "GSCP",
        "--incident-on",
        d,
        "--aware-on",
        d,
        "--child-refs",
        "C-31001",
        "--abuse-or-neglect",
        "--harm",
        "died",
    )
    assert r.returncode == 0, r.stderr


STEP = ("case", "record-panel-notification", "RID-001", "--notified-on", DAY.isoformat())


async def test_no_worker_exits_4_is_not_recorded_later_and_a_rerun_records_once(dev: Dev) -> None:
    async with worker(dev):
        await report(dev, "RID-001")
    # no worker: a bounded wait, a clear message, exit 4, the request id to retry with
    r = await cli(dev.settings, *STEP, QA_STEP_DEADLINE_SECONDS="3")
    assert r.returncode == 4, (r.returncode, r.stderr)
    assert "unavailable:" in r.stderr and "was not answered within 3s" in r.stderr
    assert "--request-id " in r.stderr and "Traceback" not in r.stderr
    key = r.stderr.split("--request-id ", 1)[1].split(")", 1)[0]
    async with worker(dev):
        # a later step on the case is answered only after the stale one was handled
        await dev.env.client.get_workflow_handle("review-GSCP-RID-001").query("state")
        assert recorded(dev.services, "RID-001", "PanelNotified") == 0
        # re-running the same command (same derived request id) records it once ...
        r = await cli(dev.settings, *STEP)
        assert r.returncode == 0, r.stderr
        assert recorded(dev.services, "RID-001", "PanelNotified") == 1
        # ... and again, after (say) a lost answer: the first result, nothing recorded
        again = await cli(dev.settings, *STEP, "--json")
        assert again.returncode == 0, again.stderr
        assert recorded(dev.services, "RID-001", "PanelNotified") == 1
        # the key printed with the failure names the same request
        same = await cli(dev.settings, *STEP, "--request-id", key)
        assert same.returncode == 0, same.stderr
        assert recorded(dev.services, "RID-001", "PanelNotified") == 1


class OutOfRange(BaseModel):
    """A step's arguments as an older or foreign client might send them."""

    actor: dict[str, str]
    notified_on: str


async def test_invalid_input_through_the_workflow_is_invalid_input(dev: Dev) -> None:
    async with worker(dev):
        await report(dev, "RID-002")
        with pytest.raises(InvalidInput) as e:
            await send_step(
                dev.env.client,
                "review-GSCP-RID-002",
                "record_panel_notification",
                OutOfRange(actor=CLERK, notified_on="2100-01-04"),
                ReviewState,
                "case RID-002",
            )
        assert (e.value.field, e.value.rule) == ("notified_on", "date_in_calendar_range")
        assert recorded(dev.services, "RID-002", "PanelNotified") == 0


async def test_a_step_sent_before_its_case_is_recorded_waits_for_the_opening(dev: Dev) -> None:
    """The kill run's finding: a step that reached its case before the case's opening
    was recorded (the report sent while no worker ran) was refused ``not_ready`` (exit
    1) and the caller moved on, so the step was lost. The client now sends it again
    until the opening lands (or its deadline passes: exit 4, to re-run)."""
    d = DAY.isoformat()
    r = await cli(
        dev.settings,
        *("case", "report", "--case-ref", "RID-003", "--partnership", "GSCP"),
        *("--incident-on", d, "--aware-on", d, "--child-refs", "C-31003"),
        *("--abuse-or-neglect", "--harm", "died"),
        QA_STEP_DEADLINE_SECONDS="3",
    )
    assert r.returncode == 4, (r.returncode, r.stderr)  # sent; no worker to record it
    step = asyncio.create_task(
        send_step(
            dev.env.client,
            "review-GSCP-RID-003",
            "record_panel_notification",
            cmd("record_panel_notification", notified_on=DAY),
            ReviewState,
            "case RID-003",
            deadline=90,
        )
    )
    await asyncio.sleep(1)
    async with worker(dev):
        state = await step
    assert state.notified_on == DAY
    assert recorded(dev.services, "RID-003", "IncidentReported") == 1
    assert recorded(dev.services, "RID-003", "PanelNotified") == 1
