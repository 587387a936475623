"""The read side over lifecycle 2: audits, action plans and children of concern in the
oversight view and the audit trail, rebuild equal to incremental with reviews in the
same log, and ``qa-engine verify`` over every record of every lifecycle.

QA records are built through ``QualityService`` directly, on fixed past dates:
audit planned Mon 2025-03-03."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from domain.action_plan import ACTION_PLAN_COMMANDS, OpenActionPlan
from domain.action_plan import events as action_plan_events
from domain.audit import AUDIT_COMMANDS, PlanAudit, action_plan_ref
from domain.audit import events as audit_events
from domain.child_of_concern import CONCERN_COMMANDS, OpenConcern
from domain.child_of_concern import events as concern_events
from projections import queries
from projections.catalogue import build_runner, sealer_for
from projections.runner import ProjectionRunner
from qa_engine.audits import KINDS, QualityService
from qa_engine.bootstrap import Services, bootstrap
from qa_engine.calendar import england_and_wales
from qa_engine.config import Settings
from qa_engine.entry import cli_common, cli_read
from qa_engine.programme import PROGRAMME_KINDS
from tests.conftest import actor
from tests.lifecycle import full_lifecycle, report, snapshot
from tests.test_tamper import raw_db

CAL = england_and_wales()
AUDIT = "AUD-2025-01"
PLAN = action_plan_ref(AUDIT)  # AUD-2025-01-AP
CONCERN = f"{AUDIT}-S02"
SAMPLE = ["C-501", "C-502", "C-503"]


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    s = bootstrap(settings)
    yield s
    s.close()


def _cmd(commands: dict[str, Any], name: str, **fields: Any) -> Any:
    return commands[name].model_validate({"actor": actor(), **fields})


def _key(workflow_id: str, name: str, fields: dict[str, Any]) -> str:
    """A step's idempotency key: one per distinct command."""
    return f"{workflow_id}/{name}/{json.dumps(fields, sort_keys=True, default=str)}"


def audit_step(qa: QualityService, name: str, today: date, ref: str = AUDIT, **f: Any) -> Any:
    return qa.record_audit_step(
        "GSCP",
        ref,
        name,
        _cmd(AUDIT_COMMANDS, name, **f),
        key=_key(f"audit-{ref}", name, f),
        today=today,
    )


def plan_step(qa: QualityService, name: str, today: date, **f: Any) -> Any:
    command = _cmd(ACTION_PLAN_COMMANDS, name, **f)
    key = _key(f"actionplan-{PLAN}", name, f)
    return qa.record_plan_step("GSCP", PLAN, name, command, key=key, today=today)


def concern_step(qa: QualityService, name: str, today: date, **f: Any) -> Any:
    command = _cmd(CONCERN_COMMANDS, name, **f)
    key = _key(f"childofconcern-{CONCERN}", name, f)
    return qa.record_concern_step("GSCP", CONCERN, name, command, key=key, today=today)


def plan_audit(qa: QualityService, ref: str = AUDIT, partnership: str = "GSCP") -> Any:
    command = PlanAudit.model_validate(
        {
            "actor": actor(),
            "audit_ref": ref,
            "partnership": partnership,
            "kind": "practice_evaluation",
            "theme": "CP and CiN 11-18",
            "period_start": date(2024, 10, 1),
            "period_end": date(2024, 12, 31),
            "sample_size": len(SAMPLE),
            "lead": "Head of Quality",
            "agencies": ["LA", "ICB"],
        }
    )
    return qa.plan_audit(command, key=f"audit-{ref}/planned", today=date(2025, 3, 3))


def audit_to_returns(qa: QualityService, ref: str = AUDIT) -> Any:
    """Sampled Mon 3 March; returns asked on the 4th: LA due Fri 14th, ICB Fri 21st."""
    audit_step(
        qa, "draw_audit_sample", date(2025, 3, 3), ref, drawn_on="2025-03-03", case_refs=SAMPLE
    )
    return audit_step(
        qa,
        "request_audit_returns",
        date(2025, 3, 4),
        ref,
        requested_on="2025-03-04",
        requests=[
            {"agency": "LA", "due_on": "2025-03-14"},
            {"agency": "ICB", "due_on": "2025-03-21"},
        ],
    )


def audit_to_close(qa: QualityService) -> Any:
    """Returns in (those not yet in), moderated, graded (sample case 2 Inadequate),
    reported, learning briefing issued, plan raised: all on Mon 24 March."""
    d = date(2025, 3, 24)
    state: Any = qa.state("GSCP", "audit", AUDIT)
    returns = state.returns
    for agency, on in (("LA", "2025-03-12"), ("ICB", "2025-03-24")):
        if returns.get(agency) is None:
            audit_step(qa, "record_audit_return", d, agency=agency, received_on=on)
    audit_step(
        qa,
        "record_audit_moderation",
        d,
        held_on=d,
        moderators=["QA lead", "LA auditor"],
        grades_changed=1,
    )
    audit_step(
        qa,
        "record_audit_findings",
        d,
        recorded_on=d,
        findings=[
            {"case_ref": "C-501", "overall": "good", "standards": {"01": "good", "02": "good"}},
            {"case_ref": "C-502", "overall": "inadequate", "standards": {"01": "inadequate"}},
            {"case_ref": "C-503", "overall": "requires_improvement"},
        ],
    )
    audit_step(qa, "record_audit_report", d, reported_on=d, recipients=["QiiP subgroup"])
    audit_step(qa, "record_learning_briefing", d, issued_on=d, recipients=["all agencies"])
    return audit_step(qa, "raise_action_plan", d, raised_on=d, actions=ACTIONS)


ACTIONS = [
    {
        "owner_agency": "LA",
        "text": "Refresh supervision guidance for child protection plans",
        "due_on": "2025-06-30",
        "success_measure": "Re-audit shows supervision recorded monthly",
    },
    {
        "owner_agency": "ICB",
        "text": "Health attendance at strategy discussions",
        "due_on": "2025-05-30",
        "success_measure": "Attendance above 90% for a quarter",
    },
]


def open_plan(qa: QualityService) -> Any:
    command = OpenActionPlan.model_validate(
        {
            "actor": actor(),
            "plan_ref": PLAN,
            "partnership": "GSCP",
            "source": "audit",
            "source_ref": AUDIT,
            "opened_on": "2025-03-24",
            "actions": ACTIONS,
        }
    )
    return qa.open_action_plan(command, key=f"actionplan-{PLAN}/opened", today=date(2025, 3, 24))


def complete_plan(qa: QualityService) -> Any:
    """ICB's A2 done on time on 28 May, LA's A1 late on 2 July: impact check window opens."""
    plan_step(
        qa,
        "record_action_progress",
        date(2025, 4, 10),
        action_id="A1",
        reported_on="2025-04-10",
        status="at_risk",
        note="guidance redraft waits for legal advice",
    )
    for action_id, on in (("A2", date(2025, 5, 28)), ("A1", date(2025, 7, 2))):
        plan_step(
            qa,
            "record_action_evidence",
            on,
            action_id=action_id,
            received_on=on,
            evidence="minutes and attendance log",
        )
        state = plan_step(qa, "complete_action", on, action_id=action_id, completed_on=on)
    return state


def open_concern(qa: QualityService) -> Any:
    """Sample case 2 graded Inadequate on Mon 24 March: Group Manager review due Wed 26th."""
    command = OpenConcern.model_validate(
        {
            "actor": actor(),
            "concern_ref": CONCERN,
            "audit_ref": AUDIT,
            "sample_no": 2,
            "partnership": "GSCP",
            "graded_on": "2025-03-24",
        }
    )
    return qa.open_concern(command, key=f"childofconcern-{CONCERN}/opened", today=date(2025, 3, 24))


def escalate(qa: QualityService, kind: Any, ref: str, clock: str, index: int = 0) -> Any:
    """What the workflow's timer does once the clock's escalation instant has come."""
    at = qa.state("GSCP", kind, ref).clocks[clock].escalations[index].at
    return qa.escalate(
        "GSCP", kind, ref, clock, index, key=f"{kind}-{ref}/escalate/{clock}/{index}", at=at
    )


def oversight_of(runner: ProjectionRunner, today: date, amber: int = 3) -> dict[str, Any]:
    runner.catch_up()
    found = queries.oversight(runner.db, today=today, calendar=CAL, amber_working_days=amber)
    return {f"{r.kind}:{r.ref}": r for r in found}


def summary(row: Any) -> tuple[Any, ...]:
    return (
        row.stage,
        row.owner,
        row.next_deadline,
        row.next_due_on,
        row.working_days_left,
        row.rag,
    )


def trail(runner: ProjectionRunner, kind: str, ref: str) -> list[queries.TrailRow]:
    runner.catch_up()
    return queries.trail(
        runner.db, ref, partnership="GSCP", sealer=sealer_for(runner.app), kind=kind
    )


# ------------------------------------------------------------------- oversight


def test_an_audit_shows_its_next_return_and_leaves_the_view_when_closed(
    services: Services,
) -> None:
    qa = services.quality
    runner = build_runner(qa)
    plan_audit(qa)
    row = oversight_of(runner, date(2025, 3, 3))[f"audit:{AUDIT}"]
    assert (row.kind, row.partnership) == ("audit", "GSCP")
    assert summary(row) == ("planned", "audit lead", None, None, None, "green")

    audit_to_returns(qa)
    # LA's return is due Fri 14 March: RAG on working days, as for reviews
    for today, left, rag in [
        (date(2025, 3, 10), 4, "green"),
        (date(2025, 3, 11), 3, "amber"),
        (date(2025, 3, 14), 0, "amber"),
        (date(2025, 3, 17), -1, "red"),
    ]:
        row = oversight_of(runner, today)[f"audit:{AUDIT}"]
        assert summary(row) == ("returns", "LA", "Audit return (LA)", date(2025, 3, 14), left, rag)
        assert row.breached == []

    escalate(qa, "audit", AUDIT, "return:LA")  # the workflow escalated the overdue return
    row = oversight_of(runner, date(2025, 3, 10))[f"audit:{AUDIT}"]
    assert (row.rag, row.breached) == ("red", ["Audit return (LA)"])

    audit_step(qa, "record_audit_return", date(2025, 3, 17), agency="LA", received_on="2025-03-17")
    row = oversight_of(runner, date(2025, 3, 17))[f"audit:{AUDIT}"]
    assert summary(row) == ("returns", "ICB", "Audit return (ICB)", date(2025, 3, 21), 4, "green")
    assert row.breached == []  # the overdue return is in; it no longer colours the audit

    audit_to_close(qa)
    assert f"audit:{AUDIT}" not in oversight_of(runner, date(2025, 3, 24))


def test_an_action_plan_shows_its_next_action_then_its_impact_check(services: Services) -> None:
    qa = services.quality
    runner = build_runner(qa)
    open_plan(qa)
    row = oversight_of(runner, date(2025, 5, 27))[f"actionplan:{PLAN}"]
    assert summary(row) == (
        "in_progress",
        "ICB",
        "Action A2 (ICB)",
        date(2025, 5, 30),
        3,
        "amber",
    )
    escalate(qa, "actionplan", PLAN, "action:A2")  # overdue: the subgroup chair is told
    row = oversight_of(runner, date(2025, 6, 2))[f"actionplan:{PLAN}"]
    assert (row.next_deadline, row.rag, row.breached) == (
        "Action A2 (ICB)",
        "red",
        ["Action A2 (ICB)"],
    )

    complete_plan(qa)  # A2 done on 28 May (recorded after its escalation), A1 on 2 July
    row = oversight_of(runner, date(2025, 7, 3))[f"actionplan:{PLAN}"]
    # impact check window opens 3 months after completion; due 20 working days later
    assert summary(row)[:4] == (
        "awaiting_impact_check",
        "QA subgroup chair",
        "Impact check (round 1)",
        date(2025, 10, 30),
    )
    assert (row.rag, row.breached) == ("green", [])

    plan_step(
        qa,
        "record_impact_check",
        date(2025, 10, 6),
        checked_on="2025-10-06",
        method="re_audit",
        result="improved",
        measure="re-audit: supervision recorded monthly in 92% of cases",
    )
    assert f"actionplan:{PLAN}" not in oversight_of(runner, date(2025, 10, 6))


def test_a_child_of_concern_shows_its_next_review_until_assured(services: Services) -> None:
    qa = services.quality
    runner = build_runner(qa)
    open_concern(qa)
    row = oversight_of(runner, date(2025, 3, 25))[f"childofconcern:{CONCERN}"]
    assert row.ref == CONCERN and "C-50" not in row.ref  # named by audit and sample position
    assert summary(row) == (
        "group_manager_review",
        "Group Manager",
        "Group Manager review",
        date(2025, 3, 26),
        1,
        "amber",
    )
    escalate(qa, "childofconcern", CONCERN, "gm_review")
    row = oversight_of(runner, date(2025, 3, 27))[f"childofconcern:{CONCERN}"]
    assert (row.rag, row.breached) == ("red", ["Group Manager review"])

    concern_step(
        qa,
        "record_group_manager_review",
        date(2025, 3, 27),
        reviewed_on="2025-03-27",
        safety_action_taken=True,
    )
    row = oversight_of(runner, date(2025, 3, 27))[f"childofconcern:{CONCERN}"]
    assert summary(row) == (
        "assistant_director_reviews",
        "Assistant Director",
        "Assistant Director review 1",
        date(2025, 4, 3),
        5,
        "green",
    )
    # a missed weekly review is escalated and the next week's review falls due
    escalate(qa, "childofconcern", CONCERN, "ad_review:1")
    row = oversight_of(runner, date(2025, 4, 4))[f"childofconcern:{CONCERN}"]
    assert summary(row)[2:] == ("Assistant Director review 2", date(2025, 4, 10), 4, "green")

    concern_step(
        qa,
        "record_assistant_director_review",
        date(2025, 4, 10),
        reviewed_on="2025-04-10",
        assured=True,
    )
    assert f"childofconcern:{CONCERN}" not in oversight_of(runner, date(2025, 4, 10))

    # the Group Manager's review, one per concern, counts in the quarterly figures
    (gm,) = queries.timeliness(runner.db, today=date(2025, 4, 10))
    assert (gm.measure, gm.quarter, gm.due, gm.within, gm.late) == (
        "concern_gm_review",
        "2024/25 Q4",
        1,
        0,
        1,
    )


def test_oversight_filters_by_kind_across_lifecycles(services: Services) -> None:
    qa = services.quality
    report(services.reviews, "OV-REVIEW")
    plan_audit(qa)
    open_plan(qa)
    open_concern(qa)
    runner = build_runner(qa)
    runner.catch_up()
    found = queries.oversight(
        runner.db, today=date(2025, 3, 25), calendar=CAL, amber_working_days=3
    )
    assert sorted((r.kind, r.ref) for r in found) == [
        ("actionplan", PLAN),
        ("audit", AUDIT),
        ("childofconcern", CONCERN),
        ("review", "OV-REVIEW"),
    ]
    for kind in cli_read.TRAIL_KINDS:
        only = queries.oversight(
            runner.db, today=date(2025, 3, 25), calendar=CAL, amber_working_days=3, kind=kind
        )
        assert [r.kind for r in only] == [kind]


# ------------------------------------------------------------------ audit trail


def _whole_story(qa: QualityService) -> None:
    plan_audit(qa)
    audit_to_returns(qa)
    st = qa.state("GSCP", "audit", AUDIT)
    chaser = st.clocks["return:LA"].reminders[0]
    qa.send_reminder(
        "GSCP", "audit", AUDIT, "return:LA", 0, key=f"audit-{AUDIT}/remind/0", at=chaser
    )
    escalate(qa, "audit", AUDIT, "return:LA")
    audit_to_close(qa)
    open_plan(qa)
    complete_plan(qa)
    plan_step(
        qa,
        "record_impact_check",
        date(2025, 10, 6),
        checked_on="2025-10-06",
        method="re_audit",
        result="not_improved",
        measure="re-audit: supervision recorded monthly in 60% of cases",
        new_actions=[
            {
                "owner_agency": "LA",
                "text": "Monthly supervision audit by team managers",
                "due_on": "2025-12-31",
                "success_measure": "90% of cases with monthly supervision",
            }
        ],
    )
    open_concern(qa)
    concern_step(
        qa,
        "record_group_manager_review",
        date(2025, 3, 26),
        reviewed_on="2025-03-26",
        safety_action_taken=True,
        note="strategy discussion held the same day",
    )
    escalate(qa, "childofconcern", CONCERN, "ad_review:1")
    concern_step(
        qa,
        "record_assistant_director_review",
        date(2025, 4, 9),
        reviewed_on="2025-04-09",
        assured=False,
        note="plan not yet agreed with health",
    )
    concern_step(
        qa,
        "record_assistant_director_review",
        date(2025, 4, 16),
        reviewed_on="2025-04-16",
        assured=True,
        note="child protection plan agreed by all agencies",
    )


_QA_EVENT_CLASSES = {
    name for events in (audit_events, action_plan_events, concern_events) for name in events.EVENTS
}


def test_qa_trails_read_in_plain_words(services: Services) -> None:
    qa = services.quality
    _whole_story(qa)
    runner = build_runner(qa, batch_size=7)

    audit = trail(runner, "audit", AUDIT)
    assert [t.version for t in audit] == list(range(1, 13))
    assert [t.what for t in audit] == [
        "Audit planned (practice evaluation): CP and CiN 11-18, 2024-10-01 to 2024-12-31; "
        "sample of 3 cases; led by Head of Quality; agencies LA, ICB; graded against "
        "gloucestershire-2025 (10 practice standards)",
        "Sample of 3 cases drawn on 2025-03-03",
        "Audit returns requested on 2025-03-04 from LA (due 2025-03-14), ICB (due 2025-03-21)",
        "Reminder sent to LA: Audit return (LA) due 2025-03-14",
        "Overdue: Audit return (LA) was due 2025-03-14; escalated to audit lead",
        "Audit return from LA received on 2025-03-12 (within the due day, 2025-03-14)",
        "Audit return from ICB received on 2025-03-24 (late: was due 2025-03-21)",
        "Moderation held on 2025-03-24 by QA lead, LA auditor; 1 grade changed",
        "Findings graded on 2025-03-24 for 3 cases: 1 good, 1 requires improvement, "
        "1 inadequate; graded per practice standard on 2 standards; child-of-concern process "
        "starts for AUD-2025-01-S02",
        "Audit report issued on 2025-03-24 to QiiP subgroup",
        "Learning briefing issued on 2025-03-24 to all agencies",
        "Action plan AUD-2025-01-AP raised on 2025-03-24 with 2 actions for ICB, LA; audit closed",
    ]
    people = ("Alex Morgan", "partnership business manager")
    clock = ("qa-engine", "quality assurance clock")
    assert [(t.who, t.role) for t in audit] == [people] * 3 + [clock] * 2 + [people] * 7

    plan = trail(runner, "actionplan", PLAN)
    assert [(t.what, t.why) for t in plan] == [
        (
            "Action plan opened on 2025-03-24 for audit AUD-2025-01 with 2 actions: "
            "Action A1 (LA) due 2025-06-30, Action A2 (ICB) due 2025-05-30",
            None,
        ),
        (
            "Progress on action A1 reported on 2025-04-10: at risk",
            "guidance redraft waits for legal advice",
        ),
        ("Evidence for action A2 received on 2025-05-28 (1 item so far)", None),
        ("Action A2 completed on 2025-05-28 (within the due day, 2025-05-30)", None),
        ("Evidence for action A1 received on 2025-07-02 (1 item so far)", None),
        (
            "Action A1 completed on 2025-07-02 (late: was due 2025-06-30); every action "
            "complete: impact check from 2025-10-02; next: Impact check (round 1) due 2025-10-30",
            None,
        ),
        (
            "Impact check on 2025-10-06 by re-audit: practice not improved; 1 new action: "
            "Action A3 (LA) due 2025-12-31",
            "re-audit: supervision recorded monthly in 60% of cases",
        ),
    ]

    concern = trail(runner, "childofconcern", CONCERN)
    assert [(t.what, t.why) for t in concern] == [
        (
            "Child-of-concern process opened: sample case 2 of audit AUD-2025-01 graded "
            "inadequate on 2025-03-24; next: Group Manager review due 2025-03-26",
            None,
        ),
        (
            "Group Manager review on 2025-03-26 (within the due day, 2025-03-26): action taken "
            "to keep the child safe; next: Assistant Director review 1 due 2025-04-02",
            "strategy discussion held the same day",
        ),
        (
            "Missed: Assistant Director review 1 was due 2025-04-02; escalated to Director of "
            "Children's Services; next: Assistant Director review 2 due 2025-04-09",
            None,
        ),
        (
            "Assistant Director review 2 on 2025-04-09 (within the due day, 2025-04-09): not "
            "yet assured an appropriate plan is in place; next: Assistant Director review 3 "
            "due 2025-04-16",
            "plan not yet agreed with health",
        ),
        (
            "Assistant Director review 3 on 2025-04-16 (within the due day, 2025-04-16): "
            "assured an appropriate plan is in place; process closed",
            "child protection plan agreed by all agencies",
        ),
    ]

    everything = audit + plan + concern
    for t in everything:
        assert not any(name in t.what.split() for name in _QA_EVENT_CLASSES), t.what
        assert "_" not in t.what, t.what  # no field, stage or clock keys
    assert [t.when for t in audit] == sorted(t.when for t in audit)

    # no child reference in any view column, and no action or evidence text either
    with runner.db.read() as cur:
        stored = json.dumps(
            [
                cur.execute(f"SELECT * FROM {{{table}}}").fetchall()
                for table in ("oversight", "audit_trail", "timeliness_clocks")
            ]
        )
    for secret in [*SAMPLE, "Refresh supervision guidance", "minutes and attendance log"]:
        assert secret not in stored


def test_qa_reasons_are_sealed_in_the_view(settings: Settings) -> None:
    from eventsourcing.cipher import AESCipher
    from pydantic import SecretStr

    encrypted = settings.model_copy(update={"cipher_key": SecretStr(AESCipher.create_key(16))})
    services = bootstrap(encrypted)
    try:
        qa = services.quality
        plan_audit(qa, "AUD-SEALED")
        d = date(2025, 3, 24)
        audit_step(qa, "draw_audit_sample", d, "AUD-SEALED", drawn_on=d, case_refs=SAMPLE)
        audit_step(
            qa,
            "request_audit_returns",
            d,
            "AUD-SEALED",
            requested_on="2025-03-24",
            requests=[
                {"agency": "LA", "due_on": "2025-04-07"},
                {"agency": "ICB", "due_on": "2025-04-14"},
            ],
        )
        for agency in ("LA", "ICB"):
            audit_step(qa, "record_audit_return", d, "AUD-SEALED", agency=agency, received_on=d)
        audit_step(qa, "record_audit_moderation", d, "AUD-SEALED", held_on=d, moderators=["QA"])
        audit_step(
            qa,
            "record_audit_findings",
            d,
            "AUD-SEALED",
            recorded_on=d,
            findings=[{"case_ref": r, "overall": "good"} for r in SAMPLE],
        )
        audit_step(qa, "record_audit_report", d, "AUD-SEALED", reported_on=d, recipients=["QA"])
        audit_step(qa, "record_learning_briefing", d, "AUD-SEALED", issued_on=d, recipients=["QA"])
        reason = "practice good throughout; the family's circumstances need no action"
        audit_step(qa, "close_audit", d, "AUD-SEALED", closed_on=d, reason=reason)

        runner = build_runner(qa)
        runner.catch_up()
        with runner.db.read() as cur:
            row = cur.execute(
                "SELECT what, why FROM {audit_trail} WHERE kind = 'audit' AND version = 10"
            ).fetchone()
        assert row is not None and row["what"].startswith("aes:")
        assert row["why"].startswith("aes:") and "family" not in row["why"]
        last = trail(runner, "audit", "AUD-SEALED")[-1]
        assert last.what == "Audit closed on 2025-03-24 without an action plan"
        assert last.why == reason
    finally:
        services.close()


def test_case_trail_command_records_the_read_of_a_qa_record(
    settings: Settings, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    open_concern(services.quality)
    ns = argparse.Namespace(
        ref=CONCERN.lower(),
        kind="childofconcern",
        tenant="GSCP",
        purpose="inspection",
        json=False,
    )
    inspector = settings.model_copy(
        update={"actor_name": "Pat Inspector", "actor_role": "auditor", "partnership": "GSCP"}
    )
    code = asyncio.run(cli_read.cmd_trail(ns, inspector, cli_common.Output(False)))
    out = capsys.readouterr().out
    assert code == cli_common.EXIT_OK
    assert f"audit trail of childofconcern {CONCERN}: 1 entries" in out
    assert "access log: 1 recorded read(s)" in out
    assert "Audit trail read (purpose: inspection)  Pat Inspector (auditor)" in out
    # the read is in the access log, not in the concern's own stream
    assert [e.event for e in services.quality.history("GSCP", "childofconcern", CONCERN)] == [
        "ConcernOpened"
    ]
    (read,) = services.quality.reads("GSCP", "childofconcern", CONCERN)
    assert (read.actor["name"], read.view, read.purpose) == ("Pat Inspector", "trail", "inspection")


def test_the_cli_kinds_are_the_catalogues() -> None:
    from projections.catalogue import lifecycles

    assert tuple(lc.kind for lc in lifecycles()) == cli_read.KINDS
    assert {lc.kind for lc in lifecycles()} - {"review"} == set(KINDS) | set(PROGRAMME_KINDS)


# ---------------------------------------------------------------------- rebuild


def test_rebuild_equals_incremental_with_reviews_and_qa_in_one_log(services: Services) -> None:
    qa = services.quality
    runner = build_runner(qa, batch_size=3)
    # interleave: catch up between writes, so batches cut across lifecycles
    for write in (
        lambda: list(full_lifecycle(services.reviews, "MIX-1")),
        lambda: plan_audit(qa),
        lambda: report(services.reviews, "MIX-2", partnership="WSCP"),
        lambda: audit_to_returns(qa),
        lambda: escalate(qa, "audit", AUDIT, "return:LA"),
        lambda: audit_to_close(qa),
        lambda: open_plan(qa),
        lambda: open_concern(qa),
        lambda: complete_plan(qa),
        lambda: escalate(qa, "childofconcern", CONCERN, "gm_review"),
    ):
        write()
        runner.catch_up()
    incremental = snapshot(runner)
    kinds = {r["kind"] for r in incremental["audit_trail"]}
    assert kinds == {"review", "audit", "actionplan", "childofconcern"}
    assert {(r["kind"], r["ref"]) for r in incremental["oversight"]} == {
        ("review", "MIX-2"),
        ("actionplan", PLAN),
        ("childofconcern", CONCERN),
    }
    assert {s.lag for s in runner.status()} == {0}

    for name in runner.projections:
        runner.rebuild(name)
    assert snapshot(runner) == incremental
    big = build_runner(qa, batch_size=500)
    for name in big.projections:
        big.rebuild(name)
    assert snapshot(big) == incremental


# ------------------------------------------------------------------ verify all


def _oid(raw: Any, kind: str, ref: str) -> Any:
    from domain.qa.record import record_id

    return record_id(kind, "GSCP", ref) if raw.pg else record_id(kind, "GSCP", ref).hex


def test_verify_all_checks_qa_chains_and_names_the_tampered_record(
    settings: Settings, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    qa = services.quality
    list(full_lifecycle(services.reviews, "VER-1"))
    _whole_story(qa)
    results = {(k, r.case_ref): r for k, r in cli_read.verify_every_record(services)}
    assert set(results) == {
        ("review", "VER-1"),
        ("audit", AUDIT),
        ("actionplan", PLAN),
        ("childofconcern", CONCERN),
    }
    assert all(r.ok for r in results.values())
    assert results[("audit", AUDIT)].records == 12

    with raw_db(settings) as raw:
        # backdate the Group Manager's review of the child of concern
        oid = _oid(raw, "childofconcern", CONCERN)
        (row,) = raw.run(
            "SELECT state FROM {events} WHERE originator_id = ? AND originator_version = 2",
            (oid,),
        )
        state = json.loads(bytes(row[0]))
        state["reviewed_on"] = {"_type_": "date_iso", "_data_": "2025-03-25"}
        raw.run(
            "UPDATE {events} SET state = ? WHERE originator_id = ? AND originator_version = 2",
            (json.dumps(state).encode(), oid),
        )
        # and delete the overdue escalation of the audit's LA return
        raw.run(
            "DELETE FROM {events} WHERE originator_id = ? AND originator_version = 5",
            (_oid(raw, "audit", AUDIT),),
        )

    results = {(k, r.case_ref): r for k, r in cli_read.verify_every_record(services)}
    assert results[("review", "VER-1")].ok and results[("actionplan", PLAN)].ok
    concern = results[("childofconcern", CONCERN)]
    assert (concern.ok, concern.first_bad_version) == (False, 2)
    assert concern.reason is not None and "edited" in concern.reason
    audit = results[("audit", AUDIT)]
    assert (audit.ok, audit.first_bad_version) == (False, 5)
    assert audit.reason is not None and "record 5" in audit.reason and "deleted" in audit.reason

    ns = argparse.Namespace(ref=None, json=False)
    code = asyncio.run(cli_read.cmd_verify(ns, settings, cli_common.Output(False)))
    out = capsys.readouterr().out
    assert code == cli_common.EXIT_REJECTED
    assert f"childofconcern {CONCERN}: TAMPERED at record 2" in out
    assert f"audit {AUDIT}: TAMPERED at record 5" in out
    assert f"actionplan {PLAN}: chain intact, 7 records" in out
    assert "4 records checked: 2 TAMPERED" in out


def test_verify_all_reports_edited_qa_ciphertext(settings: Settings) -> None:
    from eventsourcing.cipher import AESCipher
    from pydantic import SecretStr

    encrypted = settings.model_copy(update={"cipher_key": SecretStr(AESCipher.create_key(16))})
    services = bootstrap(encrypted)
    try:
        open_plan(services.quality)
        plan_step(
            services.quality,
            "record_action_progress",
            date(2025, 4, 10),
            action_id="A1",
            reported_on="2025-04-10",
            status="on_track",
        )
        with raw_db(encrypted) as raw:
            oid = _oid(raw, "actionplan", PLAN)
            (row,) = raw.run(
                "SELECT state FROM {events} WHERE originator_id = ? AND originator_version = 2",
                (oid,),
            )
            blob = bytearray(bytes(row[0]))
            blob[-1] ^= 0x01
            raw.run(
                "UPDATE {events} SET state = ? WHERE originator_id = ? AND originator_version = 2",
                (bytes(blob), oid),
            )
        ((kind, result),) = cli_read.verify_every_record(services)
        assert (kind, result.case_ref, result.ok, result.first_bad_version) == (
            "actionplan",
            PLAN,
            False,
            2,
        )
        assert result.reason is not None and "decrypted" in result.reason
        # The single-record check reports it too (it used to raise while decoding).
        assert services.quality.verify("GSCP", "actionplan", PLAN) == result
    finally:
        services.close()
