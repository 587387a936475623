"""A full review lifecycle driven through the real ReviewService (no Temporal), on
fixed past dates so deadlines are known: aware Mon 2025-01-06."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from domain.review import COMMANDS, ReportIncident, ReviewState
from qa_engine.reviews import ReviewService
from tests.conftest import actor

AWARE = date(2025, 1, 6)  # Monday: panel notification due Mon 2025-01-13


def report(
    svc: ReviewService, ref: str, *, partnership: str = "GSCP", aware: date = AWARE
) -> ReviewState:
    cmd = ReportIncident.model_validate(
        {
            "actor": actor(),
            "case_ref": ref,
            "partnership": partnership,
            "incident_on": aware - timedelta(days=3),
            "aware_on": aware,
            "child_refs": ["C-10001"],
            "abuse_or_neglect": True,
            "harm": "seriously_harmed",
        }
    )
    return svc.report_incident(cmd, key=f"review-{ref}/report", today=aware)


def step(
    svc: ReviewService,
    ref: str,
    name: str,
    today: date,
    *,
    partnership: str = "GSCP",
    **fields: Any,
) -> ReviewState:
    command = COMMANDS[name].model_validate({"actor": actor(), **fields})
    return svc.record_step(
        partnership, ref, name, command, key=f"review-{ref}/{name}/{today}", today=today
    )


def full_lifecycle(
    svc: ReviewService, ref: str, *, partnership: str = "GSCP", aware: date = AWARE
) -> Iterator[ReviewState]:
    """Every step from report to recommendations, yielding the state after each."""
    d = aware

    def st(name: str, today: date, **fields: Any) -> ReviewState:
        return step(svc, ref, name, today, partnership=partnership, **fields)

    yield report(svc, ref, partnership=partnership, aware=d)
    yield st(
        "record_panel_notification",
        d + timedelta(days=2),
        notified_on=d + timedelta(days=2),
    )
    yield st(
        "record_partners_informed",
        d + timedelta(days=9),
        informed_on=d + timedelta(days=9),
    )
    t = d + timedelta(days=10)
    yield st(
        "record_threshold_decision",
        t,
        met=True,
        decided_on=t,
        rationale="criteria met: serious harm, neglect suspected",
    )
    yield st(
        "request_agency_summaries",
        t,
        requested_on=t,
        requests=[
            {"agency": "POLICE", "due_on": t + timedelta(days=7)},
            {"agency": "ICB", "due_on": t + timedelta(days=7)},
        ],
    )
    yield st(
        "record_agency_summary",
        t + timedelta(days=3),
        agency="POLICE",
        received_on=t + timedelta(days=3),
    )
    yield st(
        "record_agency_summary",
        t + timedelta(days=4),
        agency="ICB",
        received_on=t + timedelta(days=4),
    )
    m = t + timedelta(days=8)
    yield st(
        "record_rapid_review_meeting",
        m,
        held_on=m,
        agencies_present=["LA", "POLICE", "ICB"],
    )
    yield st(
        "record_rapid_review_decision",
        m,
        decision="lcspr",
        decided_on=m,
        rationale="learning about multi-agency information sharing",
    )
    yield st(
        "submit_rapid_review_report",
        m + timedelta(days=1),
        submitted_on=m + timedelta(days=1),
    )
    p = m + timedelta(days=9)
    yield st("record_panel_response", p, response="agrees", received_on=p)
    yield st(
        "appoint_reviewer",
        p + timedelta(days=7),
        reviewer="Dr Sam Reviewer",
        appointed_on=p + timedelta(days=7),
    )
    yield st(
        "agree_terms_of_reference",
        p + timedelta(days=14),
        agreed_on=p + timedelta(days=14),
        lines_of_enquiry=["information sharing between agencies"],
    )
    yield st(
        "record_bodies_informed",
        p + timedelta(days=14),
        informed_on=p + timedelta(days=14),
        bodies=["panel", "ofsted", "dfe"],
    )
    yield st(
        "record_progress_checkpoint",
        p + timedelta(days=40),
        held_on=p + timedelta(days=40),
        status="on_track",
    )
    yield st(
        "pause_clock",
        p + timedelta(days=50),
        paused_on=p + timedelta(days=50),
        reason="inquest",
        detail="awaiting the coroner's inquest",
        panel_told_on=p + timedelta(days=50),
    )
    yield st("resume_clock", p + timedelta(days=64), resumed_on=p + timedelta(days=64))
    f = p + timedelta(days=120)
    yield st("record_final_report", f, completed_on=f)
    yield st("plan_publication", f, planned_on=f + timedelta(days=30))
    yield st(
        "record_report_sent",
        f + timedelta(days=2),
        sent_on=f + timedelta(days=2),
        recipients=["panel", "secretary_of_state"],
    )
    yield step(
        svc, ref, "record_publication", f + timedelta(days=30), published_on=f + timedelta(days=30)
    )
    yield st(
        "record_recommendations",
        f + timedelta(days=31),
        recorded_on=f + timedelta(days=31),
        recommendations=[
            {"owner_agency": "POLICE", "text": "share strategy discussion notes within one day"}
        ],
    )


VIEW_TABLES = {
    "oversight": "SELECT * FROM {oversight} ORDER BY kind, ref",
    "audit_trail": "SELECT * FROM {audit_trail} ORDER BY kind, ref, version",
    "timeliness": "SELECT * FROM {timeliness_clocks} ORDER BY kind, ref, measure",
}


def snapshot(runner: Any) -> dict[str, list[dict[str, Any]]]:
    """Every view row, for comparing an incremental run with a rebuild."""
    out = {}
    with runner.db.read() as cur:
        for name, sql in VIEW_TABLES.items():
            out[name] = [
                {k: v for k, v in row.items() if k != "notification_id"}
                for row in cur.execute(sql).fetchall()
            ]
    return out
