"""A command imports only what it needs: building the parser (``--help``, or any command
before it runs) never loads the Temporal client or the event store."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from qa_engine.entry.cli import build_parser
parser = build_parser()
for argv in ({argvs}):
    try:
        parser.parse_args(argv)
    except SystemExit:
        pass
heavy = ["temporalio.client", "eventsourcing.application", "qa_engine.access_log",
         "qa_engine.ledger", "psycopg", "projections.views"]
print("loaded:" + ",".join(m for m in heavy if m in sys.modules))
"""


def _loaded(*argvs: list[str]) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(argvs="".join(f"{a!r}, " for a in argvs))],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("loaded:"), last
    return {m for m in last.removeprefix("loaded:").split(",") if m}


def test_parsing_any_command_loads_neither_temporal_nor_the_event_store() -> None:
    assert _loaded(["--help"], ["oversight", "--help"], ["audit", "plan", "--help"]) == set()


def test_the_probe_sees_a_heavy_import_when_one_happens() -> None:
    """The probe itself can fail: importing the QA client loads the Temporal client."""
    probe = PROBE.replace(
        "parser = build_parser()", "parser = build_parser()\nimport qa_engine.entry.qa_client"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe.format(argvs="['--help'], ")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "temporalio.client" in result.stdout
