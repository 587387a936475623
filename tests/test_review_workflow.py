"""The review workflow on the real time-skipping server, with real activities
over a real SQLite event store."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.review import Stage
from qa_engine.reviews import ReviewService
from tests.wf_helpers import start_case, step, today_of
from tests.working_days import working_day


async def test_full_path_to_publication(
    ts_env: WorkflowEnvironment, review_worker: tuple[Client, str, ReviewService]
) -> None:
    client, queue, svc = review_worker
    t0 = await today_of(ts_env)
    ref, h = await start_case(client, queue, t0)
    s = await step(h, "record_panel_notification", notified_on=t0)
    assert s.deadlines["panel_notification"].status == "met"
    await step(h, "record_partners_informed", informed_on=t0)
    s = await step(
        h,
        "record_threshold_decision",
        met=True,
        decided_on=t0,
        rationale="abuse suspected and serious harm",
    )
    assert s.stage is Stage.RAPID_REVIEW
    assert s.deadlines["rapid_review"].rule == "15 working days"
    await step(
        h,
        "request_agency_summaries",
        requested_on=t0,
        requests=[
            {"agency": "POLICE", "due_on": working_day(t0 + timedelta(days=5))},
            {"agency": "ICB", "due_on": working_day(t0 + timedelta(days=6))},
        ],
    )
    await step(h, "record_agency_summary", agency="POLICE", received_on=t0)
    await step(h, "record_agency_summary", agency="ICB", received_on=t0)
    await step(
        h, "record_rapid_review_meeting", held_on=t0, agencies_present=["LA", "POLICE", "ICB"]
    )
    await step(
        h,
        "record_rapid_review_decision",
        decision="lcspr",
        decided_on=t0,
        rationale="learning about multi-agency working",
    )
    s = await step(h, "submit_rapid_review_report", submitted_on=t0)
    assert s.stage is Stage.AWAITING_PANEL_RESPONSE
    s = await step(h, "record_panel_response", response="agrees", received_on=t0)
    assert s.stage is Stage.LCSPR
    assert s.deadlines["lcspr_final_report"].rule == "6 calendar months"
    await step(h, "appoint_reviewer", reviewer="Independent Reviewer Ltd", appointed_on=t0)
    await step(
        h, "agree_terms_of_reference", agreed_on=t0, lines_of_enquiry=["information sharing"]
    )
    await step(h, "record_bodies_informed", informed_on=t0, bodies=["panel", "ofsted", "dfe"])
    await step(h, "record_progress_checkpoint", held_on=t0, status="on_track")
    s = await step(h, "record_final_report", completed_on=t0)
    assert s.stage is Stage.PUBLICATION
    planned = t0 + timedelta(days=30)
    s = await step(h, "plan_publication", planned_on=planned)
    assert s.deadlines["publication_notice"].rule == "7 working days before"
    s = await step(h, "record_report_sent", sent_on=t0, recipients=["panel", "secretary_of_state"])
    assert s.deadlines["publication_notice"].status == "met"
    assert not s.deadlines["publication_notice"].late
    await ts_env.sleep(timedelta(days=31))
    published_on = await today_of(ts_env)
    await step(h, "record_publication", published_on=published_on)
    s = await step(
        h,
        "record_recommendations",
        recorded_on=published_on,
        recommendations=[
            {"text": "Review the strategy discussion threshold", "owner_agency": "LA"},
        ],
    )
    assert s.stage is Stage.CLOSED
    final = await h.result()
    assert final.stage is Stage.CLOSED and final.outcome == "published"
    assert not final.breached
    history = svc.history("GSCP", ref)
    assert [e.event for e in history][:3] == [
        "IncidentReported",
        "PanelNotified",
        "PartnersInformed",
    ]
    assert svc.verify("GSCP", ref).ok
