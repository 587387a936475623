"""The ``qa-engine audit|actionplan|concern`` commands, run as real processes
against the time-skipping server, with a real worker over a real SQLite store."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from qa_engine.bootstrap import Services
from tests.conftest import TEST_CODEC_KEY
from tests.qa_support import SAMPLE, new_ref, today_of

QA_ENGINE = str(Path(sys.executable).parent / "qa-engine")


async def cli(env: dict[str, str], *args: str) -> tuple[int, Any, str]:
    """Run the CLI in a thread, so the worker in this process keeps serving it."""
    proc = await asyncio.to_thread(
        subprocess.run,
        [QA_ENGINE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    out = proc.stdout.strip()
    try:
        data = json.loads(out) if out else None
    except json.JSONDecodeError:
        data = out
    return proc.returncode, data, proc.stderr


async def test_audit_commands_end_to_end(
    ts_env: WorkflowEnvironment, qa_worker: tuple[Client, str, Services], tmp_path: Path
) -> None:
    client, queue, services = qa_worker
    settings = services.settings
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("QA_")},
        "QA_TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "QA_TEMPORAL_TASK_QUEUE": queue,
        "QA_TEMPORAL_CODEC_KEY": TEST_CODEC_KEY,
        "QA_DATA_DIR": str(settings.data_dir),
        "QA_ACTOR_NAME": "Sam Patel",
        "QA_ACTOR_ROLE": "QA officer",
        "QA_PARTNERSHIP": "GSCP",
        "QA_LOG_LEVEL": "WARNING",
    }
    t0 = (await today_of(ts_env)).isoformat()
    ref = new_ref()
    code, data, err = await cli(
        env, "audit", "plan", "--json", "--audit-ref", ref, "--partnership", "GSCP",
        "--kind", "dip", "--theme", "Management oversight", "--period-start", t0,
        "--period-end", t0, "--sample-size", "3", "--lead", "Head of Quality",
        "--agencies", "LA", "--agencies", "POLICE",
    )  # fmt: skip
    assert code == 0, err
    assert data["stage"] == "planned" and data["ref"] == ref

    # Out of order: moderation before any returns. Exit 1, the rule named, nothing recorded.
    code, data, err = await cli(
        env, "audit", "record-moderation", ref, "--json", "--held-on", t0,
        "--moderators", "Service manager",
    )  # fmt: skip
    assert code == 1 and data["rule"] == "stage_order", (data, err)
    assert len(services.quality.history("GSCP", "audit", ref)) == 1

    # Invalid input: a name instead of a pseudonymous reference. Exit 2, field named.
    code, data, _ = await cli(
        env, "audit", "draw-sample", ref, "--json", "--drawn-on", t0,
        "--case-refs", "Jane Smith",
    )  # fmt: skip
    assert code == 2 and data["problems"][0]["field"].startswith("case_refs")

    args = [arg for r in SAMPLE for arg in ("--case-refs", r)]
    code, data, err = await cli(env, "audit", "draw-sample", ref, "--drawn-on", t0, *args)
    assert code == 0, err
    assert "recorded draw_audit_sample" in data and "sample 3/3" in data

    code, data, err = await cli(env, "audit", "show", ref, "--json")
    # the state (the workflow's query) counts the sample; the references stay in the store
    assert code == 0 and data["sampled"] == 3 and "sample" not in data
    assert not set(SAMPLE) & set(json.dumps(data).split('"'))

    code, data, err = await cli(env, "audit", "history", ref, "--json")
    assert code == 0, err
    assert [e["event"] for e in data["events"]] == ["Planned", "SampleDrawn"]
    assert [(r["actor"]["name"], r["view"]) for r in data["reads"]] == [("Sam Patel", "history")]
    code, data, _ = await cli(env, "audit", "verify", ref)
    assert code == 0 and "chain intact, 2 records" in data
