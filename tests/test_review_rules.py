"""Issue 8: the statutory rules as the guidance writes them (Working Together 2023
ch. 5, Regulation 14 of SI 2018/789, the national Panel's practice), on the case
aggregate with the real working-day calendar. Each test fails on the rules before."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.calendar import LONDON
from domain.errors import RuleViolation
from domain.review import Stage
from domain.rules import rule_set
from tests.review_data import cmd, path_to_lcspr, report
from tests.test_review_aggregate import CAL, D, given_reported, when


def test_every_clock_names_the_guidance_it_comes_from() -> None:
    for key, rule in rule_set("wt2023").clocks.items():
        assert rule.citation, key
    case = given_reported()
    assert "Children Act 2004 s16C" in case.state.deadlines["panel_notification"].citation


def test_the_panel_response_reminds_and_never_breaches() -> None:
    case = given_reported()
    for i, (step, c) in enumerate(path_to_lcspr(D)[:-1]):
        when(case, step, c, f"k{i}")
    d = case.state.deadlines["panel_response"]
    assert d.remind_only and not d.statutory
    first = case.state.next_timer(datetime.combine(D, datetime.min.time(), tzinfo=LONDON))
    assert first is not None and first.kind == "remind"
    case.send_reminder("panel_response", key="remind")
    long_after = d.due_at + timedelta(days=60)
    timer = case.state.next_timer(long_after)
    assert timer is None or timer.clock != "panel_response"
    with pytest.raises(RuleViolation, match="never breached") as err:
        case.record_breach("panel_response", key="breach", at=long_after)
    assert err.value.rule == "remind_only"


def test_looked_after_child_notice_counts_from_awareness_not_the_death() -> None:
    # died Mon 3 March 2025; the local authority learned of it on Fri 11 April
    case = given_reported(
        abuse_or_neglect=False, looked_after=True, harm="died", incident_on=date(2025, 3, 3)
    )
    d = case.state.deadlines["sos_ofsted_notification"]
    assert d.clock_start == D
    assert d.due_on == CAL.add_working_days(D, 5) == date(2025, 4, 22)


def test_a_care_leavers_death_is_notified_too() -> None:
    case = given_reported(abuse_or_neglect=False, care_leaver=True, harm="died")
    assert case.state.care_leaver and case.state.stage is Stage.LAC_DEATH_NOTIFICATION
    assert set(case.state.deadlines) == {"sos_ofsted_notification"}
    with pytest.raises(ValidationError, match="care_leaver"):
        report(looked_after=True, care_leaver=True, harm="died")
    with pytest.raises(ValidationError, match="abuse_or_neglect"):
        report(abuse_or_neglect=False, care_leaver=True, harm="seriously_harmed")


def test_no_cap_of_four_children_per_notification() -> None:
    victims = [f"C-{40200 + i}" for i in range(9)]  # an exploitation operation
    case = given_reported(child_refs=victims)
    assert case.state.child_count == 9


def _to_publication(case: object, on: date) -> None:
    for i, (step, c) in enumerate(path_to_lcspr(D)):
        when(case, step, c, f"k{i}")  # type: ignore[arg-type]
    when(
        case, "appoint_reviewer", cmd("appoint_reviewer", reviewer="R. Okafor", appointed_on=D), "r"
    )  # type: ignore[arg-type]
    tor = cmd("agree_terms_of_reference", agreed_on=D, lines_of_enquiry=["How agencies shared"])
    when(case, "agree_terms_of_reference", tor, "t")  # type: ignore[arg-type]
    when(case, "record_final_report", cmd("record_final_report", completed_on=on), "f", on)  # type: ignore[arg-type]


def test_completion_and_publication_are_two_clocks_and_late_publication_shows_late() -> None:
    case = given_reported()
    for i, (step, c) in enumerate(path_to_lcspr(D)):
        when(case, step, c, f"k{i}")
    final, publication = (case.state.deadlines[k] for k in ("lcspr_final_report", "publication"))
    assert final.due_on == publication.due_on == date(2025, 10, 11)
    assert publication.clock_start == case.state.decision_on == D and publication.pausable
    case = given_reported()
    done = date(2025, 9, 30)
    _to_publication(case, done)
    assert case.state.deadlines["lcspr_final_report"].late is False
    ten_months = date(2026, 2, 11)
    sent = CAL.subtract_working_days(ten_months, 8)
    when(
        case,
        "record_report_sent",
        cmd("record_report_sent", sent_on=sent, recipients=["panel", "secretary_of_state"]),
        "s",
        ten_months,
    )  # type: ignore[arg-type]
    when(
        case,
        "record_publication",
        cmd("record_publication", published_on=ten_months),
        "p",
        ten_months,
    )  # type: ignore[arg-type]
    pub = case.state.deadlines["publication"]
    assert pub.status == "met" and pub.met_on == ten_months and pub.late


def test_the_publication_target_is_a_local_variation() -> None:
    from domain.rules import LocalVariations

    assert rule_set("wt2023").due_on(
        "publication", D, CAL, LocalVariations(publication_target_months=9)
    ) == date(2026, 1, 11)


def test_nothing_closes_silently_a_declined_publication_shows_not_met() -> None:
    case = given_reported()
    _to_publication(case, date(2025, 9, 30))
    day = date(2025, 10, 6)
    when(
        case,
        "record_decision_not_to_publish",
        cmd(
            "record_decision_not_to_publish",
            decided_on=day,
            reasons="the family's safety",
            improvements_published=True,
        ),
        "n",
        day,
    )  # type: ignore[arg-type]
    when(
        case,
        "record_recommendations",
        cmd(
            "record_recommendations",
            recorded_on=day,
            recommendations=[{"owner_agency": "LA", "text": "Share plans"}],
        ),
        "rec",
        day,
    )  # type: ignore[arg-type]
    assert case.state.stage is Stage.CLOSED
    statuses = {k: d.status for k, d in case.state.deadlines.items() if d.statutory}
    assert "cancelled" not in statuses.values()
    assert case.state.deadlines["publication"].not_met_because == (
        "decided not to publish; reasons recorded"
    )


SIN = {"decided_on": D, "rationale": "serious harm, neglect suspected"}
PARTNERS = ["A. Patel (LA)", "B. Jones (ICB)", "C. Reid (Police)"]


def test_the_sin_discussion_comes_first_and_records_who_decided() -> None:
    case = given_reported()
    sin = cmd("record_threshold_decision", met=True, decided_by=PARTNERS, **SIN)
    when(case, "record_threshold_decision", sin, "sin")
    # meets: the case awaits its notification; no rapid review clock before it
    assert case.state.stage is Stage.NOTIFICATION and case.state.threshold_met
    assert "rapid_review" not in case.state.deadlines
    day = date(2025, 4, 14)
    notify = cmd("record_panel_notification", notified_on=day)
    when(case, "record_panel_notification", notify, "n", day)
    assert case.state.stage is Stage.RAPID_REVIEW
    assert case.state.deadlines["rapid_review"].clock_start == day
    decided = [e for e in case.pending_events if type(e).__name__ == "ThresholdDecided"]
    assert decided[0].decided_by == PARTNERS  # type: ignore[attr-defined]


def test_a_sin_discussion_not_met_closes_and_the_notification_is_not_required() -> None:
    case = given_reported()
    no = cmd("record_threshold_decision", met=False, outcome_if_not_met="case_based_review", **SIN)
    when(case, "record_threshold_decision", no, "sin")
    d = case.state.deadlines["panel_notification"]
    assert case.state.stage is Stage.CLOSED
    assert d.status == "not_required"
    assert d.not_met_because == "the SIN discussion found the criteria not met"


def test_after_notification_only_a_recorded_withdrawal_ends_the_rapid_review() -> None:
    case = given_reported()
    when(case, "record_threshold_decision", cmd("record_threshold_decision", met=True, **SIN), "s")
    when(case, "record_panel_notification", cmd("record_panel_notification", notified_on=D), "n")
    with pytest.raises(RuleViolation) as err:
        when(
            case,
            "record_threshold_decision",
            cmd("record_threshold_decision", met=False, outcome_if_not_met="close", **SIN),
            "x",
        )
    assert err.value.rule == "once_only" or err.value.rule == "stage_order"
    # the legacy order: notified first, then a "not met" is refused: withdraw instead
    other = given_reported()
    when(other, "record_panel_notification", cmd("record_panel_notification", notified_on=D), "n")
    with pytest.raises(RuleViolation) as err:
        when(
            other,
            "record_threshold_decision",
            cmd("record_threshold_decision", met=False, outcome_if_not_met="close", **SIN),
            "x",
        )
    assert (err.value.field, err.value.rule) == ("met", "withdraw_after_notification")
    with pytest.raises(ValidationError, match="decided_by"):
        cmd("record_withdrawal", withdrawn_on=D, reasons="criteria not met after all")
    w = cmd("record_withdrawal", withdrawn_on=D, reasons="no abuse after all", decided_by=PARTNERS)
    when(case, "record_withdrawal", w, "w")
    rr = case.state.deadlines["rapid_review"]
    assert case.state.stage is Stage.CLOSED and rr.status == "not_met"
    assert rr.not_met_because == "withdrawn: the criteria were not met after all"


def test_only_lcspr_and_publication_pause_and_each_pause_records_the_panel_told() -> None:
    case = given_reported()
    for i, (step, c) in enumerate(path_to_lcspr(D)):
        when(case, step, c, f"k{i}")
    pause = {"paused_on": D, "reason": "criminal_proceedings", "detail": "trial listed"}
    with pytest.raises(RuleViolation) as err:
        when(case, "pause_clock", cmd("pause_clock", **pause), "p0")
    assert (err.value.field, err.value.rule) == ("panel_told_on", "panel_told")
    with pytest.raises(RuleViolation) as err:
        when(
            case,
            "pause_clock",
            cmd("pause_clock", clock="rapid_review", panel_told_on=D, **pause),
            "p1",
        )
    assert err.value.rule in {"clock_not_pausable", "open_clock"}
    when(
        case, "pause_clock", cmd("pause_clock", clock="publication", panel_told_on=D, **pause), "p2"
    )
    assert case.state.deadlines["publication"].paused_on == D
    told = [e for e in case.pending_events if type(e).__name__ == "ClockPaused"]
    assert told[0].panel_told_on == D  # type: ignore[attr-defined]


def test_a_non_pausable_clock_records_its_delay_and_still_breaches() -> None:
    case = given_reported()
    when(case, "record_threshold_decision", cmd("record_threshold_decision", met=True, **SIN), "s")
    when(case, "record_panel_notification", cmd("record_panel_notification", notified_on=D), "n")
    delay = cmd(
        "record_delay",
        clock="rapid_review",
        reported_on=D,
        reason="police disclosure awaited",
        panel_told=True,
    )
    when(case, "record_delay", delay, "d")
    rr = case.state.deadlines["rapid_review"]
    assert (rr.delays, rr.delays_told_to_panel, rr.paused_on) == (1, 1, None)
    timer = rr.next_timer(rr.due_at)
    assert timer is not None and (timer.clock, timer.kind) == ("rapid_review", "breach")
    case.record_breach("rapid_review", key="b", at=rr.due_at)
    assert case.state.deadlines["rapid_review"].breached
    from qa_engine.entry.cli import render_state

    shown = render_state(case.state, D)
    assert "BREACHED" in shown and "1 delay recorded (1 told the Panel)" in shown


def test_the_panel_may_ask_for_more_information_or_take_a_national_review() -> None:
    case = given_reported()
    for i, (step, c) in enumerate(path_to_lcspr(D)):
        when(case, step, c, f"k{i}")
    with pytest.raises(ValidationError, match="due_on"):
        cmd("record_panel_request", received_on=D, request="more_information")
    later = date(2025, 5, 30)
    ask = cmd("record_panel_request", received_on=D, request="more_information", due_on=later)
    when(case, "record_panel_request", ask, "ask")
    info = case.state.deadlines["panel_information"]
    assert (info.due_on, info.statutory, info.status) == (later, False, "open")
    with pytest.raises(RuleViolation) as err:
        when(case, "record_panel_request", ask, "ask-again")
    assert err.value.rule == "one_open_request"
    sent = date(2025, 5, 20)
    when(case, "record_information_sent", cmd("record_information_sent", sent_on=sent), "s", sent)
    assert case.state.deadlines["panel_information"].status == "met"
    national = cmd("record_panel_request", received_on=sent, request="national_review")
    when(case, "record_panel_request", national, "n", sent)
    assert case.state.stage is Stage.CLOSED
    for key in ("lcspr_final_report", "publication"):
        d = case.state.deadlines[key]
        assert d.status == "not_met" and "national review" in (d.not_met_because or "")


def test_every_date_in_order_naming_the_field_and_the_rule() -> None:
    case = given_reported()
    when(
        case,
        "record_threshold_decision",
        cmd("record_threshold_decision", met=True, **{**SIN, "decided_on": date(2025, 4, 14)}),
        "s",
        date(2025, 4, 14),
    )  # type: ignore[arg-type]
    with pytest.raises(RuleViolation) as err:
        when(
            case,
            "record_panel_notification",
            cmd("record_panel_notification", notified_on=D),
            "n",
            date(2025, 4, 14),
        )
    assert (err.value.field, err.value.rule) == ("notified_on", "chronology")
    assert "before the SIN discussion (2025-04-14)" in str(err.value)
    assert case.pending_events[-1].__class__.__name__ == "ThresholdDecided"
    case = given_reported()
    for i, (step, c) in enumerate(path_to_lcspr(D)):
        when(case, step, c, f"k{i}")
    with pytest.raises(RuleViolation) as err:
        when(
            case,
            "agree_terms_of_reference",
            cmd("agree_terms_of_reference", agreed_on=D, lines_of_enquiry=["x y z"]),
            "t",
        )
    assert err.value.rule == "reviewer_first" or err.value.rule == "stage_order"
    when(
        case,
        "appoint_reviewer",
        cmd("appoint_reviewer", reviewer="R. Okafor", appointed_on=date(2025, 4, 20)),
        "r",
        date(2025, 4, 20),
    )
    with pytest.raises(RuleViolation) as err:
        when(
            case,
            "agree_terms_of_reference",
            cmd(
                "agree_terms_of_reference", agreed_on=date(2025, 4, 18), lines_of_enquiry=["x y z"]
            ),
            "t",
            date(2025, 4, 20),
        )
    assert (err.value.field, err.value.rule) == ("agreed_on", "chronology")
