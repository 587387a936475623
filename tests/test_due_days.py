"""Agreed due days (audit returns, actions, review agency summaries) must be
working days: a weekend or bank holiday is rejected naming the field and the rule
``due_on_working_day``, with the next working day suggested, and nothing is
recorded. Over both event stores, and through the audit workflow's update."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.action_plan import ACTION_PLAN_COMMANDS, OpenActionPlan, OpenPlanFromReview
from domain.audit import AUDIT_COMMANDS
from domain.errors import CaseNotFound, RuleViolation
from domain.qa import next_working_day
from domain.review import COMMANDS
from qa_engine.audits import QualityService
from qa_engine.bootstrap import Services
from qa_engine.calendar import england_and_wales
from qa_engine.due_days import RULE, check_agreed_due_days
from qa_engine.reviews import ReviewService
from tests.conftest import actor
from tests.lifecycle import full_lifecycle, report, step
from tests.qa_support import SAMPLE, plan_audit, start_audit, today_of
from tests.qa_support import step as wf_step

MONDAY = date(2025, 3, 3)
SATURDAY = date(2025, 3, 15)
CHRISTMAS = date(2025, 12, 25)  # a Thursday
CALENDAR = england_and_wales()


def audit_cmd(step: str, **fields: Any) -> Any:
    return AUDIT_COMMANDS[step].model_validate({"actor": actor(), **fields})


def sampled_audit(qa: QualityService, ref: str = "AUD-DUE-1") -> str:
    qa.plan_audit(plan_audit(ref, MONDAY), key=f"{ref}/planned", today=MONDAY)
    sample = audit_cmd("draw_audit_sample", drawn_on=MONDAY, case_refs=SAMPLE)
    qa.record_audit_step(
        "GSCP", ref, "draw_audit_sample", sample, key=f"{ref}/sample", today=MONDAY
    )
    return ref


def action(due: date, agency: str = "LA") -> dict[str, Any]:
    return {"owner_agency": agency, "text": "Refresh guidance", "due_on": due,
            "success_measure": "Dip audit shows it used"}  # fmt: skip


def test_the_rule_names_the_field_and_suggests_the_next_working_day() -> None:
    weekend = audit_cmd(
        "request_audit_returns",
        requested_on=MONDAY,
        requests=[{"agency": "LA", "due_on": MONDAY + timedelta(days=7)},
                  {"agency": "ICB", "due_on": SATURDAY}],
    )  # fmt: skip
    with pytest.raises(RuleViolation) as err:
        check_agreed_due_days(weekend, CALENDAR)
    assert (err.value.field, err.value.rule) == ("requests", RULE)
    assert "the ICB audit return would be due on Saturday 2025-03-15, a weekend" in str(err.value)
    assert "Monday 2025-03-17" in str(err.value)

    holiday = OpenActionPlan.model_validate(
        {"actor": actor(), "plan_ref": "AUD-X-AP", "partnership": "GSCP", "source": "audit",
         "source_ref": "AUD-X", "opened_on": MONDAY,
         "actions": [action(date(2025, 12, 24)), action(CHRISTMAS, "ICB")]}
    )  # fmt: skip
    with pytest.raises(RuleViolation) as err:
        check_agreed_due_days(holiday, CALENDAR)
    assert (err.value.field, err.value.rule) == ("actions", RULE)
    assert "action 2 (ICB) would be due on Thursday 2025-12-25, a bank holiday" in str(err.value)
    assert f"{next_working_day(CALENDAR, CHRISTMAS).isoformat()}" in str(err.value)
    assert next_working_day(CALENDAR, CHRISTMAS) == date(2025, 12, 29)  # Boxing Day too

    # Working days pass; commands without agreed due days are not concerned.
    check_agreed_due_days(holiday.model_copy(update={"actions": holiday.actions[:1]}), CALENDAR)
    check_agreed_due_days(
        audit_cmd("record_audit_return", agency="LA", received_on=MONDAY), CALENDAR
    )


def test_audit_return_due_on_a_weekend_is_rejected_and_nothing_recorded(
    quality: QualityService,
) -> None:
    ref = sampled_audit(quality)
    before = len(quality.history("GSCP", "audit", ref))
    weekend = audit_cmd(
        "request_audit_returns",
        requested_on=MONDAY,
        requests=[{"agency": "LA", "due_on": SATURDAY}],
    )
    with pytest.raises(RuleViolation) as err:
        quality.record_audit_step(
            "GSCP", ref, "request_audit_returns", weekend, key="k1", today=MONDAY
        )
    assert (err.value.field, err.value.rule) == ("requests", RULE)
    assert len(quality.history("GSCP", "audit", ref)) == before
    monday = audit_cmd(
        "request_audit_returns",
        requested_on=MONDAY,
        requests=[{"agency": "LA", "due_on": date(2025, 3, 17)}],
    )
    s = quality.record_audit_step(
        "GSCP", ref, "request_audit_returns", monday, key="k2", today=MONDAY
    )
    assert s.clocks["return:LA"].due_on == date(2025, 3, 17)


def test_actions_due_on_a_bank_holiday_are_rejected_when_opened_and_after_impact(
    quality: QualityService,
) -> None:
    opening = {"actor": actor(), "plan_ref": "AUD-DUE-2-AP", "partnership": "GSCP",
               "source": "audit", "source_ref": "AUD-DUE-2", "opened_on": MONDAY}  # fmt: skip
    with pytest.raises(RuleViolation) as err:
        quality.open_action_plan(
            OpenActionPlan.model_validate({**opening, "actions": [action(CHRISTMAS)]}),
            key="p/opened",
            today=MONDAY,
        )
    assert (err.value.field, err.value.rule) == ("actions", RULE)
    with pytest.raises(CaseNotFound):
        quality.state("GSCP", "actionplan", "AUD-DUE-2-AP")  # nothing recorded

    due = date(2025, 3, 14)
    quality.open_action_plan(
        OpenActionPlan.model_validate({**opening, "actions": [action(due)]}),
        key="p/opened",
        today=MONDAY,
    )

    def plan_step(name: str, today: date, **fields: Any) -> Any:
        command = ACTION_PLAN_COMMANDS[name].model_validate({"actor": actor(), **fields})
        return quality.record_plan_step(
            "GSCP", "AUD-DUE-2-AP", name, command, key=f"p/{name}/{today}", today=today
        )

    plan_step("record_action_evidence", due, action_id="A1", received_on=due, evidence="done")
    p = plan_step("complete_action", due, action_id="A1", completed_on=due)
    assert p.impact_from is not None
    checked = next_working_day(CALENDAR, p.impact_from)
    before = len(quality.history("GSCP", "actionplan", "AUD-DUE-2-AP"))
    with pytest.raises(RuleViolation) as err:
        plan_step(
            "record_impact_check",
            checked,
            checked_on=checked,
            method="re_audit",
            result="not_improved",
            measure="no change in 10 files",
            new_actions=[action(CHRISTMAS)],
        )
    assert (err.value.field, err.value.rule) == ("new_actions", RULE)
    assert len(quality.history("GSCP", "actionplan", "AUD-DUE-2-AP")) == before


def test_plan_from_review_due_on_a_weekend_is_rejected(quality: QualityService) -> None:
    for _ in full_lifecycle(quality.reviews, "GSCP-DUE-1"):  # recommendations by July 2025
        pass
    after, saturday = date(2025, 12, 1), date(2025, 12, 13)
    command = OpenPlanFromReview.model_validate(
        {"actor": actor(), "case_ref": "GSCP-DUE-1", "partnership": "GSCP",
         "opened_on": after, "due_on": saturday, "success_measure": "Re-audit shows it"}
    )  # fmt: skip
    with pytest.raises(RuleViolation) as err:
        quality.open_plan_from_review(command, key="r/opened", today=after)
    assert (err.value.field, err.value.rule) == ("due_on", RULE)
    with pytest.raises(CaseNotFound):
        quality.state("GSCP", "actionplan", "GSCP-DUE-1-AP")


def test_review_agency_summary_due_on_a_weekend_is_rejected(service: ReviewService) -> None:
    ref = "GSCP-DUE-2"
    aware = date(2025, 3, 10)  # a Monday
    report(service, ref, aware=aware)
    step(service, ref, "record_panel_notification", aware, notified_on=aware)
    step(service, ref, "record_threshold_decision", aware, met=True, decided_on=aware,
         rationale="criteria met")  # fmt: skip
    before = len(service.history("GSCP", ref))
    command = COMMANDS["request_agency_summaries"].model_validate(
        {"actor": actor(), "requested_on": aware,
         "requests": [{"agency": "POLICE", "due_on": SATURDAY}]}
    )  # fmt: skip
    with pytest.raises(RuleViolation) as err:
        service.record_step("GSCP", ref, "request_agency_summaries", command, key="x", today=aware)
    assert (err.value.field, err.value.rule) == ("requests", RULE)
    assert "the POLICE agency summary would be due on Saturday 2025-03-15" in str(err.value)
    assert len(service.history("GSCP", ref)) == before


async def test_the_audit_workflow_update_fails_with_the_rule_and_records_nothing(
    ts_env: WorkflowEnvironment, qa_worker: tuple[Client, str, Services]
) -> None:
    client, queue, services = qa_worker
    t0 = await today_of(ts_env)
    ref, h = await start_audit(client, queue, t0)
    await wf_step(h, "draw_audit_sample", object, drawn_on=t0, case_refs=SAMPLE)
    day = t0 + timedelta(days=7)
    weekend = day + timedelta(days=(5 - day.weekday()) % 7)  # the Saturday on or after
    before = len(services.quality.history("GSCP", "audit", ref))
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await wf_step(
            h,
            "request_audit_returns",
            object,
            requested_on=t0,
            requests=[{"agency": "LA", "due_on": weekend}],
        )
    cause = err.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "RuleViolation"
    assert cause.details[0]["rule"] == RULE and cause.details[0]["field"] == "requests"
    assert len(services.quality.history("GSCP", "audit", ref)) == before
