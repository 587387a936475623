"""Committed workflow histories must replay against today's workflow code.

A failure here means a change is not deterministic for running workflows: gate
it with ``workflow.patched`` (or re-record on purpose: tests/histories/record.py
for the review, tests/histories/record_qa.py for audit, action plan and child
of concern).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from qa_engine.entry.codec import data_converter
from workers.main import WORKFLOWS, sandbox_runner

HERE = Path(__file__).parent / "histories"
HISTORIES = sorted(HERE.glob("*.json"))

#: each branch of the lifecycles -> (history, activities it must have run at least this often)
BRANCHES: dict[str, tuple[str, dict[str, int]]] = {
    "threshold not met": (
        "review_threshold_not_met",
        {"record_threshold_decision": 1},
    ),
    "SIN discussion first; withdrawn after notification (issue 8)": (
        "review_sin_first_withdrawn",
        {"record_threshold_decision": 1, "record_delay": 1, "record_withdrawal": 1},
    ),
    "Panel challenge, decision maintained, LCSPR started before the answer (issue 8)": (
        "review_challenge_maintained",
        {"record_challenge_reply": 1, "appoint_reviewer": 1, "record_panel_response": 2},
    ),
    "looked-after child death": ("review_lac_death", {"record_sos_ofsted_notification": 1}),
    "Panel challenges the decision": (
        "review_challenged_decision",
        {"record_rapid_review_decision": 2, "submit_rapid_review_report": 2},
    ),
    "LCSPR clock paused and resumed": ("review_full_path", {"pause_clock": 1, "resume_clock": 1}),
    "breach and escalation": (
        "review_full_path",
        {"record_deadline_reminder": 1, "record_deadline_breach": 1},
    ),
    "audit return overdue, escalated": (
        "audit_full_path",
        {"record_qa_reminder": 1, "record_qa_escalation": 1},
    ),
    "action overdue, escalated; impact improved": (
        "actionplan_reminders_impact",
        {"record_qa_escalation": 1, "record_impact_check": 1},
    ),
    "impact not improved: new actions": (
        "actionplan_impact_not_improved",
        {"record_impact_check": 2},
    ),
    "child of concern continued as new": ("childofconcern_run1_continued", {}),
    "review on the clocked base, continued as new": (
        "review_run1_continued",
        {"record_threshold_decision": 1},
    ),
    "child of concern missed review, assured": ("childofconcern_run2", {"record_qa_escalation": 1}),
}


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_committed_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=data_converter(None),  # what every worker decodes with
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


def _activities(stem: str) -> Counter[str]:
    history = WorkflowHistory.from_json(stem, (HERE / f"{stem}.json").read_text())
    return Counter(
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    )


@pytest.mark.parametrize("branch", sorted(BRANCHES))
def test_every_branch_has_a_committed_history(branch: str) -> None:
    """Each branch a running workflow may be on is replayed above from a committed history."""
    stem, needs = BRANCHES[branch]
    assert (HERE / f"{stem}.json") in HISTORIES, f"{branch}: {stem}.json is missing"
    ran = _activities(stem)
    missing = {a: f"ran {ran[a]}, needs {n}" for a, n in needs.items() if ran[a] < n}
    assert not missing, f"{branch}: {stem}.json does not take the branch: {missing}"
