"""The rules a step must pass before it is recorded: one function per command type.

Called by the aggregate before it triggers an event and by the workflow's update
validators (so a refused step never enters Temporal's history). Typed dispatch:
``CHECKS`` maps each command class to its rule; a command without one is a bug.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from domain import chronology
from domain.errors import OutOfOrder, RuleViolation
from domain.review.commands import (
    COMMANDS,
    AgreeTermsOfReference,
    AppointReviewer,
    PauseClock,
    PlanPublication,
    RapidReviewDecision,
    RecordAgencySummary,
    RecordBodiesInformed,
    RecordChallengeReply,
    RecordDecisionNotToPublish,
    RecordDelay,
    RecordFinalReport,
    RecordInformationSent,
    RecordPanelNotification,
    RecordPanelRequest,
    RecordPanelResponse,
    RecordPartnersInformed,
    RecordProgressCheckpoint,
    RecordPublication,
    RecordRapidReviewDecision,
    RecordRapidReviewMeeting,
    RecordRecommendations,
    RecordReportSent,
    RecordSosOfstedNotification,
    RecordThresholdDecision,
    RecordWithdrawal,
    RequestAgencySummaries,
    ResumeClock,
    SubmitRapidReviewReport,
)
from domain.review.stages import Stage
from domain.values import Command

if TYPE_CHECKING:
    from domain.review.state import ReviewState

__all__ = ["CHECKS", "check"]


def check(s: ReviewState, command: Command, today: date, *, before_issue_8: bool = False) -> None:
    """Raise ``RuleViolation`` if ``command`` may not be applied to ``s`` now.

    ``before_issue_8``: the rules as they were before issue 8 (the Panel notified
    before the threshold decision; a pause without the Panel told), only for a
    workflow replaying steps it recorded then (``workflow.patched`` gate)."""
    if s.stage is Stage.CLOSED:
        raise RuleViolation(
            f"case {s.case_ref} is closed ({s.outcome}); nothing more can be recorded",
            rule="case_closed",
        )
    for name, value in command:
        if isinstance(value, date) and not isinstance(value, datetime):
            if value > today and not isinstance(command, PlanPublication) and name != "due_on":
                raise RuleViolation(
                    f"{value.isoformat()} is in the future (today is {today.isoformat()})",
                    field=name,
                    rule="no_future_dates",
                )
            if value < s.aware_on and name != "due_on":
                raise RuleViolation(
                    f"{value.isoformat()} is before the local authority became aware "
                    f"({s.aware_on.isoformat()})",
                    field=name,
                    rule="not_before_awareness",
                )
    if before_issue_8:
        _before_issue_8(s, command)
        if isinstance(command, (RecordThresholdDecision, PauseClock)):
            return
    CHECKS[type(command)](s, command, today)
    if not before_issue_8:
        in_order(s, command)


#: command -> (its date field, the earlier fact it depends on, that fact's name)
_ORDER: chronology.Order = {
    RecordPanelNotification: [("notified_on", "threshold_decided_on", "the SIN discussion")],
    RecordRapidReviewMeeting: [("held_on", "summaries_requested_on", "the summary requests")],
    RecordPanelResponse: [("received_on", "report_submitted_on", "the rapid review report")],
    AppointReviewer: [("appointed_on", "decision_on", "the decision to initiate the LCSPR")],
    AgreeTermsOfReference: [("agreed_on", "reviewer_appointed_on", "the reviewer's appointment")],
    RecordBodiesInformed: [("informed_on", "decision_on", "the decision to initiate the LCSPR")],
    RecordProgressCheckpoint: [("held_on", "decision_on", "the decision to initiate the LCSPR")],
    RecordFinalReport: [("completed_on", "tor_agreed_on", "the terms of reference")],
    RecordReportSent: [("sent_on", "final_report_on", "the final report")],
    PlanPublication: [("planned_on", "final_report_on", "the final report")],
    RecordDecisionNotToPublish: [("decided_on", "final_report_on", "the final report")],
    RecordRecommendations: [
        ("recorded_on", "published_on", "publication"),
        ("recorded_on", "publication_declined_on", "the decision not to publish"),
    ],
}


def in_order(s: ReviewState, command: Command) -> None:
    """Every date in order (issue 8): a step's date never precedes the facts it
    depends on. Names the field and the rule ``chronology``."""
    chronology.in_order(s, command, _ORDER)


def _before_issue_8(s: ReviewState, command: Command) -> None:
    """The two rules issue 8 replaced, as they were (for replay only)."""
    if isinstance(command, RecordThresholdDecision):
        _need_stage(s, "the threshold decision", Stage.NOTIFICATION)
        if s.notified_on is None:
            raise OutOfOrder(
                "the threshold decision follows the Panel notification; record the "
                "notification first",
                rule="notify_before_threshold",
            )
        if command.decided_on < s.notified_on:
            raise RuleViolation(
                "the threshold decision cannot predate the Panel notification",
                field="decided_on",
                rule="chronology",
            )
    if isinstance(command, PauseClock):
        _pause_clock(s, command.model_copy(update={"panel_told_on": command.paused_on}), s.aware_on)


def _need_stage(s: ReviewState, step: str, *stages: Stage) -> None:
    if s.stage not in stages:
        wanted = " or ".join(st.value for st in stages)
        raise OutOfOrder(
            f"{step} is only possible at stage {wanted}; case {s.case_ref} is at "
            f"stage {s.stage.value}",
            rule="stage_order",
        )


def _record_panel_notification(s: ReviewState, c: RecordPanelNotification, today: date) -> None:
    _need_stage(s, "the Panel notification", Stage.NOTIFICATION)
    if s.notified_on is not None:
        raise RuleViolation("the Panel notification is already recorded", rule="once_only")


def _record_partners_informed(s: ReviewState, c: RecordPartnersInformed, today: date) -> None:
    if s.partners_informed_on is not None:
        raise RuleViolation("the partners are already recorded as informed", rule="once_only")
    if "partners_informed" not in s.deadlines:
        raise OutOfOrder("this case has no partners-informed clock", rule="stage_order")


def _record_sos_ofsted_notification(
    s: ReviewState, c: RecordSosOfstedNotification, today: date
) -> None:
    if "sos_ofsted_notification" not in s.deadlines:
        raise RuleViolation(
            "only the death of a looked-after child is notified to the Secretary of State "
            "and Ofsted",
            rule="lac_death_only",
        )
    if s.sos_ofsted_notified_on is not None:
        raise RuleViolation(
            "the Secretary of State and Ofsted are already notified", rule="once_only"
        )


def _record_threshold_decision(s: ReviewState, c: RecordThresholdDecision, today: date) -> None:
    # The SIN discussion decides whether to notify: it comes first (Working Together
    # 2023 ch. 5). Cases that notified first (before issue 8) may still record it.
    _need_stage(s, "the SIN discussion's decision", Stage.NOTIFICATION)
    if s.threshold_met is not None:
        raise RuleViolation("the SIN discussion's decision is already recorded", rule="once_only")
    if s.notified_on is not None and not c.met:
        raise RuleViolation(
            "the Panel is already notified: the rapid review is automatic; record a withdrawal "
            "(criteria not met after all, with reasons) instead",
            field="met",
            rule="withdraw_after_notification",
        )


def _record_withdrawal(s: ReviewState, c: RecordWithdrawal, today: date) -> None:
    _need_stage(s, "a withdrawal", Stage.RAPID_REVIEW)
    assert s.notified_on is not None
    if c.withdrawn_on < s.notified_on:
        raise RuleViolation(
            f"a withdrawal cannot predate the Panel notification ({s.notified_on.isoformat()})",
            field="withdrawn_on",
            rule="chronology",
        )


def _record_delay(s: ReviewState, c: RecordDelay, today: date) -> None:
    d = s.deadlines.get(c.clock)
    if d is None or d.status != "open" or not d.statutory:
        raise RuleViolation(
            f"there is no open statutory clock {c.clock!r} to record a delay on",
            field="clock",
            rule="open_clock",
        )
    if c.reported_on < d.clock_start:
        raise RuleViolation(
            f"a delay cannot be reported before its clock started ({d.clock_start.isoformat()})",
            field="reported_on",
            rule="chronology",
        )


def _request_agency_summaries(s: ReviewState, c: RequestAgencySummaries, today: date) -> None:
    _need_stage(s, "requesting agency summaries", Stage.RAPID_REVIEW)
    for r in c.requests:
        if r.agency in s.agencies and s.agencies[r.agency] is None:
            raise RuleViolation(
                f"{r.agency} already has an outstanding summary request",
                field="requests",
                rule="one_open_request_per_agency",
            )


def _record_agency_summary(s: ReviewState, c: RecordAgencySummary, today: date) -> None:
    _need_stage(s, "receiving an agency summary", Stage.RAPID_REVIEW)
    if c.agency not in s.agencies:
        raise OutOfOrder(
            f"no summary was requested from {c.agency}", field="agency", rule="requested_first"
        )
    if s.agencies[c.agency] is not None:
        raise RuleViolation(f"{c.agency}'s summary is already received", rule="once_only")
    requested = s.deadlines.get(f"agency_summary:{c.agency}")
    if requested is not None and c.received_on < requested.clock_start:
        raise RuleViolation(
            f"{c.agency}'s summary cannot arrive before it was requested "
            f"({requested.clock_start.isoformat()})",
            field="received_on",
            rule="chronology",
        )


def _record_rapid_review_meeting(s: ReviewState, c: RecordRapidReviewMeeting, today: date) -> None:
    _need_stage(s, "the rapid review meeting", Stage.RAPID_REVIEW)
    if not s.agencies:
        raise OutOfOrder(
            "request agency summaries before the rapid review meeting", rule="summaries_first"
        )


def _record_rapid_review_decision(
    s: ReviewState, c: RecordRapidReviewDecision, today: date
) -> None:
    _need_stage(s, "the rapid review decision", Stage.RAPID_REVIEW)
    if s.meeting_on is None:
        raise OutOfOrder(
            "the decision is made at the rapid review meeting; record it first",
            rule="meeting_first",
        )
    if s.decision is not None:
        raise RuleViolation("the decision is already recorded", rule="once_only")
    if c.decided_on < s.meeting_on:
        raise RuleViolation(
            "the decision cannot predate the meeting", field="decided_on", rule="chronology"
        )


def _submit_rapid_review_report(s: ReviewState, c: SubmitRapidReviewReport, today: date) -> None:
    if s.stage is Stage.AWAITING_PANEL_RESPONSE and s.challenges and not s.challenged:
        return  # a revised report after the partners replied to a challenge
    _need_stage(s, "submitting the rapid review report", Stage.RAPID_REVIEW)
    if s.decision is None or s.decision_on is None:
        raise OutOfOrder(
            "the rapid review report carries the decision; record the decision first",
            rule="decision_first",
        )
    if c.submitted_on < s.decision_on:
        raise RuleViolation(
            "the report cannot predate the decision", field="submitted_on", rule="chronology"
        )


def _record_panel_response(s: ReviewState, c: RecordPanelResponse, today: date) -> None:
    _need_stage(s, "the Panel's response", Stage.AWAITING_PANEL_RESPONSE)
    if s.challenged:
        raise OutOfOrder(
            "the Panel's challenge awaits the partners' reply (maintain or change the "
            "decision); record it first",
            rule="reply_first",
        )
    if c.response == "challenges" and not c.notes:
        raise RuleViolation(
            "a challenge needs the Panel's notes", field="notes", rule="challenge_reasons"
        )


def _record_challenge_reply(s: ReviewState, c: RecordChallengeReply, today: date) -> None:
    _need_stage(s, "the partners' reply to a challenge", Stage.AWAITING_PANEL_RESPONSE)
    if not s.challenged:
        raise OutOfOrder("the Panel has not challenged the decision", rule="challenge_first")
    if c.reply == "change" and c.decision is s.decision:
        raise RuleViolation(
            f"the decision is already {c.decision}; reply maintain to keep it",
            field="decision",
            rule="changed_decision",
        )
    if s.report_submitted_on is not None and c.replied_on < s.report_submitted_on:
        raise RuleViolation(
            "the reply cannot predate the rapid review report",
            field="replied_on",
            rule="chronology",
        )


def _record_panel_request(s: ReviewState, c: RecordPanelRequest, today: date) -> None:
    if s.notified_on is None:
        raise OutOfOrder(
            "the Panel's requests follow its notification; record the notification first",
            rule="notify_first",
        )
    if c.request == "national_review":
        _need_stage(
            s,
            "a national review",
            Stage.AWAITING_PANEL_RESPONSE,
            Stage.LCSPR,
            Stage.PUBLICATION,
        )
        return
    d = s.deadlines.get("panel_information")
    if d is not None and d.status == "open":
        raise RuleViolation(
            "the Panel's earlier request for information is still open",
            field="request",
            rule="one_open_request",
        )


def _record_information_sent(s: ReviewState, c: RecordInformationSent, today: date) -> None:
    d = s.deadlines.get("panel_information")
    if d is None or d.status != "open":
        raise OutOfOrder("the Panel has no open request for information", rule="requested_first")
    if c.sent_on < d.clock_start:
        raise RuleViolation(
            f"the information cannot be sent before the Panel asked ({d.clock_start})",
            field="sent_on",
            rule="chronology",
        )


def _need_lcspr(s: ReviewState, step: str, *more: Stage) -> None:
    """LCSPR steps: at the LCSPR stage, or already while the Panel's answer is awaited
    when the partners decided on an LCSPR (the LCSPR may start before it)."""
    if s.stage is Stage.AWAITING_PANEL_RESPONSE and s.decision is RapidReviewDecision.LCSPR:
        return
    _need_stage(s, step, Stage.LCSPR, *more)


def _appoint_reviewer(s: ReviewState, c: AppointReviewer, today: date) -> None:
    _need_lcspr(s, "appointing a reviewer")


def _agree_terms_of_reference(s: ReviewState, c: AgreeTermsOfReference, today: date) -> None:
    _need_lcspr(s, "agreeing terms of reference")
    if s.reviewer_appointed_on is None:
        raise OutOfOrder(
            "appoint the reviewer before agreeing terms of reference", rule="reviewer_first"
        )


def _record_bodies_informed(s: ReviewState, c: RecordBodiesInformed, today: date) -> None:
    _need_lcspr(s, "informing the Panel, Ofsted and DfE", Stage.PUBLICATION)


def _record_progress_checkpoint(s: ReviewState, c: RecordProgressCheckpoint, today: date) -> None:
    _need_lcspr(s, "a progress checkpoint")


def _pause_clock(s: ReviewState, c: PauseClock, today: date) -> None:
    d = s.deadlines.get(c.clock)
    if d is None or d.status != "open":
        raise RuleViolation(
            f"there is no open clock {c.clock!r} to pause", field="clock", rule="open_clock"
        )
    if not d.pausable:
        raise RuleViolation(
            f"clock {c.clock!r} ({d.label}) may not pause: the guidance lets only the LCSPR "
            "and publication clocks pause",
            field="clock",
            rule="clock_not_pausable",
        )
    if d.paused_on is not None:
        raise RuleViolation(
            f"clock {c.clock!r} is already paused", field="clock", rule="already_paused"
        )
    if c.panel_told_on is None:
        raise RuleViolation(
            "a pause is recorded with the date the national Panel was told",
            field="panel_told_on",
            rule="panel_told",
        )


def _resume_clock(s: ReviewState, c: ResumeClock, today: date) -> None:
    d = s.deadlines.get(c.clock)
    if d is None or d.paused_on is None:
        raise RuleViolation(f"clock {c.clock!r} is not paused", field="clock", rule="not_paused")
    if c.resumed_on < d.paused_on:
        raise RuleViolation(
            "a clock cannot resume before it was paused", field="resumed_on", rule="chronology"
        )


def _record_final_report(s: ReviewState, c: RecordFinalReport, today: date) -> None:
    _need_stage(s, "the final report", Stage.LCSPR)
    if s.tor_agreed_on is None:
        raise OutOfOrder(
            "the final report needs a reviewer and agreed terms of reference",
            rule="terms_of_reference_first",
        )
    d = s.deadlines.get("lcspr_final_report")
    if d is not None and d.paused_on is not None:
        raise OutOfOrder(
            "the LCSPR clock is paused; resume it before recording the final report",
            rule="clock_paused",
        )


def _plan_publication(s: ReviewState, c: PlanPublication, today: date) -> None:
    _need_stage(s, "planning publication", Stage.PUBLICATION)
    if s.published_on is not None or s.publication_declined:
        raise RuleViolation("publication is already decided", rule="once_only")
    if s.report_sent_on is None and c.planned_on <= today:
        raise RuleViolation(
            "the planned publication date must be in the future",
            field="planned_on",
            rule="future_publication",
        )


def _record_report_sent(s: ReviewState, c: RecordReportSent, today: date) -> None:
    _need_stage(s, "sending the final report", Stage.PUBLICATION)
    if s.report_sent_on is not None:
        raise RuleViolation("the report is already recorded as sent", rule="once_only")


def _record_publication(s: ReviewState, c: RecordPublication, today: date) -> None:
    _need_stage(s, "publication", Stage.PUBLICATION)
    if s.report_sent_on is None:
        raise OutOfOrder(
            "send the final report to the Panel and the Secretary of State before publishing",
            rule="notice_before_publication",
        )
    if s.published_on is not None or s.publication_declined:
        raise RuleViolation("publication is already decided", rule="once_only")
    if c.published_on < s.report_sent_on:
        raise RuleViolation(
            "publication cannot predate the notice", field="published_on", rule="chronology"
        )
    d = s.deadlines.get("publication")
    if d is not None and d.paused_on is not None:
        raise OutOfOrder(
            "the publication clock is paused; resume it before recording publication",
            rule="clock_paused",
        )


def _record_decision_not_to_publish(
    s: ReviewState, c: RecordDecisionNotToPublish, today: date
) -> None:
    _need_stage(s, "a decision not to publish", Stage.PUBLICATION)
    if s.published_on is not None or s.publication_declined:
        raise RuleViolation("publication is already decided", rule="once_only")


def _record_recommendations(s: ReviewState, c: RecordRecommendations, today: date) -> None:
    _need_stage(s, "recording recommendations", Stage.PUBLICATION)
    if s.published_on is None and not s.publication_declined:
        raise OutOfOrder(
            "record publication (or the decision not to publish) first",
            rule="publication_first",
        )


#: command class -> its rule (every command has exactly one)
CHECKS: dict[type[Any], Callable[[ReviewState, Any, date], None]] = {
    RecordPanelNotification: _record_panel_notification,
    RecordPartnersInformed: _record_partners_informed,
    RecordThresholdDecision: _record_threshold_decision,
    RequestAgencySummaries: _request_agency_summaries,
    RecordAgencySummary: _record_agency_summary,
    RecordRapidReviewMeeting: _record_rapid_review_meeting,
    SubmitRapidReviewReport: _submit_rapid_review_report,
    RecordPanelResponse: _record_panel_response,
    AppointReviewer: _appoint_reviewer,
    AgreeTermsOfReference: _agree_terms_of_reference,
    RecordBodiesInformed: _record_bodies_informed,
    RecordProgressCheckpoint: _record_progress_checkpoint,
    PauseClock: _pause_clock,
    ResumeClock: _resume_clock,
    RecordFinalReport: _record_final_report,
    PlanPublication: _plan_publication,
    RecordReportSent: _record_report_sent,
    RecordPublication: _record_publication,
    RecordRecommendations: _record_recommendations,
    RecordSosOfstedNotification: _record_sos_ofsted_notification,
    RecordRapidReviewDecision: _record_rapid_review_decision,
    RecordDecisionNotToPublish: _record_decision_not_to_publish,
    RecordWithdrawal: _record_withdrawal,
    RecordDelay: _record_delay,
    RecordChallengeReply: _record_challenge_reply,
    RecordPanelRequest: _record_panel_request,
    RecordInformationSent: _record_information_sent,
}

if set(CHECKS) != set(COMMANDS.values()):  # pragma: no cover - a programming error
    raise TypeError(f"commands without a rule: {set(COMMANDS.values()) ^ set(CHECKS)}")
