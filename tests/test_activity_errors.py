"""An activity error that is not a domain rule (a bug: ``TypeError``, a pydantic
``ValidationError``) on the real time-skipping server with real activities: the
step fails with a clear error within bounded time, never retried for ever under
the workflow's lock, and the case still takes its next step (issue 7)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.errors import RuleViolation
from qa_engine.reviews import ReviewService
from tests.wf_helpers import start_case, step, today_of


async def test_a_programming_error_in_an_activity_fails_the_step_and_frees_the_case(
    ts_env: WorkflowEnvironment,
    review_worker: tuple[Client, str, ReviewService],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, queue, svc = review_worker
    t0 = await today_of(ts_env)
    ref, h = await start_case(
        client, queue, t0, incident_on=t0 - timedelta(days=3), aware_on=t0 - timedelta(days=2)
    )
    calls: list[str] = []
    record_step = svc.record_step

    def broken(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[2])
        raise TypeError("a bug in the service, not a rule")

    monkeypatch.setattr(svc, "record_step", broken)
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await asyncio.wait_for(
            step(h, "record_panel_notification", notified_on=t0 - timedelta(days=1)), 20
        )
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and "TypeError" in (cause.type or "") + str(cause)
    assert 1 <= len(calls) <= 10, f"retried {len(calls)} times"
    assert [e.event for e in svc.history("GSCP", ref)] == ["IncidentReported"]

    # The bug fixed (a new worker release), the case takes the step: nothing wedged.
    monkeypatch.setattr(svc, "record_step", record_step)
    state = await asyncio.wait_for(step(h, "record_panel_notification", notified_on=t0), 20)
    assert state.notified_on == t0
    assert [e.event for e in svc.history("GSCP", ref)] == ["IncidentReported", "PanelNotified"]


async def test_a_refusal_by_a_rule_in_an_activity_is_one_log_line_not_a_traceback(
    ts_env: WorkflowEnvironment,
    review_worker: tuple[Client, str, ReviewService],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 8: a rule's refusal met inside an activity (another step landed first) is
    logged once as ``rejected`` with its rule; the SDK adds no warning with a traceback."""
    client, queue, svc = review_worker
    t0 = await today_of(ts_env)
    ref, h = await start_case(
        client, queue, t0, incident_on=t0 - timedelta(days=3), aware_on=t0 - timedelta(days=2)
    )

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise RuleViolation("recorded by someone else meanwhile", rule="once_only")

    monkeypatch.setattr(svc, "record_step", refused)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await asyncio.wait_for(
            step(h, "record_panel_notification", notified_on=t0 - timedelta(days=1)), 20
        )
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "RuleViolation"
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [r for r in loud if r.exc_info], [r.getMessage() for r in loud]
    assert [e.event for e in svc.history("GSCP", ref)] == ["IncidentReported"]
