"""The quality-assurance application service over both event stores: idempotent
writes, rejected steps recording nothing, action plans from a review's
recommendations read from the review's event history."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from domain.action_plan import OpenPlanFromReview
from domain.audit import AUDIT_COMMANDS, PlanAudit
from domain.errors import CaseAlreadyExists, CaseNotFound, RuleViolation
from qa_engine.audits import QualityService
from tests.conftest import actor
from tests.lifecycle import AWARE, full_lifecycle, report

TODAY = date(2025, 3, 3)


def plan(ref: str = "AUD-2025-01") -> PlanAudit:
    return PlanAudit.model_validate(
        {
            "actor": actor(),
            "audit_ref": ref,
            "partnership": "GSCP",
            "kind": "multi_agency_thematic",
            "theme": "Neglect: early help to statutory",
            "period_start": date(2024, 10, 1),
            "period_end": date(2024, 12, 31),
            "sample_size": 2,
            "lead": "QiiP subgroup chair",
            "agencies": ["LA", "POLICE", "ICB"],
        }
    )


def audit_step(qa: QualityService, ref: str, step: str, key: str, **fields: Any) -> Any:
    command = AUDIT_COMMANDS[step].model_validate({"actor": actor(), **fields})
    return qa.record_audit_step("GSCP", ref, step, command, key=key, today=TODAY)


def test_plan_is_idempotent_by_key_and_refs_are_unique(quality: QualityService) -> None:
    first = quality.plan_audit(plan(), key="audit-AUD-2025-01/planned", today=TODAY)
    again = quality.plan_audit(plan(), key="audit-AUD-2025-01/planned", today=TODAY)
    assert again == first and len(quality.history("GSCP", "audit", "AUD-2025-01")) == 1
    with pytest.raises(CaseAlreadyExists):
        quality.plan_audit(plan(), key="another/planned", today=TODAY)
    with pytest.raises(CaseNotFound):
        quality.state("GSCP", "audit", "AUD-NOPE")


def test_retried_step_appends_once_and_rejected_step_records_nothing(
    quality: QualityService,
) -> None:
    quality.plan_audit(plan(), key="a/planned", today=TODAY)
    fields = {"drawn_on": TODAY, "case_refs": ["C-501", "C-502"]}
    s1 = audit_step(quality, "AUD-2025-01", "draw_audit_sample", "a/u1", **fields)
    s2 = audit_step(quality, "AUD-2025-01", "draw_audit_sample", "a/u1", **fields)
    assert s1 == s2 and s1.version == 2
    before = quality.history("GSCP", "audit", "AUD-2025-01")
    with pytest.raises(RuleViolation) as err:
        audit_step(
            quality,
            "AUD-2025-01",
            "request_audit_returns",
            "a/u2",
            requested_on=TODAY,
            requests=[{"agency": "PROBATION", "due_on": TODAY + timedelta(days=10)}],
        )
    assert (err.value.field, err.value.rule) == ("requests", "audit_agency")
    assert quality.history("GSCP", "audit", "AUD-2025-01") == before
    assert quality.verify("GSCP", "audit", "AUD-2025-01").ok


def test_clock_events_are_checked_and_idempotent(quality: QualityService) -> None:
    quality.plan_audit(plan(), key="a/planned", today=TODAY)
    audit_step(
        quality,
        "AUD-2025-01",
        "draw_audit_sample",
        "a/u1",
        drawn_on=TODAY,
        case_refs=["C-501", "C-502"],
    )
    s = audit_step(
        quality,
        "AUD-2025-01",
        "request_audit_returns",
        "a/u2",
        requested_on=TODAY,
        requests=[{"agency": "LA", "due_on": date(2025, 3, 14)}],
    )
    chaser = s.clocks["return:LA"].reminders[0]
    with pytest.raises(RuleViolation, match="not yet due"):
        quality.send_reminder(
            "GSCP",
            "audit",
            "AUD-2025-01",
            "return:LA",
            0,
            key="a/r0",
            at=chaser - timedelta(hours=1),
        )
    for _ in range(2):  # a retried activity
        s = quality.send_reminder(
            "GSCP", "audit", "AUD-2025-01", "return:LA", 0, key="a/r0", at=chaser
        )
    assert s.clocks["return:LA"].reminders_sent == 1
    events = [e.event for e in quality.history("GSCP", "audit", "AUD-2025-01")]
    assert events.count("ReminderSent") == 1
    at = s.clocks["return:LA"].escalations[0].at
    s = quality.escalate("GSCP", "audit", "AUD-2025-01", "return:LA", 0, key="a/e0", at=at)
    assert s.clocks["return:LA"].overdue and s.breached


def test_action_plan_from_review_recommendations(quality: QualityService) -> None:
    states = list(full_lifecycle(quality.reviews, "GSCP-2025-007"))
    assert states[-1].stage.value == "closed" and states[-1].recommendations >= 1
    recs = quality.review_recommendations("GSCP", "GSCP-2025-007")
    command = OpenPlanFromReview.model_validate(
        {
            "actor": actor(),
            "case_ref": "GSCP-2025-007",
            "partnership": "GSCP",
            "opened_on": date(2025, 12, 1),
            "due_on": date(2026, 3, 31),
            "success_measure": "Multi-agency audit shows the change embedded",
        }
    )
    key = "actionplan-GSCP-2025-007-AP/opened"
    p = quality.open_plan_from_review(command, key=key, today=date(2025, 12, 1))
    assert p.ref == "GSCP-2025-007-AP" and p.source == "review"
    assert [a.owner_agency for a in p.actions.values()] == [r.owner_agency for r in recs]
    assert all(f"action:{a}" in p.clocks for a in p.actions)
    assert quality.open_plan_from_review(command, key=key, today=date(2025, 12, 1)) == p
    opened = quality.history("GSCP", "actionplan", p.ref)[0]
    assert [a["text"] for a in opened.data["actions"]] == [r.text for r in recs]

    report(quality.reviews, "GSCP-2025-008", aware=AWARE)
    no_recs = command.model_copy(update={"case_ref": "GSCP-2025-008"})
    with pytest.raises(RuleViolation) as err:
        quality.open_plan_from_review(no_recs, key="x/opened", today=date(2025, 12, 1))
    assert err.value.rule == "recommendations_recorded"
    with pytest.raises(CaseNotFound):
        quality.state("GSCP", "actionplan", "GSCP-2025-008-AP")


def test_history_reads_are_recorded(quality: QualityService) -> None:
    quality.plan_audit(plan(), key="a/planned", today=TODAY)
    who = {"name": "Pat Inspector", "role": "Ofsted inspector"}
    entries = quality.read_history("GSCP", "audit", "AUD-2025-01", actor=who, purpose="inspection")
    # the read goes to the access log, never into the audit's own stream
    assert [e.event for e in entries] == ["Planned"]
    reads = quality.reads("GSCP", "audit", "AUD-2025-01")
    assert [(r.actor["name"], r.purpose, r.view) for r in reads] == [
        (who["name"], "inspection", "history")
    ]
    assert reads[-1].actor == who and isinstance(reads[-1].recorded_at, datetime)


def test_rapid_review_recommendations_open_a_plan_without_an_lcspr(
    quality: QualityService,
) -> None:
    """A rapid review that ends in 'no further review' still has learning to follow up."""
    from tests.review_data import cmd as review_cmd
    from tests.review_data import report as review_report

    d = date(2025, 4, 11)
    reviews = quality.reviews
    reviews.report_incident(review_report("GSCP-2025-031", aware=d), key="r/0", today=d)
    steps = [
        ("record_panel_notification", {"notified_on": d}),
        ("record_threshold_decision", {"met": True, "decided_on": d, "rationale": "met"}),
        (
            "request_agency_summaries",
            {"requested_on": d, "requests": [{"agency": "POLICE", "due_on": d}]},
        ),
        ("record_rapid_review_meeting", {"held_on": d, "agencies_present": ["LA", "POLICE"]}),
        (
            "record_rapid_review_decision",
            {
                "decision": "no_further_review",
                "decided_on": d,
                "rationale": "learning captured here",
            },
        ),
        (
            "submit_rapid_review_report",
            {
                "submitted_on": d,
                "recommendations": [
                    {"owner_agency": "POLICE", "text": "Share DA notifications with schools"}
                ],
            },
        ),
        (
            "record_panel_response",
            {"response": "challenges", "received_on": d, "notes": "Recommendations too narrow"},
        ),
        (
            "record_challenge_reply",
            {"replied_on": d, "reply": "maintain", "rationale": "revised recommendations"},
        ),
        (
            "submit_rapid_review_report",
            {
                "submitted_on": d,
                "recommendations": [
                    {"owner_agency": "POLICE", "text": "Share DA notifications with schools daily"},
                    {
                        "owner_agency": "EDUCATION",
                        "text": "DSLs record and act on DA notifications",
                    },
                ],
            },
        ),
        ("record_panel_response", {"response": "agrees", "received_on": d}),
    ]
    for i, (step, fields) in enumerate(steps):
        state = reviews.record_step(
            "GSCP", "GSCP-2025-031", step, review_cmd(step, **fields), key=f"r/{i + 1}", today=d
        )
    assert state.stage.value == "closed" and state.rapid_review_recommendations == 2
    recs = quality.review_recommendations("GSCP", "GSCP-2025-031")
    assert [r.owner_agency for r in recs] == ["POLICE", "EDUCATION"]
