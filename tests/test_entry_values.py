"""Every date, number and text is checked where it enters (issue 11, bad input).

The cases the fault run found: dates the working-day calendar cannot count (which
made an activity retry for ever and wedged the case), a bare number read as a Unix
timestamp, name-like child references, a summary received before it was asked for,
and control characters in free text. Each is refused naming the field and the rule,
and nothing is recorded.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.action_plan import RecordActionEvidence
from domain.audit import PlanAudit, RecordModeration, RequestReturns
from domain.calendar import WorkingDayCalendar
from domain.errors import RuleViolation
from domain.review import COMMANDS, ReportIncident
from domain.values import FIRST_DAY, LAST_DAY, Actor, invalid_input
from qa_engine.access_log import AccessLogService
from qa_engine.bootstrap import bootstrap
from qa_engine.calendar import england_and_wales
from qa_engine.config import Settings
from qa_engine.partnerships import PartnershipService
from qa_engine.reviews import ReviewService
from qa_engine.store import ACCESS_STORE, store_env
from tests.conftest import actor, sqlite_settings
from tests.lifecycle import AWARE, report, step
from tests.review_data import report as report_cmd
from tests.wf_helpers import start_case, today_of
from tests.wf_helpers import step as wf_step

ACTOR = actor()


def refused(model: type[Any], data: dict[str, Any]) -> tuple[str, str, str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate({"actor": ACTOR, **data})
    return invalid_input(caught.value)


def review_refused(step_name: str, **data: Any) -> tuple[str, str, str]:
    return refused(COMMANDS[step_name], data)


def report_data(**kw: Any) -> dict[str, Any]:
    return {
        "case_ref": "GSCP-2026-014",
        "partnership": "GSCP",
        "incident_on": "2026-05-03",
        "aware_on": "2026-05-05",
        "child_refs": ["C-40213"],
        "abuse_or_neglect": True,
        "harm": "seriously_harmed",
        **kw,
    }


def audit_data(**kw: Any) -> dict[str, Any]:
    return {
        "audit_ref": "AUD-2026-01",
        "partnership": "GSCP",
        "kind": "multi_agency_thematic",
        "theme": "neglect",
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "sample_size": 3,
        "lead": "Head of Quality",
        "agencies": ["LA"],
        **kw,
    }


# ------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (
            COMMANDS["request_agency_summaries"],
            {"requested_on": "2026-05-08", "requests": [{"agency": "LA", "due_on": "2100-01-04"}]},
            "requests.0.due_on",
        ),
        (COMMANDS["plan_publication"], {"planned_on": "2100-01-04"}, "planned_on"),
        (
            RequestReturns,
            {"requested_on": "2026-05-08", "requests": [{"agency": "LA", "due_on": "2100-01-04"}]},
            "requests.0.due_on",
        ),
        (PlanAudit, audit_data(period_start="1900-01-01"), "period_start"),
        (PlanAudit, audit_data(period_end="2100-12-31"), "period_end"),
        (ReportIncident, report_data(incident_on="1900-01-01"), "incident_on"),
        (ReportIncident, report_data(aware_on="1900-01-02"), "aware_on"),
    ],
    ids=[
        "summary-due-2100",
        "publication-2100",
        "audit-return-due-2100",
        "audit-period-1900",
        "audit-period-2100",
        "reported-1900",
        "aware-1900",
    ],
)
def test_a_day_the_calendar_cannot_count_is_refused_naming_field_and_rule(
    model: type[Any], data: dict[str, Any], field: str
) -> None:
    got_field, rule, message = refused(model, data)
    assert (got_field, rule) == (field, "date_in_calendar_range")
    assert "2013-01-01 to 2037-12-31" in message


def test_the_first_and_last_accepted_days_are_inside_the_calendar_with_room_to_plan() -> None:
    """The margins the rule promises: every deadline planned from an accepted day can
    be counted (an impact check: up to 24 months and 120 working days after a due day)."""
    cal = england_and_wales()
    assert cal.first <= FIRST_DAY - timedelta(days=180)
    assert LAST_DAY + timedelta(days=2 * 366 + 200) <= cal.last
    review_refused("record_panel_notification", notified_on=FIRST_DAY - timedelta(days=1))
    review_refused("record_panel_notification", notified_on=LAST_DAY + timedelta(days=1))
    for day in (FIRST_DAY, LAST_DAY):
        COMMANDS["record_panel_notification"].model_validate(
            {"actor": ACTOR, "notified_on": day.isoformat()}
        )


@pytest.mark.parametrize(
    "value", [1746662400, 1746662400.0, "1746662400", "20260508", "08/05/2026", True]
)
def test_a_date_is_written_yyyy_mm_dd_never_a_number(value: object) -> None:
    field, rule, message = review_refused("record_panel_notification", notified_on=value)
    assert (field, rule) == ("notified_on", "iso_date")
    assert "YYYY-MM-DD" in message


def test_a_date_and_time_is_not_a_day() -> None:
    from datetime import datetime

    assert review_refused("record_panel_notification", notified_on=datetime(2026, 5, 8)) == (
        "notified_on",
        "iso_date",
        "a day is a date (YYYY-MM-DD), not a date and time",
    )


# ---------------------------------------------------------- references, text


@pytest.mark.parametrize("ref", ["JohnSmith2015", "Ava-2019", "Jo2015", "AVA2019", "C-", "C-1A"])
def test_name_like_child_references_are_refused(ref: str) -> None:
    field, rule, message = refused(ReportIncident, report_data(child_refs=[ref]))
    assert (field, rule) == ("child_refs.0", "child_ref_pattern")
    if len(ref) > 4:
        assert ref.upper() not in message  # the refusal never repeats what may be a name


@pytest.mark.parametrize("ref", ["C-40213", "c-a0203", "X-1", "C-2031-2"])
def test_pseudonymous_child_references_are_accepted(ref: str) -> None:
    cmd = ReportIncident.model_validate({"actor": ACTOR, **report_data(child_refs=[ref])})
    assert cmd.child_refs == [ref.upper()]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Neglect \x1b[31msuspected", "001B"),  # ANSI escape
        ("criteria met\rOVERWRITTEN", "000D"),  # carriage return
        ("criteria \u202emet", "202E"),  # right-to-left override
        ("criteria \u2066met\u2069", "2066"),  # isolate
        ("nul\x00byte", "0000"),
        ("line\u2028separator", "2028"),
    ],
)
def test_free_text_with_control_or_bidi_characters_is_refused(text: str, code: str) -> None:
    field, rule, message = review_refused(
        "record_threshold_decision", met=True, decided_on="2026-05-08", rationale=text
    )
    assert (field, rule) == ("rationale", "clean_text")
    assert f"U+{code}" in message


def test_free_text_is_nfc_normalised_and_keeps_newlines_and_tabs() -> None:
    decomposed = "Cafe\u0301 meeting:\n\tneglect suspected"
    cmd = COMMANDS["record_threshold_decision"].model_validate(
        {"actor": ACTOR, "met": True, "decided_on": "2026-05-08", "rationale": decomposed}
    )
    assert cmd.rationale == "Caf\u00e9 meeting:\n\tneglect suspected"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (PlanAudit, audit_data(theme="neglect\x1b[2J"), "theme"),
        (PlanAudit, audit_data(lead="Head\u202eof Quality"), "lead"),
        (RecordModeration, {"held_on": "2026-05-08", "moderators": ["Sam\rX"]}, "moderators.0"),
        (
            COMMANDS["appoint_reviewer"],
            {"reviewer": "Dr\x07 Who", "appointed_on": "2026-05-08"},
            "reviewer",
        ),
        (
            RecordActionEvidence,
            {
                "action_id": "A1",
                "received_on": "2026-05-08",
                "evidence": "audit\x1b]8;;http://x\x07",
            },
            "evidence",
        ),
    ],
    ids=["theme", "lead", "moderator", "reviewer", "evidence"],
)
def test_every_text_field_is_cleaned(model: type[Any], data: dict[str, Any], field: str) -> None:
    assert refused(model, data)[:2] == (field, "clean_text")


def test_the_recorded_actor_is_cleaned_too() -> None:
    with pytest.raises(ValidationError) as caught:
        Actor(name="Sam\x1b[8m Patel", role="QA officer")
    assert invalid_input(caught.value)[:2] == ("name", "clean_text")


@pytest.mark.parametrize("clock", ["lcspr final report", "x" * 80, "../etc", "LCSPR"])
def test_a_clock_key_is_a_key(clock: str) -> None:
    field, rule, _ = review_refused(
        "pause_clock", clock=clock, paused_on="2026-05-08", reason="inquest", detail="inquest set"
    )
    assert (field, rule) == ("clock", "string_pattern_mismatch")


def test_numbers_are_bounded() -> None:
    assert refused(
        RecordModeration, {"held_on": "2026-05-08", "moderators": ["Sam"], "grades_changed": 10**9}
    )[:2] == (
        "grades_changed",
        "less_than_equal",
    )
    assert refused(PlanAudit, audit_data(sample_size=-1))[:2] == (
        "sample_size",
        "greater_than_equal",
    )


# ------------------------------------------------ through the service


def test_a_summary_received_before_it_was_requested_is_refused(
    service: ReviewService,
) -> None:
    report(service, "CHRONO-1")
    t = AWARE + timedelta(days=1)
    step(service, "CHRONO-1", "record_panel_notification", t, notified_on=t)
    step(
        service,
        "CHRONO-1",
        "record_threshold_decision",
        t,
        met=True,
        decided_on=t,
        rationale="criteria met",
    )
    asked = AWARE + timedelta(days=3)
    step(
        service,
        "CHRONO-1",
        "request_agency_summaries",
        asked,
        requested_on=asked,
        requests=[{"agency": "POLICE", "due_on": AWARE + timedelta(days=8)}],
    )
    before = len(service.history("GSCP", "CHRONO-1"))
    with pytest.raises(RuleViolation) as caught:
        step(
            service,
            "CHRONO-1",
            "record_agency_summary",
            asked,
            agency="POLICE",
            received_on=asked - timedelta(days=1),
        )
    assert (caught.value.field, caught.value.rule) == ("received_on", "chronology")
    assert len(service.history("GSCP", "CHRONO-1")) == before
    step(service, "CHRONO-1", "record_agency_summary", asked, agency="POLICE", received_on=asked)


def test_a_deadline_counted_past_the_calendar_is_a_rule_violation_not_a_retry(
    tmp_path: Path,
) -> None:
    """Defence behind the command rule: a calendar that ends sooner (a store whose
    holiday data ran out) makes planning fail with a RuleViolation naming the field,
    which activities never retry, and nothing is recorded."""
    full = england_and_wales()
    short = WorkingDayCalendar(
        holidays=full.holidays, first=full.first, last=date(2025, 1, 31), version="short"
    )
    settings: Settings = sqlite_settings(tmp_path)
    env = store_env(settings)
    access = AccessLogService(env=store_env(settings, ACCESS_STORE))
    partnerships = PartnershipService(env, defaults=settings.partnership_defaults)
    svc = ReviewService(env, calendar=short, access=access, partnerships=partnerships)
    try:
        report(svc, "SHORT-1")
        t = AWARE + timedelta(days=1)
        step(svc, "SHORT-1", "record_panel_notification", t, notified_on=t)
        step(
            svc,
            "SHORT-1",
            "record_threshold_decision",
            t,
            met=True,
            decided_on=t,
            rationale="criteria met",
        )
        before = len(svc.history("GSCP", "SHORT-1"))
        with pytest.raises(RuleViolation) as caught:
            step(
                svc,
                "SHORT-1",
                "request_agency_summaries",
                t,
                requested_on=t,
                requests=[{"agency": "POLICE", "due_on": date(2025, 3, 3)}],
            )
        assert (caught.value.field, caught.value.rule) == (
            "requests.0.due_on",
            "date_in_calendar_range",
        )
        assert len(svc.history("GSCP", "SHORT-1")) == before
    finally:
        svc.close()
        partnerships.close()
        access.close()


def test_report_with_a_name_like_child_ref_never_reaches_the_store(tmp_path: Path) -> None:
    services = bootstrap(sqlite_settings(tmp_path))
    try:
        with pytest.raises(ValidationError):
            report_cmd("NAMES-1", child_refs=["JohnSmith2015"])
        assert not services.reviews.exists("GSCP", "NAMES-1")
    finally:
        services.close()


# ------------------------------------------------ through the workflow


async def test_an_out_of_range_update_is_rejected_and_the_case_carries_on(
    ts_env: WorkflowEnvironment, review_worker: tuple[Client, str, ReviewService]
) -> None:
    """A client that skips validation sends raw JSON: the workflow refuses it before
    anything enters history, and the case still takes its next step (never wedged)."""
    client, queue, svc = review_worker
    t0 = await today_of(ts_env)
    ref, h = await start_case(client, queue, t0)
    await wf_step(h, "record_panel_notification", notified_on=t0)
    await wf_step(h, "record_threshold_decision", met=True, decided_on=t0, rationale="met")
    before = len(svc.history("GSCP", ref))
    raw = {
        "actor": ACTOR,
        "requested_on": t0.isoformat(),
        "requests": [{"agency": "LA", "due_on": "2100-01-04"}],
    }
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await h.execute_update("request_agency_summaries", raw)
    # The workflow's payload converter refuses it while decoding, as invalid input
    # naming the field and rule (workflows.payloads); nothing is recorded.
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidInput"
    assert cause.details[0] == {"field": "requests.0.due_on", "rule": "date_in_calendar_range"}
    assert len(svc.history("GSCP", ref)) == before
    due = t0 + timedelta(days=7)
    while due.weekday() >= 5 or not england_and_wales().is_working_day(due):
        due += timedelta(days=1)
    s = await wf_step(
        h, "request_agency_summaries", requested_on=t0, requests=[{"agency": "LA", "due_on": due}]
    )
    assert "agency_summary:LA" in s.deadlines
