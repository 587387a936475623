"""Issue 8: a case entered after the event, on the time-skipping server with the real
store. Facts entered with past dates come first; the clocks are then judged against
them: nothing reminds or breaches for a deadline the facts show was met, and a
breach that did happen is recorded once, dated when it happened."""

from __future__ import annotations

from datetime import date, timedelta

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.calendar import end_of_day
from domain.review import settle_backdated
from domain.review.state import make_deadline
from domain.rules import LocalVariations, rule_set
from qa_engine.calendar import england_and_wales
from qa_engine.reviews import ReviewService
from tests.wf_helpers import start_case, step, today_of
from workflows.review import ReviewWorkflow

Worker = tuple[Client, str, ReviewService]
CAL = england_and_wales()


def test_a_clock_opened_after_its_day_is_judged_from_the_end_of_the_recording_day() -> None:
    today = date(2025, 6, 2)
    old = make_deadline(
        rules=rule_set("wt2023"),
        key="panel_notification",
        start=date(2025, 4, 1),
        calendar=CAL,
        variations=LocalVariations(),
    )
    live = make_deadline(
        rules=rule_set("wt2023"),
        key="panel_notification",
        start=today,
        calendar=CAL,
        variations=LocalVariations(),
    )
    settle_backdated([old, live], today)
    assert old.judge_from == end_of_day(today) and live.judge_from is None
    timer = old.next_timer(end_of_day(today) - timedelta(hours=12))
    assert timer is not None and (timer.kind, timer.at) == ("breach", end_of_day(today))
    live_timer = live.next_timer(end_of_day(today))
    assert live_timer is not None and live_timer.at == live.remind_at


async def test_a_case_entered_after_the_event_reads_true(
    ts_env: WorkflowEnvironment, review_worker: Worker
) -> None:
    client, queue, svc = review_worker
    t0 = await today_of(ts_env)
    aware = CAL.subtract_working_days(t0, 40)
    ref, h = await start_case(
        client, queue, t0, incident_on=aware - timedelta(days=1), aware_on=aware
    )
    # entered in one sitting: the SIN discussion, the notification on time, the
    # partners told late
    await step(
        h,
        "record_threshold_decision",
        met=True,
        decided_on=aware,
        rationale="serious harm, neglect suspected",
        decided_by=["LA lead", "ICB lead", "Police lead"],
    )
    notified = CAL.add_working_days(aware, 2)
    await step(h, "record_panel_notification", notified_on=notified)
    informed = CAL.add_working_days(aware, 8)
    s = await step(h, "record_partners_informed", informed_on=informed)
    rapid = s.deadlines["rapid_review"]
    assert rapid.due_on < t0 and rapid.judge_from is not None
    await ts_env.sleep(timedelta(days=3))
    state = await h.query(ReviewWorkflow.state)
    assert state is not None
    clocks = [
        (e.event, e.data["deadline"])
        for e in svc.history("GSCP", ref)
        if e.event in ("DeadlineReminderSent", "DeadlineBreached")
    ]
    # nothing for the clocks the facts show were met (on time or late); the unmet
    # rapid review breached once, dated at its due instant
    assert clocks == [("DeadlineBreached", "rapid_review")]
    (breach,) = [e for e in svc.history("GSCP", ref) if e.event == "DeadlineBreached"]
    assert breach.data["breached_at"] == rapid.due_at
    assert state.deadlines["panel_notification"].status == "met"
    assert not state.deadlines["panel_notification"].late
    assert state.deadlines["partners_informed"].late
    assert not state.deadlines["partners_informed"].breached
    assert state.deadlines["rapid_review"].breached
