"""How long ``qa-engine dev`` takes to be ready, beside the bare Temporal dev server.

    .venv/bin/python benchmarks/startup.py [--repeat 3]

Measured in one run on this machine, medians of ``--repeat`` starts, each in a fresh
data directory on free ports:

- bare: ``temporal server start-dev`` (the same binary qa-engine embeds) until its
  ``default`` namespace answers a Temporal client;
- ``qa-engine dev --no-demo`` and ``qa-engine dev`` until the start-up banner is
  printed: the dev server, the worker, the projection runner, the web app and (with
  the demo) the demo records and one account per role are then all up;
- the import floor: a Python process importing what ``dev`` runs (no I/O at all).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _namespace_ready(address: str, deadline: float) -> None:
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
    from temporalio.client import Client

    while True:
        try:
            client = await Client.connect(address)
            await client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace="default")
            )
            return
        except Exception:
            if time.perf_counter() > deadline:
                raise
            await asyncio.sleep(0.02)


def bare(tmp: Path) -> float:
    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [
            str(BIN / "temporal"),
            "server",
            "start-dev",
            "--port",
            str(port),
            "--ui-port",
            str(free_port()),
            "--db-filename",
            str(tmp / "bare.sqlite3"),
            "--log-level",
            "error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        asyncio.run(_namespace_ready(f"127.0.0.1:{port}", start + 60))
        return time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait()


def dev(tmp: Path, demo: bool) -> float:
    port = free_port()
    env = {
        **os.environ,
        "QA_DATA_DIR": str(tmp),
        "QA_DEV_SERVER_PORT": str(port),
        "QA_DEV_SERVER_UI_PORT": str(free_port()),
        "QA_TEMPORAL_ADDRESS": f"127.0.0.1:{port}",
        "QA_WEB_PORT": str(free_port()),
        "QA_CODEC_SERVER_PORT": str(free_port()),
        "QA_LOG_LEVEL": "ERROR",
    }
    args = [str(BIN / "qa-engine"), "dev", *([] if demo else ["--no-demo"])]
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if b"qa-engine is running." in line:
                return time.perf_counter() - start
        raise RuntimeError(f"qa-engine dev ended without its banner (exit {proc.wait()})")
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def imports() -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import qa_engine.entry.cli, qa_engine.entry.runtime, qa_engine.entry.cli_read, "
            "qa_engine.entry.demo, workers.main",
        ],
        check=True,
        cwd=ROOT,
    )
    return time.perf_counter() - start


def measure(repeat: int) -> dict[str, float]:
    """Median seconds of each start (``bare``, ``nodemo``, ``demo``, ``imports``)."""
    runs: dict[str, list[float]] = {"bare": [], "nodemo": [], "demo": [], "imports": []}
    for _ in range(repeat):
        for name in runs:
            with tempfile.TemporaryDirectory() as tmp:
                if name == "bare":
                    runs[name].append(bare(Path(tmp)))
                elif name == "imports":
                    runs[name].append(imports())
                else:
                    runs[name].append(dev(Path(tmp), demo=name == "demo"))
    return {k: statistics.median(v) for k, v in runs.items()}


def main(repeat: int) -> None:
    med = measure(repeat)
    print(f"repeat={repeat} cores={os.cpu_count()}")
    print(f"{'':52} {'seconds':>8} {'vs bare':>8}")
    for label, key in (
        ("bare `temporal server start-dev` (namespace answers)", "bare"),
        ("`qa-engine dev --no-demo` (banner)", "nodemo"),
        ("`qa-engine dev` with the demo (banner)", "demo"),
        ("import floor: a process importing what dev runs", "imports"),
    ):
        print(f"{label:52} {med[key]:>8.2f} {med[key] / med['bare']:>7.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    main(parser.parse_args().repeat)
    sys.stdout.flush()
    os._exit(0)
