"""Demo cases at different stages, so a newcomer sees something in the Temporal UI.

All references are invented and pseudonymous. Seeding is idempotent: a case that
already exists is left alone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from domain.calendar import LONDON
from domain.errors import CaseAlreadyExists
from domain.review_model import COMMANDS, ReportIncident
from qa_engine.review_client import ReviewClient

__all__ = ["seed_demo"]

DEMO_ACTOR = {"name": "Demo Business Manager", "role": "partnership business manager"}


def _report(ref: str, aware: date, **extra: Any) -> ReportIncident:
    return ReportIncident.model_validate(
        {
            "actor": DEMO_ACTOR,
            "case_ref": ref,
            "partnership": "DEMO",
            "incident_on": aware - timedelta(days=1),
            "aware_on": aware,
            "child_refs": [f"C-{ref[-3:]}01"],
            "abuse_or_neglect": True,
            "harm": "seriously_harmed",
            **extra,
        }
    )


async def _steps(client: ReviewClient, ref: str, steps: list[tuple[str, dict[str, Any]]]) -> None:
    for step, fields in steps:
        await client.record(
            ref, step, COMMANDS[step].model_validate({"actor": DEMO_ACTOR, **fields})
        )


async def seed_demo(client: ReviewClient, today: date | None = None) -> list[str]:
    """Create the demo cases; return the references created now."""
    t = today or datetime.now(LONDON).date()
    d = timedelta
    plans: list[tuple[ReportIncident, list[tuple[str, dict[str, Any]]]]] = [
        # Just reported: the Panel notification clock is running.
        (_report("DEMO-001", t), []),
        # Nobody notified the Panel: the 5-working-day clock has been breached.
        (_report("DEMO-002", t - d(days=12)), []),
        # In rapid review, waiting for the ICB summary.
        (
            _report("DEMO-003", t - d(days=6)),
            [
                ("record_panel_notification", {"notified_on": t - d(days=5)}),
                ("record_partners_informed", {"informed_on": t - d(days=5)}),
                (
                    "record_threshold_decision",
                    {
                        "met": True,
                        "decided_on": t - d(days=4),
                        "rationale": "Neglect suspected; serious harm.",
                    },
                ),
                (
                    "request_agency_summaries",
                    {
                        "requested_on": t - d(days=4),
                        "requests": [
                            {"agency": "POLICE", "due_on": t + d(days=3)},
                            {"agency": "ICB", "due_on": t + d(days=4)},
                        ],
                    },
                ),
                ("record_agency_summary", {"agency": "POLICE", "received_on": t - d(days=1)}),
            ],
        ),
        # An LCSPR paused for criminal proceedings.
        (
            _report("DEMO-004", t - d(days=70)),
            [
                ("record_panel_notification", {"notified_on": t - d(days=69)}),
                ("record_partners_informed", {"informed_on": t - d(days=69)}),
                (
                    "record_threshold_decision",
                    {
                        "met": True,
                        "decided_on": t - d(days=68),
                        "rationale": "Abuse known; the child died.",
                    },
                ),
                (
                    "request_agency_summaries",
                    {
                        "requested_on": t - d(days=68),
                        "requests": [{"agency": "POLICE", "due_on": t - d(days=62)}],
                    },
                ),
                ("record_agency_summary", {"agency": "POLICE", "received_on": t - d(days=63)}),
                (
                    "record_rapid_review_meeting",
                    {"held_on": t - d(days=58), "agencies_present": ["LA", "POLICE", "ICB"]},
                ),
                (
                    "record_rapid_review_decision",
                    {
                        "decision": "lcspr",
                        "decided_on": t - d(days=58),
                        "rationale": "Learning on multi-agency working.",
                    },
                ),
                ("submit_rapid_review_report", {"submitted_on": t - d(days=56)}),
                ("record_panel_response", {"response": "agrees", "received_on": t - d(days=45)}),
                (
                    "appoint_reviewer",
                    {"reviewer": "Independent reviewer", "appointed_on": t - d(days=40)},
                ),
                (
                    "agree_terms_of_reference",
                    {
                        "agreed_on": t - d(days=35),
                        "lines_of_enquiry": ["Information sharing at referral"],
                    },
                ),
                (
                    "record_bodies_informed",
                    {"informed_on": t - d(days=35), "bodies": ["panel", "ofsted", "dfe"]},
                ),
                ("record_progress_checkpoint", {"held_on": t - d(days=14), "status": "on_track"}),
                (
                    "pause_clock",
                    {
                        "paused_on": t - d(days=7),
                        "reason": "criminal_proceedings",
                        "detail": "Trial listed; reviewer may not interview witnesses.",
                    },
                ),
            ],
        ),
    ]
    created = []
    for report, steps in plans:
        try:
            await client.report(report)
        except CaseAlreadyExists:
            continue
        await _steps(client, report.case_ref, steps)
        created.append(report.case_ref)
    return created
