"""Records open with update-with-start (issue 7): one call starts the workflow and
records the opening, no polling; a refused opening leaves no failed workflow
behind and the reference can be opened again with corrected input; a second
opening of a running record is refused as a duplicate. Real time-skipping server,
real activities, real SQLite store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from domain.errors import CaseAlreadyExists, CaseNotFound, RuleViolation
from domain.review import ReportIncident
from qa_engine.entry.review_client import ReviewClient
from qa_engine.reviews import ReviewService
from tests.conftest import actor
from tests.wf_helpers import new_ref, today_of
from workflows.contracts import review_workflow_id


def _report(ref: str, **fields: object) -> ReportIncident:
    return ReportIncident.model_validate(
        {
            "actor": actor(),
            "case_ref": ref,
            "partnership": "GSCP",
            "child_refs": ["C-20001"],
            "abuse_or_neglect": True,
            "harm": "seriously_harmed",
            **fields,
        }
    )


async def test_opening_is_one_call_and_a_refusal_leaves_no_failed_workflow(
    ts_env: WorkflowEnvironment, review_worker: tuple[Client, str, ReviewService]
) -> None:
    client, queue, svc = review_worker
    reviews = ReviewClient(client, queue)
    t0 = await today_of(ts_env)
    ref = new_ref()
    wf_id = review_workflow_id("GSCP", ref)

    # Refused by a rule in the service (became aware tomorrow): nothing recorded.
    with pytest.raises(RuleViolation) as refused:
        await reviews.report(
            _report(ref, incident_on=t0 - timedelta(days=1), aware_on=t0 + timedelta(days=1))
        )
    assert refused.value.field == "aware_on" and refused.value.rule == "no_future_dates"
    with pytest.raises(CaseNotFound):
        svc.history("GSCP", ref)
    first = await client.get_workflow_handle(wf_id).describe()
    assert first.status == WorkflowExecutionStatus.COMPLETED  # not FAILED
    history = await client.get_workflow_handle(wf_id).fetch_history()
    assert not any(
        e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED for e in history.events
    )

    # Corrected, the same reference opens: the state comes back from the one call.
    state = await reviews.report(
        _report(ref, incident_on=t0 - timedelta(days=2), aware_on=t0 - timedelta(days=1))
    )
    assert state.case_ref == ref and state.version == 1
    assert [e.event for e in svc.history("GSCP", ref)] == ["IncidentReported"]
    running = await client.get_workflow_handle(wf_id).describe()
    assert running.status == WorkflowExecutionStatus.RUNNING and running.run_id != first.run_id

    # Opening it again while it runs is a duplicate; nothing more is recorded.
    with pytest.raises(CaseAlreadyExists):
        await reviews.report(
            _report(ref, incident_on=t0 - timedelta(days=2), aware_on=t0 - timedelta(days=1))
        )
    assert [e.event for e in svc.history("GSCP", ref)] == ["IncidentReported"]
    assert (await client.get_workflow_handle(wf_id).describe()).run_id == running.run_id
