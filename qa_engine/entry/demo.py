"""Demo cases at different stages, so a newcomer sees something in the Temporal UI.

All references are invented and pseudonymous. Seeding is idempotent: a case that
already exists is left alone.

``seed_quality_demo`` adds lifecycle 2: an audit waiting on agency returns (one
overdue), and a practice evaluation already through to its action plan (an action
due soon) with a child of concern for the case it graded Inadequate.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

from domain.audit import AUDIT_COMMANDS, PlanAudit
from domain.calendar import LONDON, WorkingDayCalendar
from domain.errors import CaseAlreadyExists, CaseNotFound
from domain.partnership import SetContacts, contact_key
from domain.qa import next_working_day
from domain.review import COMMANDS, ReportIncident
from qa_engine.audits import QualityService
from qa_engine.calendar import england_and_wales
from qa_engine.entry.qa_client import QaClient
from qa_engine.entry.review_client import ReviewClient
from qa_engine.partnerships import PartnershipService
from workflows.qa_contracts import audit_workflow_id

__all__ = ["DEMO_CONTACTS", "QA_DEMO", "seed_demo", "seed_demo_contacts", "seed_quality_demo"]

DEMO_ACTOR = {"name": "Demo Business Manager", "role": "partnership business manager"}
#: the partnership the demo seeds (and ``QA_PARTNERSHIP``'s default)
DEMO_PARTNERSHIP = "DEMO"

#: who ``qa-engine dev`` tells: (agency or None, role, address), recorded as the DEMO
#: partnership's contacts (invented addresses; dev's mail goes to its local sink only)
DEMO_CONTACTS: tuple[tuple[str | None, str, str], ...] = (
    (None, "partnership business manager", "business.manager@demo.example"),
    (None, "rapid review chair", "rapid.review.chair@demo.example"),
    (None, "lead safeguarding partners", "safeguarding.partners@demo.example"),
    (None, "local authority", "la.front.door@demo.example"),
    (None, "audit lead", "audit.lead@demo.example"),
    (None, "subgroup chair", "subgroup.chair@demo.example"),
    *(
        (agency, "agency safeguarding lead", f"{agency.lower()}.lead@demo.example")
        for agency in ("LA", "POLICE", "ICB")
    ),
)


def seed_demo_contacts(partnerships: PartnershipService) -> int:
    """Record the demo partnership's contacts (decisions by the demo business manager);
    those already recorded are left alone. Returns how many were recorded now."""
    held = partnerships.contacts(DEMO_PARTNERSHIP)
    recorded = 0
    for agency, role, address in DEMO_CONTACTS:
        if held.get(contact_key(role, agency)) is not None:
            continue  # decided already (perhaps changed since): not the demo's to redo
        command = SetContacts(
            role=role,
            agency=agency,
            addresses=[address],
            reason="demo contacts (invented addresses)",
        )
        partnerships.set_contacts(DEMO_PARTNERSHIP, command, actor=DEMO_ACTOR)
        recorded += 1
    return recorded


def _report(ref: str, aware: date, **extra: Any) -> ReportIncident:
    return ReportIncident.model_validate(
        {
            "actor": DEMO_ACTOR,
            "case_ref": ref,
            "partnership": DEMO_PARTNERSHIP,
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
        command = COMMANDS[step].model_validate({"actor": DEMO_ACTOR, **fields})
        await client.record(DEMO_PARTNERSHIP, ref, step, command)


async def seed_demo(
    client: ReviewClient, today: date | None = None, calendar: WorkingDayCalendar | None = None
) -> list[str]:
    """Create the demo cases; return the references created now."""
    t = today or datetime.now(LONDON).date()
    d = timedelta
    cal = calendar or england_and_wales()

    def w(day: date) -> date:  # agreed due days are working days
        return next_working_day(cal, day)

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
                            {"agency": "POLICE", "due_on": w(t + d(days=3))},
                            {"agency": "ICB", "due_on": w(t + d(days=4))},
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
                        "requests": [{"agency": "POLICE", "due_on": w(t - d(days=62))}],
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
                        "panel_told_on": t - d(days=7),
                    },
                ),
            ],
        ),
    ]

    async def seed(report: ReportIncident, steps: list[tuple[str, dict[str, Any]]]) -> str | None:
        try:
            await client.report(report)
        except CaseAlreadyExists:
            return None
        await _steps(client, report.case_ref, steps)
        return report.case_ref

    # Cases are independent: seeded side by side (each case's steps in order).
    done = await asyncio.gather(*(seed(report, steps) for report, steps in plans))
    return [ref for ref in done if ref is not None]


# ------------------------------------------------------------ lifecycle 2

#: the lifecycle-2 demo records: (CLI kind, ref) -> what it shows
QA_DEMO: dict[tuple[str, str], str] = {
    ("audit", "DEMO-A01"): "agency returns requested, one overdue and escalated",
    ("audit", "DEMO-A02"): "practice evaluation graded, reported, action plan raised",
    ("actionplan", "DEMO-A02-AP"): "an action due soon",
    ("concern", "DEMO-A02-S02"): "child of concern: Group Manager review due",
}


def _plan(ref: str, t: date, kind: str, theme: str, agencies: list[str]) -> PlanAudit:
    return PlanAudit.model_validate(
        {
            "actor": DEMO_ACTOR,
            "audit_ref": ref,
            "partnership": DEMO_PARTNERSHIP,
            "kind": kind,
            "theme": theme,
            "period_start": t - timedelta(days=120),
            "period_end": t - timedelta(days=30),
            "sample_size": 3,
            "lead": "Head of Quality Assurance",
            "agencies": agencies,
        }
    )


def _audit_step(step: str, **fields: Any) -> Any:
    return AUDIT_COMMANDS[step].model_validate({"actor": DEMO_ACTOR, **fields})


async def seed_quality_demo(
    client: QaClient,
    quality: QualityService,
    calendar: WorkingDayCalendar,
    today: date | None = None,
) -> list[str]:
    """Create the lifecycle-2 demo records; return the references created now."""
    t = today or datetime.now(LONDON).date()
    overdue, evaluated = await asyncio.gather(
        _returns_overdue(client, quality, calendar, t),
        _evaluation_to_action_plan(client, calendar, t),
    )
    return (["DEMO-A01"] if overdue else []) + (
        ["DEMO-A02", "DEMO-A02-AP", "DEMO-A02-S02"] if evaluated else []
    )


async def _returns_overdue(
    client: QaClient, quality: QualityService, calendar: WorkingDayCalendar, t: date
) -> bool:
    """DEMO-A01, planned four weeks ago: POLICE returned, LA overdue, ICB due next week.

    An audit opens on the day it is planned, so a back-dated one cannot be driven
    through its workflow. Its first steps are recorded through the service, on the
    days they happened, under the key the workflow uses for the plan
    (``audit-DEMO-DEMO-A01/planned``); the workflow then starts, finds the plan already
    recorded (idempotent by key) and fires the chasers and escalations now due.
    """
    ref = "DEMO-A01"
    plan = _plan(ref, t, "multi_agency_thematic", "Neglect: chronologies", ["LA", "POLICE", "ICB"])
    try:
        await client.state(plan.partnership, "audit", ref)
        return False  # already seeded
    except CaseNotFound:
        pass
    planned = calendar.subtract_working_days(t, 20)

    def record(step: str, day: date, **fields: Any) -> None:
        quality.record_audit_step(
            plan.partnership,
            ref,
            step,
            _audit_step(step, **fields),
            key=f"demo/{ref}/{step}/{day}",
            today=day,
        )

    quality.plan_audit(
        plan, key=f"{audit_workflow_id(plan.partnership, ref)}/planned", today=planned
    )
    record(
        "draw_audit_sample", planned, drawn_on=planned, case_refs=["C-A0101", "C-A0102", "C-A0103"]
    )
    record(
        "request_audit_returns",
        planned,
        requested_on=planned,
        requests=[
            {"agency": "LA", "due_on": calendar.add_working_days(planned, 10)},
            {"agency": "POLICE", "due_on": calendar.add_working_days(planned, 10)},
            {"agency": "ICB", "due_on": next_working_day(calendar, t + timedelta(days=7))},
        ],
    )
    returned = calendar.add_working_days(planned, 8)
    record("record_audit_return", returned, agency="POLICE", received_on=returned)
    try:
        await client.plan_audit(plan)
    except CaseAlreadyExists:
        return False
    return True


async def _evaluation_to_action_plan(
    client: QaClient, calendar: WorkingDayCalendar, t: date
) -> bool:
    """DEMO-A02, a practice evaluation taken through its workflow today."""
    ref = "DEMO-A02"
    plan = _plan(ref, t, "practice_evaluation", "CP and CiN 11-18", ["LA", "ICB"])
    try:
        await client.plan_audit(plan)
    except CaseAlreadyExists:
        return False
    due = next_working_day(calendar, t + timedelta(days=14))
    steps: list[tuple[str, dict[str, Any]]] = [
        ("draw_audit_sample", {"drawn_on": t, "case_refs": ["C-A0201", "C-A0202", "C-A0203"]}),
        (
            "request_audit_returns",
            {
                "requested_on": t,
                "requests": [{"agency": "LA", "due_on": due}, {"agency": "ICB", "due_on": due}],
            },
        ),
        ("record_audit_return", {"agency": "LA", "received_on": t}),
        ("record_audit_return", {"agency": "ICB", "received_on": t}),
        ("record_audit_moderation", {"held_on": t, "moderators": ["QA officer"]}),
        (
            "record_audit_findings",
            {
                "recorded_on": t,
                "findings": [
                    {"case_ref": "C-A0201", "overall": "good", "standards": {"01": "good"}},
                    {
                        "case_ref": "C-A0202",
                        "overall": "inadequate",
                        "standards": {"04": "inadequate", "10": "requires_improvement"},
                    },
                    {"case_ref": "C-A0203", "overall": "requires_improvement", "standards": {}},
                ],
            },
        ),
        ("record_audit_report", {"reported_on": t, "recipients": ["QiiP steering group"]}),
        ("record_learning_briefing", {"issued_on": t, "recipients": ["all social work staff"]}),
        (
            "raise_action_plan",
            {
                "raised_on": t,
                "actions": [
                    {
                        "owner_agency": "LA",
                        "text": "Reissue the supervision recording guidance",
                        "due_on": calendar.add_working_days(t, 3),
                        "success_measure": "Guidance acknowledged by every team manager",
                    },
                    {
                        "owner_agency": "ICB",
                        "text": "Health attends every strategy discussion",
                        "due_on": calendar.add_working_days(t, 40),
                        "success_measure": "Dip audit: health at 9 of 10 strategy discussions",
                    },
                ],
            },
        ),
    ]
    for step, fields in steps:
        await client.record(DEMO_PARTNERSHIP, "audit", ref, step, _audit_step(step, **fields))
    return True
