"""Given/when/then on the review case aggregate: events emitted, state rebuilt from them."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from domain.chain import ChainBreak, verify_chain
from domain.errors import OutOfOrder, RuleViolation
from domain.review import Stage, plan_deadlines, plan_report_deadlines
from domain.review.aggregate import ReviewCase, review_id
from domain.rules import LocalVariations, rule_set
from qa_engine.calendar import england_and_wales
from tests.review_data import cmd, path_to_lcspr, report

CAL, RULES, VAR = england_and_wales(), rule_set("wt2023"), LocalVariations()
D = date(2025, 4, 11)


def given_reported(**kw: object) -> ReviewCase:
    r = report(aware=D, **kw)  # type: ignore[arg-type]
    return ReviewCase.report(
        r,
        key="k/report",
        rule_set=RULES.label,
        variations=VAR,
        calendar_version=CAL.version,
        reported_on=D,
        opened=plan_report_deadlines(r, RULES, CAL, VAR),
    )


def when(case: ReviewCase, step: str, command: object, key: str, today: date = D) -> None:
    case.state.check(command, today)  # type: ignore[arg-type]
    opened = plan_deadlines(case.state, command, RULES, CAL)  # type: ignore[arg-type]
    case.record(command, key=key, today=today, opened=opened)  # type: ignore[arg-type]


def rebuilt(case: ReviewCase) -> ReviewCase:
    events = case.collect_events()
    copy = None
    for ev in events:
        copy = ev.mutate(copy)
    assert copy is not None
    return copy


def test_reporting_opens_notification_clocks() -> None:
    case = given_reported()
    assert case.id == review_id("GSCP", "GSCP-2025-001")
    assert case.state.stage is Stage.NOTIFICATION
    # Fri 11 April 2025 + 5 working days, over Good Friday and Easter Monday
    assert case.state.deadlines["panel_notification"].due_on == date(2025, 4, 22)
    assert case.state.deadlines["panel_notification"].calendar_version == CAL.version
    assert case.state.deadlines["panel_notification"].rule_set == "wt2023@2"
    assert [type(e).__name__ for e in case.pending_events] == ["IncidentReported"]


def test_threshold_met_opens_rapid_review_counted_from_notification() -> None:
    case = given_reported()
    when(
        case,
        "record_panel_notification",
        cmd("record_panel_notification", notified_on=date(2025, 4, 14)),
        "k1",
        today=date(2025, 4, 14),
    )
    when(
        case,
        "record_threshold_decision",
        cmd(
            "record_threshold_decision",
            met=True,
            decided_on=date(2025, 4, 14),
            rationale="criteria met",
        ),
        "k2",
        today=date(2025, 4, 14),
    )
    assert case.state.stage is Stage.RAPID_REVIEW
    assert case.state.deadlines["rapid_review"].due_on == date(2025, 5, 8)
    assert rebuilt(case).state == case.state


def test_local_variation_counts_rapid_review_from_the_incident() -> None:
    r = report(aware=D)
    v = LocalVariations(rapid_review_clock_from="incident")
    case = ReviewCase.report(
        r,
        key="k",
        rule_set=RULES.label,
        variations=v,
        calendar_version=CAL.version,
        reported_on=D,
        opened=plan_report_deadlines(r, RULES, CAL, v),
    )
    when(case, "record_panel_notification", cmd("record_panel_notification", notified_on=D), "k1")
    when(
        case,
        "record_threshold_decision",
        cmd("record_threshold_decision", met=True, decided_on=D, rationale="criteria met"),
        "k2",
    )
    dl = case.state.deadlines["rapid_review"]
    assert dl.clock_start == r.incident_on
    assert dl.due_on == CAL.add_working_days(r.incident_on, 15)


def test_out_of_order_step_is_rejected_and_records_nothing() -> None:
    case = given_reported()
    case.collect_events()
    with pytest.raises(OutOfOrder, match="rapid review meeting") as err:
        when(
            case,
            "record_rapid_review_meeting",
            cmd("record_rapid_review_meeting", held_on=D, agencies_present=["LA"]),
            "k",
        )
    assert err.value.rule == "stage_order"
    assert case.pending_events == []
    assert case.state.stage is Stage.NOTIFICATION


def test_future_dates_are_rejected_naming_the_field() -> None:
    case = given_reported()
    with pytest.raises(RuleViolation) as err:
        when(
            case,
            "record_panel_notification",
            cmd("record_panel_notification", notified_on=date(2025, 4, 20)),
            "k",
        )
    assert (err.value.field, err.value.rule) == ("notified_on", "no_future_dates")


def test_bad_input_names_the_field() -> None:
    with pytest.raises(ValidationError, match="child_refs"):
        report(child_refs=["Jane Smith"])
    with pytest.raises(ValidationError, match="at most 200"):
        report(child_refs=[f"C-{i}" for i in range(1, 202)])
    with pytest.raises(ValidationError, match="abuse_or_neglect"):
        report(abuse_or_neglect=False)
    with pytest.raises(ValidationError, match="aware_on"):
        report(incident_on=date(2025, 5, 1))
    with pytest.raises(ValidationError, match="outcome_if_not_met"):
        cmd("record_threshold_decision", met=False, decided_on=D, rationale="not met here")


def test_looked_after_child_death_without_abuse_goes_to_sos_and_ofsted_only() -> None:
    case = given_reported(abuse_or_neglect=False, looked_after=True, harm="died")
    assert case.state.stage is Stage.LAC_DEATH_NOTIFICATION
    assert set(case.state.deadlines) == {"sos_ofsted_notification"}
    when(
        case,
        "record_sos_ofsted_notification",
        cmd("record_sos_ofsted_notification", notified_on=D),
        "k1",
    )
    assert case.state.stage is Stage.CLOSED
    with pytest.raises(RuleViolation, match="closed"):
        when(
            case, "record_panel_notification", cmd("record_panel_notification", notified_on=D), "k2"
        )


def test_a_challenge_keeps_the_decision_and_its_date_until_the_partners_reply() -> None:
    case = given_reported()
    for i, (step, c) in enumerate(path_to_lcspr(D)[:-1]):
        when(case, step, c, f"k{i}")
    # the LCSPR started with the report, before the Panel's answer
    start = case.state.deadlines["lcspr_final_report"].clock_start
    when(
        case,
        "record_panel_response",
        cmd(
            "record_panel_response",
            response="challenges",
            received_on=D,
            notes="Consider whether a national review fits better",
        ),
        "kc",
    )
    assert case.state.stage is Stage.AWAITING_PANEL_RESPONSE and case.state.challenged
    assert case.state.decision_on == D and case.state.challenges == 1
    with pytest.raises(OutOfOrder, match="reply") as err:
        when(
            case,
            "record_panel_response",
            cmd("record_panel_response", response="agrees", received_on=D),
            "kx",
        )
    assert err.value.rule == "reply_first"
    reply = cmd(
        "record_challenge_reply", replied_on=D, reply="maintain", rationale="local learning"
    )
    when(case, "record_challenge_reply", reply, "kr")
    when(
        case,
        "record_panel_response",
        cmd("record_panel_response", response="agrees", received_on=D),
        "ka",
    )
    assert case.state.stage is Stage.LCSPR
    assert case.state.deadlines["lcspr_final_report"].clock_start == start == D


def test_pause_and_resume_extend_the_lcspr_clock_by_the_pause() -> None:
    case = given_reported()
    for i, (step, c) in enumerate(path_to_lcspr(D)):
        when(case, step, c, f"k{i}")
    due = case.state.deadlines["lcspr_final_report"].due_on
    assert due == date(2025, 10, 11)
    later = date(2025, 6, 1)
    when(
        case,
        "pause_clock",
        cmd(
            "pause_clock",
            paused_on=date(2025, 5, 1),
            reason="inquest",
            detail="Inquest opened and adjourned",
            panel_told_on=date(2025, 5, 1),
        ),
        "kp",
        today=later,
    )
    when(case, "resume_clock", cmd("resume_clock", resumed_on=date(2025, 5, 31)), "kr", today=later)
    resumed = case.state.deadlines["lcspr_final_report"]
    assert resumed.due_on == date(2025, 11, 10)
    assert resumed.paused_on is None and "extended by the pause" in resumed.rule
    assert rebuilt(case).state == case.state


def test_every_event_is_chained_and_tampering_is_named() -> None:
    case = given_reported()
    for i, (step, c) in enumerate(path_to_lcspr(D)):
        when(case, step, c, f"k{i}")
    events = list(case.collect_events())
    assert verify_chain(events) == len(events)
    with pytest.raises(ChainBreak) as err:
        verify_chain([events[0], events[2], events[1], *events[3:]])
    assert err.value.version == 3
    with pytest.raises(ChainBreak) as err:
        verify_chain([events[0], *events[2:]])
    assert err.value.version == 3
    forged = events[4]
    object.__setattr__(forged, "agency", "ICB")
    with pytest.raises(ChainBreak, match="content") as err:
        verify_chain(events)
    assert err.value.version == 5


def _to_publication(case: ReviewCase) -> None:
    for i, (step, c) in enumerate(path_to_lcspr(D)):
        when(case, step, c, f"k{i}")
    when(
        case, "appoint_reviewer", cmd("appoint_reviewer", reviewer="Reviewer", appointed_on=D), "ka"
    )
    when(
        case,
        "agree_terms_of_reference",
        cmd("agree_terms_of_reference", agreed_on=D, lines_of_enquiry=["early help"]),
        "kt",
    )
    when(case, "record_final_report", cmd("record_final_report", completed_on=D), "kf")


@pytest.mark.parametrize(
    ("published_on", "late"),
    [(date(2025, 4, 24), False), (date(2025, 4, 17), True)],
    ids=["seven-working-days-notice", "short-notice"],
)
def test_publication_recorded_after_the_fact_keeps_the_notice_rule(
    published_on: date, late: bool
) -> None:
    case = given_reported()
    _to_publication(case)
    when(
        case,
        "record_report_sent",
        cmd("record_report_sent", sent_on=D, recipients=["panel", "secretary_of_state"]),
        "ks",
    )
    when(
        case,
        "record_publication",
        cmd("record_publication", published_on=published_on),
        "kp",
        today=published_on,
    )
    notice = case.state.deadlines["publication_notice"]
    # Fri 11 April: Thu 24 April is 7 working days later over Easter; Thu 17th is 4.
    assert notice.status == "met" and notice.late is late
    assert case.state.publication_planned_on == published_on
    assert rebuilt(case).state == case.state


def test_publication_needs_the_report_sent_first() -> None:
    case = given_reported()
    _to_publication(case)
    with pytest.raises(OutOfOrder, match="before publishing") as err:
        when(case, "record_publication", cmd("record_publication", published_on=D), "kp")
    assert err.value.rule == "notice_before_publication"
