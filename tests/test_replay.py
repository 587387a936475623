"""Committed workflow histories must replay against today's workflow code.

A failure here means a change is not deterministic for running workflows: gate
it with ``workflow.patched`` (or re-record on purpose: tests/histories/record.py
for the review, tests/histories/record_qa.py for audit, action plan and child
of concern).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workers.main import WORKFLOWS, sandbox_runner

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_committed_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=pydantic_data_converter,
        workflow_runner=sandbox_runner(),
    )
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None


def test_every_workflow_has_a_committed_history() -> None:
    """Each workflow class the worker runs is covered, and a continued-as-new run too."""
    covered = {
        WorkflowHistory.from_json(p.stem, p.read_text())
        .events[0]
        .workflow_execution_started_event_attributes.workflow_type.name
        for p in HISTORIES
    }
    assert covered >= {w.__name__ for w in WORKFLOWS}  # each is registered under its class name
    continued = [
        p.stem
        for p in HISTORIES
        if WorkflowHistory.from_json(p.stem, p.read_text())
        .events[-1]
        .HasField("workflow_execution_continued_as_new_event_attributes")
    ]
    assert "childofconcern_run1_continued" in continued
