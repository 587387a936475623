"""Statutory clocks on the time-skipping server: reminders, breaches, escalation,
pauses, and every branch of the lifecycle, with real activities and store."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from domain.review import ReviewState, Stage
from qa_engine.reviews import ReviewService
from tests.wf_helpers import start_case, step, today_of
from tests.working_days import working_day
from workflows.contracts import BREACHED
from workflows.review import ReviewWorkflow

Worker = tuple[Client, str, ReviewService]


async def to_rapid_review(h: WorkflowHandle[Any, Any], t0: date) -> ReviewState:
    await step(h, "record_panel_notification", notified_on=t0)
    await step(h, "record_partners_informed", informed_on=t0)
    return await step(
        h,
        "record_threshold_decision",
        met=True,
        decided_on=t0,
        rationale="abuse suspected, serious harm",
    )


async def to_lcspr(h: WorkflowHandle[Any, Any], t0: date) -> ReviewState:
    await to_rapid_review(h, t0)
    await step(
        h,
        "request_agency_summaries",
        requested_on=t0,
        requests=[{"agency": "POLICE", "due_on": working_day(t0)}],
    )
    await step(h, "record_agency_summary", agency="POLICE", received_on=t0)
    await step(h, "record_rapid_review_meeting", held_on=t0, agencies_present=["LA", "POLICE"])
    await step(
        h,
        "record_rapid_review_decision",
        decision="lcspr",
        decided_on=t0,
        rationale="systemic learning",
    )
    await step(h, "submit_rapid_review_report", submitted_on=t0)
    return await step(h, "record_panel_response", response="agrees", received_on=t0)


def events(svc: ReviewService, ref: str) -> list[tuple[str, str | None]]:
    return [(e.event, e.data.get("deadline")) for e in svc.history("GSCP", ref)]


async def test_notification_clock_reminds_then_breaches_and_escalates(
    ts_env: WorkflowEnvironment, review_worker: Worker
) -> None:
    client, queue, svc = review_worker
    t0 = await today_of(ts_env)
    ref, h = await start_case(client, queue, t0)
    await ts_env.sleep(timedelta(days=10))
    s = await h.query(ReviewWorkflow.state)
    assert s is not None
    d = s.deadlines["panel_notification"]
    assert d.reminded and d.breached and d.status == "open"
    history = svc.history("GSCP", ref)
    reminder = next(
        e
        for e in history
        if e.event == "DeadlineReminderSent" and e.data["deadline"] == "panel_notification"
    )
    breach = next(
        e
        for e in history
        if e.event == "DeadlineBreached" and e.data["deadline"] == "panel_notification"
    )
    assert reminder.data["sent_to"] == ["local authority"]
    assert breach.data["escalated_to"] == [
        "partnership business manager",
        "lead safeguarding partners",
    ]
    assert breach.recorded_at > reminder.recorded_at
    desc = await h.describe()
    assert desc.typed_search_attributes.get(BREACHED) is True
    # The case carries on after a breach; the late step is recorded as late.
    late = await today_of(ts_env)
    s = await step(h, "record_panel_notification", notified_on=late)
    assert s.deadlines["panel_notification"].late
    assert s.deadlines["panel_notification"].breached
    s = await step(
        h, "record_threshold_decision", met=True, decided_on=late, rationale="criteria met"
    )
    assert s.stage is Stage.RAPID_REVIEW
    # Each alert was recorded exactly once, however often the workflow woke.
    assert events(svc, ref).count(("DeadlineBreached", "panel_notification")) == 1
    assert events(svc, ref).count(("DeadlineReminderSent", "panel_notification")) == 1


async def test_rapid_review_and_agency_summary_breaches(
    ts_env: WorkflowEnvironment, review_worker: Worker
) -> None:
    client, queue, svc = review_worker
    t0 = await today_of(ts_env)
    ref, h = await start_case(client, queue, t0)
    await to_rapid_review(h, t0)
    await step(
        h,
        "request_agency_summaries",
        requested_on=t0,
        requests=[{"agency": "ICB", "due_on": working_day(t0 + timedelta(days=3))}],
    )
    await ts_env.sleep(timedelta(days=28))
    s = await h.query(ReviewWorkflow.state)
    assert s is not None
    assert s.deadlines["agency_summary:ICB"].breached
    assert s.deadlines["rapid_review"].breached
    assert ("DeadlineBreached", "rapid_review") in events(svc, ref)
    now = await today_of(ts_env)
    await step(h, "record_agency_summary", agency="ICB", received_on=now)
    await step(h, "record_rapid_review_meeting", held_on=now, agencies_present=["LA", "ICB"])
    await step(
        h,
        "record_rapid_review_decision",
        decision="no_further_review",
        decided_on=now,
        rationale="learning captured by the rapid review",
    )
    s = await step(h, "submit_rapid_review_report", submitted_on=now)
    assert s.deadlines["rapid_review"].late
    s = await step(h, "record_panel_response", response="agrees", received_on=now)
    assert s.stage is Stage.CLOSED
    final = await h.result()
    assert final.outcome == "no further review; the Panel agreed"


async def test_lcspr_final_report_and_checkpoint_breaches(
    ts_env: WorkflowEnvironment, review_worker: Worker
) -> None:
    client, queue, svc = review_worker
    t0 = await today_of(ts_env)
    ref, h = await start_case(client, queue, t0)
    s = await to_lcspr(h, t0)
    assert s.deadlines["lcspr_checkpoint"].due_on >= t0 + timedelta(weeks=6)
    await ts_env.sleep(timedelta(days=200))
    s = await h.query(ReviewWorkflow.state)
    assert s is not None
    assert s.deadlines["lcspr_checkpoint"].breached
    assert s.deadlines["lcspr_final_report"].breached
    escalation = next(
        e
        for e in svc.history("GSCP", ref)
        if e.event == "DeadlineBreached" and e.data["deadline"] == "lcspr_checkpoint"
    )
    assert escalation.data["escalated_to"] == ["lead safeguarding partners"]


async def test_paused_lcspr_clock_does_not_breach_and_resumes_extended(
    ts_env: WorkflowEnvironment, review_worker: Worker
) -> None:
    client, queue, svc = review_worker
    t0 = await today_of(ts_env)
    ref, h = await start_case(client, queue, t0)
    s = await to_lcspr(h, t0)
    original_due = s.deadlines["lcspr_final_report"].due_on
    await step(
        h,
        "pause_clock",
        paused_on=t0,
        reason="criminal_proceedings",
        detail="trial listed for the spring",
        panel_told_on=t0,
    )
    await ts_env.sleep(timedelta(days=200))
    s = await h.query(ReviewWorkflow.state)
    assert s is not None
    final_report = s.deadlines["lcspr_final_report"]
    assert final_report.paused_on == t0 and not final_report.breached
    assert ("DeadlineBreached", "lcspr_final_report") not in events(svc, ref)
    resumed_on = await today_of(ts_env)
    s = await step(h, "resume_clock", resumed_on=resumed_on, note="verdict delivered")
    assert s.deadlines["lcspr_final_report"].due_on == original_due + (resumed_on - t0)
    pause = next(e for e in svc.history("GSCP", ref) if e.event == "ClockPaused")
    assert pause.data["reason"] == "criminal_proceedings"
    assert pause.actor["role"] == "partnership business manager"


async def test_publication_notice_breach_when_the_report_is_not_sent(
    ts_env: WorkflowEnvironment, review_worker: Worker
) -> None:
    client, queue, _ = review_worker
    t0 = await today_of(ts_env)
    _, h = await start_case(client, queue, t0)
    await to_lcspr(h, t0)
    await step(h, "appoint_reviewer", reviewer="Independent reviewer", appointed_on=t0)
    await step(h, "agree_terms_of_reference", agreed_on=t0, lines_of_enquiry=["early help"])
    await step(h, "record_final_report", completed_on=t0)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await step(h, "plan_publication", planned_on=t0 + timedelta(days=3))
    assert "7 working days" in str(err.value.cause)
    s = await step(h, "plan_publication", planned_on=t0 + timedelta(days=21))
    notice = s.deadlines["publication_notice"]
    await ts_env.sleep(timedelta(days=18))
    s = await h.query(ReviewWorkflow.state)
    assert s is not None and s.deadlines["publication_notice"].breached
    now = await today_of(ts_env)
    s = await step(h, "record_report_sent", sent_on=now, recipients=["panel", "secretary_of_state"])
    assert s.deadlines["publication_notice"].late and now > notice.due_on
    await step(
        h,
        "record_decision_not_to_publish",
        decided_on=now,
        reasons="publication would identify the sibling",
        improvements_published=True,
    )
    await step(
        h,
        "record_recommendations",
        recorded_on=now,
        recommendations=[{"owner_agency": "ICB", "text": "Train GPs on neglect"}],
    )
    final = await h.result()
    assert final.outcome == "not published; reasons recorded"


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("case_based_review", "threshold not met: non-statutory multi-agency case-based review"),
        ("close", "threshold not met: closed with reasons"),
    ],
)
async def test_threshold_not_met_closes_the_case(
    ts_env: WorkflowEnvironment, review_worker: Worker, outcome: str, expected: str
) -> None:
    client, queue, _ = review_worker
    t0 = await today_of(ts_env)
    _, h = await start_case(client, queue, t0)
    s = await step(
        h,
        "record_threshold_decision",
        met=False,
        decided_on=t0,
        rationale="harm not attributable to abuse or neglect",
        outcome_if_not_met=outcome,
    )
    assert s.stage is Stage.CLOSED and s.outcome == expected
    # Nothing closes silently: the statutory clock shows why it was not met.
    informed = s.deadlines["partners_informed"]
    assert informed.status == "not_met" and informed.not_met_because == f"case closed: {expected}"
    notify = s.deadlines["panel_notification"]
    assert notify.status == "not_required"
    assert notify.not_met_because == "the SIN discussion found the criteria not met"
    final = await h.result()
    assert final.outcome == expected
    # (The closed case's search attributes are checked on the dev server: the
    # time-skipping server cannot describe a workflow with an unset datetime attribute.)


async def test_looked_after_child_death_goes_to_the_secretary_of_state_and_ofsted(
    ts_env: WorkflowEnvironment, review_worker: Worker
) -> None:
    client, queue, svc = review_worker
    t0 = await today_of(ts_env)
    ref, h = await start_case(
        client, queue, t0, abuse_or_neglect=False, looked_after=True, harm="died"
    )
    s = await h.query(ReviewWorkflow.state)
    assert s is not None and s.stage is Stage.LAC_DEATH_NOTIFICATION
    assert set(s.deadlines) == {"sos_ofsted_notification"}
    with pytest.raises(WorkflowUpdateFailedError):
        await step(h, "record_threshold_decision", met=True, decided_on=t0, rationale="n/a here")
    await step(h, "record_sos_ofsted_notification", notified_on=t0)
    final = await h.result()
    assert final.stage is Stage.CLOSED
    assert "Secretary of State and Ofsted" in (final.outcome or "")
    assert "RapidReview" not in " ".join(e.event for e in svc.history("GSCP", ref))


async def test_a_challenged_decision_is_revised_and_resubmitted(
    ts_env: WorkflowEnvironment, review_worker: Worker
) -> None:
    client, queue, svc = review_worker
    t0 = await today_of(ts_env)
    ref, h = await start_case(client, queue, t0)
    await to_rapid_review(h, t0)
    await step(
        h,
        "request_agency_summaries",
        requested_on=t0,
        requests=[{"agency": "POLICE", "due_on": working_day(t0)}],
    )
    await step(h, "record_rapid_review_meeting", held_on=t0, agencies_present=["LA", "POLICE"])
    await step(
        h,
        "record_rapid_review_decision",
        decision="no_further_review",
        decided_on=t0,
        rationale="single-agency learning only",
    )
    await step(h, "submit_rapid_review_report", submitted_on=t0)
    s = await step(
        h,
        "record_panel_response",
        response="challenges",
        received_on=t0,
        notes="Panel sees multi-agency learning; consider an LCSPR",
    )
    # Issue 8: the decision and its date stand until the partners reply.
    assert s.stage is Stage.AWAITING_PANEL_RESPONSE and s.challenged and s.challenges == 1
    s = await step(
        h,
        "record_challenge_reply",
        replied_on=t0,
        reply="change",
        decision="lcspr",
        rationale="revised after the Panel's challenge",
    )
    assert s.deadlines["lcspr_final_report"].clock_start == t0
    await step(h, "submit_rapid_review_report", submitted_on=t0)
    s = await step(h, "record_panel_response", response="agrees", received_on=t0)
    assert s.stage is Stage.LCSPR
    replies = [
        (e.data["reply"], e.data["decision"])
        for e in svc.history("GSCP", ref)
        if e.event == "ChallengeReplied"
    ]
    assert replies == [("change", "lcspr")]


async def test_rejected_updates_record_nothing(
    ts_env: WorkflowEnvironment, review_worker: Worker
) -> None:
    client, queue, svc = review_worker
    t0 = await today_of(ts_env)
    ref, h = await start_case(client, queue, t0)
    before = len(svc.history("GSCP", ref))
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await step(h, "record_final_report", completed_on=t0)
    cause = err.value.cause
    assert "only possible at stage lcspr" in str(cause)
    assert getattr(cause, "type", None) == "OutOfOrder"
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await step(h, "record_panel_notification", notified_on=t0 + timedelta(days=3))
    assert "in the future" in str(err.value.cause)
    assert getattr(err.value.cause, "details", ())[0] == {
        "field": "notified_on",
        "rule": "no_future_dates",
    }
    assert len(svc.history("GSCP", ref)) == before
    # Rejected by the validator: not even an activity was scheduled.
    history = await h.fetch_history()
    scheduled = [
        e for e in history.events if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert len(scheduled) == 1  # only the report
    s = await step(h, "record_panel_notification", notified_on=t0)
    assert s.notified_on == t0


class FlakyReviews(ReviewService):
    """Records the step, then 'crashes' before answering: the first attempt per key."""

    failed: set[str] = set()

    def record_step(
        self, partnership: str, case_ref: str, step: str, command: Any, *, key: str, today: date
    ) -> ReviewState:
        state = super().record_step(partnership, case_ref, step, command, key=key, today=today)
        if key not in self.failed:
            self.failed.add(key)
            raise ConnectionError("worker lost its connection after the save")
        return state


async def test_a_retried_activity_appends_nothing_twice(
    ts_env: WorkflowEnvironment, tmp_path: Any, executor: Any
) -> None:
    import uuid

    from qa_engine.bootstrap import bootstrap
    from qa_engine.calendar import england_and_wales
    from qa_engine.store import store_env
    from tests.conftest import sqlite_settings
    from workers.main import build_worker

    settings = sqlite_settings(tmp_path)
    services = bootstrap(settings)
    flaky = FlakyReviews(
        store_env(settings),
        calendar=england_and_wales(),
        access=services.access,
        partnerships=services.partnerships,
    )
    services.reviews.close()
    services.reviews = flaky
    queue = f"q-{uuid.uuid4().hex[:8]}"
    worker = build_worker(ts_env.client, task_queue=queue, services=services, executor=executor)
    async with worker:
        t0 = await today_of(ts_env)
        ref, h = await start_case(ts_env.client, queue, t0)
        s = await step(h, "record_panel_notification", notified_on=t0)
        assert s.notified_on == t0
        history = await h.fetch_history()
        attempts = [
            e.activity_task_started_event_attributes.attempt
            for e in history.events
            if e.HasField("activity_task_started_event_attributes")
        ]
        assert max(attempts) == 2
    assert [e.event for e in flaky.history("GSCP", ref)] == ["IncidentReported", "PanelNotified"]
    services.close()
