"""A child of concern through half a year of weekly Assistant Director reviews
(one missed) on the time-skipping server; the workflow continues as new to keep
its history bounded and loses nothing."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.child_of_concern import ConcernStage, ConcernState, OpenConcern
from qa_engine.bootstrap import Services
from tests.conftest import actor
from tests.qa_support import new_ref, step, today_of, wait_state
from workflows.child_of_concern import ChildOfConcernWorkflow
from workflows.qa_contracts import StartConcern, concern_workflow_id

WEEKS = 26
MISSED_WEEK = 10


async def test_half_a_year_of_weekly_reviews_with_a_missed_one(
    ts_env: WorkflowEnvironment, qa_worker: tuple[Client, str, Services]
) -> None:
    client, queue, services = qa_worker
    t0 = await today_of(ts_env)
    ref = f"{new_ref('PE')}-S04"
    handle = await client.start_workflow(
        ChildOfConcernWorkflow.run,
        StartConcern(
            open=OpenConcern.model_validate(
                {
                    "actor": actor(),
                    "concern_ref": ref,
                    "audit_ref": ref.rsplit("-S", 1)[0],
                    "sample_no": 4,
                    "partnership": "GSCP",
                    "graded_on": t0,
                }
            ),
            history_limit=60,  # small, so half a year crosses several runs
        ),
        id=concern_workflow_id("GSCP", ref),
        task_queue=queue,
    )
    first_run = handle.result_run_id
    await wait_state(handle, ConcernState)
    latest = client.get_workflow_handle_for(
        ChildOfConcernWorkflow.run, concern_workflow_id("GSCP", ref)
    )
    await step(
        latest, "record_group_manager_review", ConcernState, reviewed_on=t0,
        safety_action_taken=True,
    )  # fmt: skip

    for week in range(1, WEEKS + 1):
        await ts_env.sleep(timedelta(days=7))
        if week == MISSED_WEEK:
            continue  # nobody reviews this week
        today = await today_of(ts_env)
        s = await step(
            latest, "record_assistant_director_review", ConcernState, reviewed_on=today,
            assured=week == WEEKS,
        )  # fmt: skip
        assert s.ad_reviews == week - (1 if week > MISSED_WEEK else 0)
        assert not any(c.late for c in s.clocks.values() if c.key.startswith("ad_review:"))

    final = await latest.result()
    assert final.stage is ConcernStage.ASSURED and final.closed
    assert final.ad_reviews == WEEKS - 1
    assert len(final.missed) == 1
    assert final.missed[0].escalated_to == ["Director of Children's Services"]
    assert final.assured_on == await today_of(ts_env)

    # Continued as new several times, carrying the state over each time.
    runs, run_id, longest = 0, first_run, 0
    while run_id:
        history = await client.get_workflow_handle(
            concern_workflow_id("GSCP", ref), run_id=run_id
        ).fetch_history()
        runs, longest = runs + 1, max(longest, len(history.events))
        last = history.events[-1]
        cont = last.workflow_execution_continued_as_new_event_attributes
        run_id = (
            cont.new_execution_run_id
            if last.HasField("workflow_execution_continued_as_new_event_attributes")
            else ""
        )
    assert runs >= 3, runs
    assert longest < 150, longest  # every run's history stays bounded

    store = services.quality
    events = [e.event for e in store.history("GSCP", "childofconcern", ref)]
    assert events.count("AssistantDirectorReviewed") == WEEKS - 1
    assert events.count("Escalated") == 1
    assert events.count("ReminderSent") >= 1
    assert store.verify("GSCP", "childofconcern", ref).ok
    assert store.state("GSCP", "childofconcern", ref) == final.model_copy(update={})
