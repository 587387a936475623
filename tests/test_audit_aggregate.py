"""Given / when / then on the lifecycle-2 aggregates: events emitted, state
rebuilt from them, clocks computed with the working-day calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.action_plan import (
    ActionPlanStage,
    CompleteAction,
    OpenActionPlan,
    RecordActionEvidence,
    RecordImpactCheck,
    plan_action_plan_clocks,
    plan_opening_clocks,
)
from domain.action_plan.aggregate import ActionPlan
from domain.audit import (
    AuditStage,
    AuditState,
    DrawSample,
    PlanAudit,
    RecordFindings,
    RecordModeration,
    RecordReturn,
    RequestReturns,
    plan_audit_clocks,
)
from domain.audit.aggregate import Audit
from domain.child_of_concern import (
    OpenConcern,
    RecordAssistantDirectorReview,
    RecordGroupManagerReview,
    plan_concern_clocks,
    plan_opening_concern_clocks,
)
from domain.child_of_concern.aggregate import ChildOfConcern
from domain.errors import OutOfOrder, RuleViolation
from domain.qa import QaPolicy
from domain.qa.record import QaRecord
from domain.standards import GLOUCESTERSHIRE_2025, STANDARD_SETS
from qa_engine.calendar import england_and_wales
from tests.conftest import actor

CAL = england_and_wales()
DAY = date(2025, 4, 7)  # Monday, a week before Easter 2025
UTC = ZoneInfo("UTC")


def replayed(record: QaRecord) -> Any:
    """Rebuild the aggregate from the events it has emitted so far."""
    events = record.collect_events()
    rebuilt: Any = None
    for e in events:
        rebuilt = e.mutate(rebuilt)
    return rebuilt, [type(e).__name__ for e in events]


def plan_fields(**overrides: Any) -> dict[str, Any]:
    return {
        "actor": actor(),
        "audit_ref": "PE-2025-04",
        "partnership": "GSCP",
        "kind": "practice_evaluation",
        "theme": "CP and CiN 0-11",
        "period_start": DAY - timedelta(days=90),
        "period_end": DAY,
        "sample_size": 2,
        "lead": "Head of Quality",
        "agencies": ["LA"],
        **overrides,
    }


def planned_audit(**overrides: Any) -> Audit:
    plan = PlanAudit.model_validate(plan_fields(**overrides))
    return Audit.plan(
        plan, key="k/plan", policy=QaPolicy(), calendar_version=CAL.version, today=DAY
    )


def do(record: QaRecord, step: str, command: Any, today: date, plan: Any = None) -> None:
    opened = plan(record.state, command, CAL) if plan else []
    assert type(command) is record.STATE.COMMANDS[step]
    record.record(command, key=f"k/{step}/{record.version}", today=today, opened=opened)


def cmd(model: Any, **fields: Any) -> Any:
    return model.model_validate({"actor": actor(), **fields})


def test_gloucestershire_ten_standards_are_the_default_data() -> None:
    assert GLOUCESTERSHIRE_2025.codes == [f"{i:02d}" for i in range(1, 11)]
    assert "gloucestershire-2025" in STANDARD_SETS
    assert planned_audit().state.standard_codes == GLOUCESTERSHIRE_2025.codes
    with pytest.raises(ValueError, match="unknown practice standards set"):
        PlanAudit.model_validate(plan_fields(standards="nowhere-2020"))


def test_audit_through_findings_events_and_state_rebuilt_from_them() -> None:
    audit = planned_audit()
    do(audit, "draw_audit_sample", cmd(DrawSample, drawn_on=DAY, case_refs=["C-1", "C-2"]), DAY)
    due = date(2025, 4, 22)  # the Tuesday after Easter Monday
    request = cmd(RequestReturns, requested_on=DAY, requests=[{"agency": "LA", "due_on": due}])
    do(audit, "request_audit_returns", request, DAY, plan_audit_clocks)
    clock = audit.state.clocks["return:LA"]
    # chasers 3 and 1 working days before the due day, skipping Good Friday and Easter Monday
    london = ZoneInfo("Europe/London")
    assert [r.astimezone(london).date() for r in clock.reminders] == [
        date(2025, 4, 15),  # Tue 15, Wed 16, Thu 17 (Fri 18 and Mon 21 are holidays)
        date(2025, 4, 17),
    ]
    assert clock.escalations[0].at == datetime(2025, 4, 22, 23, 0, tzinfo=UTC)  # BST midnight
    assert clock.escalations[1].to == ["QA subgroup chair"]
    today = date(2025, 4, 23)
    do(audit, "record_audit_return", cmd(RecordReturn, agency="LA", received_on=today), today)
    do(
        audit,
        "record_audit_moderation",
        cmd(RecordModeration, held_on=today, moderators=["GM"]),
        today,
    )
    findings = cmd(
        RecordFindings,
        recorded_on=today,
        findings=[
            {"case_ref": "C-1", "overall": "inadequate", "standards": {"04": "inadequate"}},
            {"case_ref": "C-2", "overall": "good", "standards": {"04": "good", "10": "good"}},
        ],
    )
    do(audit, "record_audit_findings", findings, today)
    assert audit.state.stage is AuditStage.GRADED
    assert audit.state.clocks["return:LA"].late
    assert audit.state.standard_grades == {"04": {"inadequate": 1, "good": 1}, "10": {"good": 1}}
    assert [c.concern_ref for c in audit.state.concerns] == ["PE-2025-04-S01"]

    rebuilt, names = replayed(audit)
    assert names == [
        "Planned",
        "SampleDrawn",
        "ReturnsRequested",
        "ReturnReceived",
        "Moderated",
        "FindingsGraded",
    ]
    assert rebuilt.state == audit.state
    assert rebuilt.applied_keys == audit.applied_keys


def test_inadequate_only_starts_a_concern_in_practice_evaluations() -> None:
    audit = planned_audit(kind="dip", sample_size=1)
    do(audit, "draw_audit_sample", cmd(DrawSample, drawn_on=DAY, case_refs=["C-1"]), DAY)
    audit.state.stage = AuditStage.MODERATED  # given: moderated (shortcut for this rule)
    findings = cmd(
        RecordFindings, recorded_on=DAY, findings=[{"case_ref": "C-1", "overall": "inadequate"}]
    )
    do(audit, "record_audit_findings", findings, DAY)
    assert audit.state.concerns == []


@pytest.mark.parametrize(
    ("step", "command", "rule"),
    [
        ("record_audit_moderation", {"held_on": DAY, "moderators": ["GM"]}, "stage_order"),
        ("draw_audit_sample", {"drawn_on": DAY, "case_refs": ["C-1"]}, "sample_size"),
        (
            "draw_audit_sample",
            {"drawn_on": DAY + timedelta(days=1), "case_refs": ["C-1", "C-2"]},
            "no_future_dates",
        ),
    ],
)
def test_rejected_steps_emit_nothing(step: str, command: dict[str, Any], rule: str) -> None:
    audit = planned_audit()
    audit.collect_events()
    model = audit.state.COMMANDS[step]
    with pytest.raises(RuleViolation) as err:
        do(audit, step, cmd(model, **command), DAY)
    assert err.value.rule == rule
    assert audit.collect_events() == [] and audit.version == 1


def test_action_plan_not_improved_opens_new_actions_with_clocks() -> None:
    opening = cmd(
        OpenActionPlan,
        plan_ref="PE-2025-04-AP",
        partnership="GSCP",
        source="audit",
        source_ref="PE-2025-04",
        opened_on=DAY,
        actions=[
            {
                "owner_agency": "LA",
                "text": "Supervision guidance",
                "due_on": date(2025, 5, 30),
                "success_measure": "9 in 10 files",
            }
        ],
    )
    plan = ActionPlan.open_plan(
        opening,
        key="k/open",
        policy=QaPolicy(),
        calendar_version=CAL.version,
        opened=plan_opening_clocks(opening, QaPolicy(), CAL),
    )
    assert plan.state.clocks["action:A1"].escalations[1].to == ["partnership executive"]
    with pytest.raises(OutOfOrder, match="evidence"):
        do(plan, "complete_action", cmd(CompleteAction, action_id="A1", completed_on=DAY), DAY)
    ev = cmd(RecordActionEvidence, action_id="A1", received_on=DAY, evidence="Guidance issued")
    do(plan, "record_action_evidence", ev, DAY)
    done = date(2025, 5, 1)
    do(
        plan,
        "complete_action",
        cmd(CompleteAction, action_id="A1", completed_on=done),
        done,
        plan_action_plan_clocks,
    )
    assert plan.state.stage is ActionPlanStage.AWAITING_IMPACT_CHECK
    assert plan.state.impact_from == date(2025, 8, 1)  # 3 calendar months
    check_day = date(2025, 8, 4)
    check = cmd(
        RecordImpactCheck,
        checked_on=check_day,
        method="re_audit",
        result="not_improved",
        measure="Re-audit: 5 of 10 files",
        new_actions=[
            {
                "owner_agency": "LA",
                "text": "GM monthly file audit",
                "due_on": date(2025, 9, 30),
                "success_measure": "9 in 10 files",
            }
        ],
    )
    do(plan, "record_impact_check", check, check_day, plan_action_plan_clocks)
    assert plan.state.stage is ActionPlanStage.IN_PROGRESS and plan.state.round == 2
    assert plan.state.actions["A2"].round == 2 and "action:A2" in plan.state.clocks
    rebuilt, names = replayed(plan)
    assert names[-1] == "ImpactChecked" and rebuilt.state == plan.state


def test_concern_weekly_reviews_fall_on_working_days_and_misses_roll_on() -> None:
    graded = date(2025, 4, 10)  # Thursday before Easter
    opening = cmd(
        OpenConcern,
        concern_ref="PE-2025-04-S01",
        audit_ref="PE-2025-04",
        sample_no=1,
        partnership="GSCP",
        graded_on=graded,
    )
    concern = ChildOfConcern.open_concern(
        opening,
        key="k/open",
        policy=QaPolicy(),
        calendar_version=CAL.version,
        opened=plan_opening_concern_clocks(opening, QaPolicy(), CAL),
    )
    assert concern.state.clocks["gm_review"].due_on == date(2025, 4, 14)  # 2 working days
    with pytest.raises(OutOfOrder, match="Group Manager"):
        do(
            concern,
            "record_assistant_director_review",
            cmd(RecordAssistantDirectorReview, reviewed_on=graded, assured=False),
            graded,
        )
    do(
        concern,
        "record_group_manager_review",
        cmd(RecordGroupManagerReview, reviewed_on=date(2025, 4, 14), safety_action_taken=True),
        date(2025, 4, 14),
        plan_concern_clocks,
    )
    ad1 = concern.state.clocks["ad_review:1"]
    assert ad1.due_on == date(2025, 4, 22)  # 21 April is Easter Monday
    from domain.child_of_concern import plan_after_missed_review

    concern.escalate(
        "ad_review:1",
        0,
        key="k/miss",
        at=ad1.escalations[0].at,
        opened=plan_after_missed_review(concern.state, "ad_review:1", CAL),
    )
    assert concern.state.clocks["ad_review:1"].status == "missed"
    assert concern.state.clocks["ad_review:2"].due_on == date(2025, 4, 29)
    assert [m.clock for m in concern.state.missed] == ["ad_review:1"]
    with pytest.raises(RuleViolation, match="not overdue"):
        concern.escalate("ad_review:2", 0, key="k/early", at=ad1.escalations[0].at, opened=[])
    rebuilt, _ = replayed(concern)
    assert rebuilt.state == concern.state


def test_the_audit_state_counts_its_sample_and_serialises_no_reference() -> None:
    """Issue 8 item 14b: the state the workflow carries (its serialised form) holds the
    sample's count; the references are known only to a state built from the events.
    A state serialised by the earlier release (with ``sample``) still decodes."""
    audit = planned_audit()
    do(audit, "draw_audit_sample", cmd(DrawSample, drawn_on=DAY, case_refs=["C-1", "C-2"]), DAY)
    assert audit.state.sample_refs == ["C-1", "C-2"] and audit.state.sampled == 2
    dumped = audit.state.model_dump(mode="json")
    assert dumped["sampled"] == 2 and "sample" not in dumped
    assert "C-1" not in audit.state.model_dump_json()
    copy = AuditState.model_validate(dumped)  # as a workflow decodes an activity's result
    assert copy.sample_refs is None and copy.sampled == 2
    older = {k: v for k, v in dumped.items() if k != "sampled"} | {"sample": ["C-1", "C-2"]}
    decoded = AuditState.model_validate(older)
    assert decoded.sampled == 2 and decoded.sample_refs is None
    assert "C-1" not in decoded.model_dump_json()
