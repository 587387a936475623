"""Deadline planning: which clocks a step opens, computed before its event is triggered.

Runs in the application service (never in workflow code) with the partnership's
rule set and the working-day calendar; the result is recorded in the event, so a
later change to the holiday table or the rules never changes a recorded deadline.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.calendar import WorkingDayCalendar, end_of_day
from domain.review.commands import (
    PlanPublication,
    RapidReviewDecision,
    RecordChallengeReply,
    RecordPanelNotification,
    RecordPanelRequest,
    RecordPanelResponse,
    RecordProgressCheckpoint,
    RecordPublication,
    RecordThresholdDecision,
    ReportIncident,
    RequestAgencySummaries,
    ResumeClock,
    SubmitRapidReviewReport,
)
from domain.review.state import Deadline, ReviewState, make_deadline
from domain.rules import LocalVariations, RuleSet
from domain.values import Command

__all__ = ["plan_deadlines", "plan_report_deadlines", "settle_backdated"]


def settle_backdated(opened: list[Deadline], today: date) -> list[Deadline]:
    """Facts first, then clocks (issue 8): a clock opened after its reminder or due
    day had passed (a case or step entered after the event) is judged from the end
    of the recording day, so the facts entered that day are recorded before it
    reminds or breaches."""
    settle = end_of_day(today)
    for d in opened:
        if d.due_on < today or (
            d.remind_at is not None and d.remind_at < settle - timedelta(days=1)
        ):
            d.judge_from = settle
    return opened


def plan_report_deadlines(
    c: ReportIncident, rules: RuleSet, calendar: WorkingDayCalendar, variations: LocalVariations
) -> list[Deadline]:
    """Deadlines opened by the incident report."""
    kw: dict[str, Any] = {"rules": rules, "calendar": calendar, "variations": variations}
    opened = []
    if c.abuse_or_neglect:
        opened.append(make_deadline(key="panel_notification", start=c.aware_on, **kw))
        opened.append(make_deadline(key="partners_informed", start=c.aware_on, **kw))
    if c.notice_to_sos_and_ofsted:
        # 5 working days from the local authority becoming aware, not from the death.
        opened.append(make_deadline(key="sos_ofsted_notification", start=c.aware_on, **kw))
    return opened


def plan_deadlines(
    state: ReviewState,
    command: Command,
    rules: RuleSet,
    calendar: WorkingDayCalendar,
) -> list[Deadline]:
    """The deadlines ``command`` opens (or replaces), computed before the event is triggered."""
    v = state.variations
    kw: dict[str, Any] = {"rules": rules, "calendar": calendar, "variations": v}
    # The rapid review clock opens when both facts are in: the SIN discussion found
    # the criteria met, and the Panel was notified (whichever is recorded second).
    if isinstance(command, RecordThresholdDecision) and command.met:
        if state.notified_on is None:
            return []
        return [_rapid_review(state, state.notified_on, **kw)]
    if isinstance(command, RecordPanelNotification) and state.threshold_met:
        return [_rapid_review(state, command.notified_on, **kw)]
    if isinstance(command, RequestAgencySummaries):
        return [
            make_deadline(
                key=f"agency_summary:{r.agency}",
                start=command.requested_on,
                due_on=r.due_on,
                label_suffix=f" ({r.agency})",
                **kw,
            )
            for r in command.requests
        ]
    # Completion and publication are two clocks, both from the partners' decision to
    # initiate the LCSPR; the LCSPR may start before the Panel's answer, and a
    # challenge never moves the start (Working Together 2023 ch. 5).
    lcspr_open = "lcspr_final_report" in state.deadlines
    if isinstance(command, SubmitRapidReviewReport):
        opened = [make_deadline(key="panel_response", start=command.submitted_on, **kw)]
        if state.decision is RapidReviewDecision.LCSPR and state.decision_on and not lcspr_open:
            opened += _lcspr(state.decision_on, **kw)
        return opened
    if isinstance(command, RecordPanelRequest) and command.due_on is not None:
        return [
            make_deadline(
                key="panel_information", start=command.received_on, due_on=command.due_on, **kw
            )
        ]
    if isinstance(command, RecordChallengeReply):
        opened = [make_deadline(key="panel_response", start=command.replied_on, **kw)]
        if command.decision is RapidReviewDecision.LCSPR and not lcspr_open:
            opened += _lcspr(command.replied_on, **kw)
        return opened
    if (
        isinstance(command, RecordPanelResponse)
        and command.response == "agrees"
        and state.decision is RapidReviewDecision.LCSPR
        and state.decision_on is not None
        and not lcspr_open  # a case that submitted its report before issue 8
    ):
        return _lcspr(state.decision_on, **kw)
    if isinstance(command, RecordProgressCheckpoint):
        return [_checkpoint(command.held_on, **kw)]
    if isinstance(command, ResumeClock):
        paused = state.deadlines[command.clock]
        assert paused.paused_on is not None
        if rules.clock(command.clock).kind.value == "calendar_months":
            new_due = paused.due_on + (command.resumed_on - paused.paused_on)
        else:
            lost = calendar.working_days_between(paused.paused_on, command.resumed_on)
            new_due = calendar.add_working_days(paused.due_on, lost)
        resumed = make_deadline(key=command.clock, start=paused.clock_start, due_on=new_due, **kw)
        resumed.rule = (
            f"{paused.rule}, extended by the pause {paused.paused_on} to {command.resumed_on}"
        )
        return [resumed]
    if isinstance(command, PlanPublication) or (
        isinstance(command, RecordPublication) and "publication_notice" not in state.deadlines
    ):
        # Counted back from the (planned) publication day. If the report has
        # already gone, the notice clock is born met: on time or late.
        planned = (
            command.planned_on if isinstance(command, PlanPublication) else command.published_on
        )
        notice = make_deadline(key="publication_notice", start=planned, **kw)
        if state.report_sent_on is not None:
            notice.status, notice.met_on = "met", state.report_sent_on
            notice.late = state.report_sent_on > notice.due_on
        return [notice]
    return []


def _lcspr(
    decided_on: date,
    *,
    rules: RuleSet,
    calendar: WorkingDayCalendar,
    variations: LocalVariations,
) -> list[Deadline]:
    kw: dict[str, Any] = {"rules": rules, "calendar": calendar, "variations": variations}
    return [
        make_deadline(key="lcspr_final_report", start=decided_on, **kw),
        make_deadline(key="publication", start=decided_on, **kw),
        _checkpoint(decided_on, **kw),
    ]


def _rapid_review(
    state: ReviewState,
    notified_on: date,
    *,
    rules: RuleSet,
    calendar: WorkingDayCalendar,
    variations: LocalVariations,
) -> Deadline:
    start = {
        "notification": notified_on,
        "incident": state.incident_on,
        "awareness": state.aware_on,
    }[variations.rapid_review_clock_from.value]
    return make_deadline(
        key="rapid_review", start=start, rules=rules, calendar=calendar, variations=variations
    )


def _checkpoint(
    after: date, *, rules: RuleSet, calendar: WorkingDayCalendar, variations: LocalVariations
) -> Deadline:
    due = after + timedelta(weeks=variations.lcspr_checkpoint_weeks)
    while not calendar.is_working_day(due):
        due += timedelta(days=1)
    return make_deadline(
        rules=rules,
        key="lcspr_checkpoint",
        start=after,
        due_on=due,
        calendar=calendar,
        variations=variations,
    )
