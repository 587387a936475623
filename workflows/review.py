"""The review workflow: one per case, id ``review-<partnership>-<case ref>``.

It records the incident, then lives as long as the case on the clocked-workflow
base (``workflows.clocked``): every step arrives as a Temporal update whose
validator rejects bad or out-of-order input before anything is recorded; every
open deadline is a durable timer that sends a reminder before it and records a
breach (with escalation) when it passes. The case carries on after a breach.
State always comes back from the activity that recorded it, so the workflow
never holds anything the event store does not.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.clock import Timer
    from domain.review import (
        AgreeTermsOfReference,
        AppointReviewer,
        PauseClock,
        PlanPublication,
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
        ReviewState,
        SubmitRapidReviewReport,
    )
    from domain.values import Command
    from workflows.clocked import ClockedWorkflow
    from workflows.contracts import (
        RECORD_DEADLINE_BREACH,
        RECORD_DEADLINE_REMINDER,
        REPORT_INCIDENT,
        ClockInput,
        ReportInput,
        StartReview,
        StepInput,
    )

__all__ = ["ReviewWorkflow"]

#: Issue 8 changed the case's rules (the SIN discussion before the notification,
#: a pause with the Panel told). A step recorded before it replays under the
#: rules it was checked by: the re-check inside the step is gated on this patch.
RULES_ISSUE_8 = "review-rules-issue-8"


@workflow.defn(name="ReviewWorkflow")
class ReviewWorkflow(ClockedWorkflow[ReviewState]):
    STATE = ReviewState
    WHAT = "case"
    RULES_PATCH = RULES_ISSUE_8

    @workflow.run
    async def run(self, start: StartReview) -> ReviewState | None:
        return await self._live(start)

    @workflow.update
    async def open(self, start: StartReview) -> ReviewState:
        """Record the opening (a client's update-with-start); refused: nothing recorded."""
        return await self._open(start)

    @open.validator
    def _v_open(self, start: StartReview) -> None:
        self._validate_open(start)

    def _open_call(self, start: StartReview) -> tuple[str, ReportInput]:
        key = f"{workflow.info().workflow_id}/reported"
        return REPORT_INCIDENT, ReportInput(report=start.report, key=key, today=self._today())

    def _clock_key(self, timer: Timer) -> str:
        # The review's keys since its first release: one reminder and one breach per due day.
        return (
            f"{workflow.info().workflow_id}/{timer.kind}/{timer.clock}/{timer.due_on.isoformat()}"
        )

    def _clock_call(self, timer: Timer, key: str) -> tuple[str, ClockInput]:
        assert self._state is not None
        name = RECORD_DEADLINE_REMINDER if timer.kind == "remind" else RECORD_DEADLINE_BREACH
        return name, ClockInput(
            partnership=self._state.partnership,
            case_ref=self._state.case_ref,
            deadline=timer.clock,
            key=key,
            at=workflow.now(),
        )

    def _step_input(self, step: str, command: Command, key: str) -> Any:
        assert self._state is not None
        return StepInput(
            partnership=self._state.partnership,
            case_ref=self._state.case_ref,
            step=step,
            command=command.model_dump(mode="json"),
            key=key,
            today=self._today(),
        )

    # ----------------------------------------------------------------- query

    @workflow.query
    def state(self) -> ReviewState | None:
        """The case as the workflow last recorded it (None until the report is recorded)."""
        return self._state

    # --------------------------------------------------------------- updates
    # One update per lifecycle step. Each validator rejects out-of-order or
    # invalid input before it enters history; nothing is recorded on rejection.

    @workflow.update
    async def record_panel_notification(self, c: RecordPanelNotification) -> ReviewState:
        return await self._step("record_panel_notification", c)

    @record_panel_notification.validator
    def _v_panel_notification(self, c: RecordPanelNotification) -> None:
        self._validate(c)

    @workflow.update
    async def record_partners_informed(self, c: RecordPartnersInformed) -> ReviewState:
        return await self._step("record_partners_informed", c)

    @record_partners_informed.validator
    def _v_partners_informed(self, c: RecordPartnersInformed) -> None:
        self._validate(c)

    @workflow.update
    async def record_sos_ofsted_notification(self, c: RecordSosOfstedNotification) -> ReviewState:
        return await self._step("record_sos_ofsted_notification", c)

    @record_sos_ofsted_notification.validator
    def _v_sos_ofsted(self, c: RecordSosOfstedNotification) -> None:
        self._validate(c)

    @workflow.update
    async def record_threshold_decision(self, c: RecordThresholdDecision) -> ReviewState:
        return await self._step("record_threshold_decision", c)

    @record_threshold_decision.validator
    def _v_threshold(self, c: RecordThresholdDecision) -> None:
        self._validate(c)

    @workflow.update
    async def request_agency_summaries(self, c: RequestAgencySummaries) -> ReviewState:
        return await self._step("request_agency_summaries", c)

    @request_agency_summaries.validator
    def _v_request_summaries(self, c: RequestAgencySummaries) -> None:
        self._validate(c)

    @workflow.update
    async def record_agency_summary(self, c: RecordAgencySummary) -> ReviewState:
        return await self._step("record_agency_summary", c)

    @record_agency_summary.validator
    def _v_agency_summary(self, c: RecordAgencySummary) -> None:
        self._validate(c)

    @workflow.update
    async def record_rapid_review_meeting(self, c: RecordRapidReviewMeeting) -> ReviewState:
        return await self._step("record_rapid_review_meeting", c)

    @record_rapid_review_meeting.validator
    def _v_meeting(self, c: RecordRapidReviewMeeting) -> None:
        self._validate(c)

    @workflow.update
    async def record_rapid_review_decision(self, c: RecordRapidReviewDecision) -> ReviewState:
        return await self._step("record_rapid_review_decision", c)

    @record_rapid_review_decision.validator
    def _v_decision(self, c: RecordRapidReviewDecision) -> None:
        self._validate(c)

    @workflow.update
    async def submit_rapid_review_report(self, c: SubmitRapidReviewReport) -> ReviewState:
        return await self._step("submit_rapid_review_report", c)

    @submit_rapid_review_report.validator
    def _v_report(self, c: SubmitRapidReviewReport) -> None:
        self._validate(c)

    @workflow.update
    async def record_panel_response(self, c: RecordPanelResponse) -> ReviewState:
        return await self._step("record_panel_response", c)

    @record_panel_response.validator
    def _v_panel_response(self, c: RecordPanelResponse) -> None:
        self._validate(c)

    @workflow.update
    async def appoint_reviewer(self, c: AppointReviewer) -> ReviewState:
        return await self._step("appoint_reviewer", c)

    @appoint_reviewer.validator
    def _v_reviewer(self, c: AppointReviewer) -> None:
        self._validate(c)

    @workflow.update
    async def agree_terms_of_reference(self, c: AgreeTermsOfReference) -> ReviewState:
        return await self._step("agree_terms_of_reference", c)

    @agree_terms_of_reference.validator
    def _v_tor(self, c: AgreeTermsOfReference) -> None:
        self._validate(c)

    @workflow.update
    async def record_bodies_informed(self, c: RecordBodiesInformed) -> ReviewState:
        return await self._step("record_bodies_informed", c)

    @record_bodies_informed.validator
    def _v_bodies(self, c: RecordBodiesInformed) -> None:
        self._validate(c)

    @workflow.update
    async def record_progress_checkpoint(self, c: RecordProgressCheckpoint) -> ReviewState:
        return await self._step("record_progress_checkpoint", c)

    @record_progress_checkpoint.validator
    def _v_checkpoint(self, c: RecordProgressCheckpoint) -> None:
        self._validate(c)

    @workflow.update
    async def pause_clock(self, c: PauseClock) -> ReviewState:
        return await self._step("pause_clock", c)

    @pause_clock.validator
    def _v_pause(self, c: PauseClock) -> None:
        self._validate(c)

    @workflow.update
    async def resume_clock(self, c: ResumeClock) -> ReviewState:
        return await self._step("resume_clock", c)

    @resume_clock.validator
    def _v_resume(self, c: ResumeClock) -> None:
        self._validate(c)

    @workflow.update
    async def record_final_report(self, c: RecordFinalReport) -> ReviewState:
        return await self._step("record_final_report", c)

    @record_final_report.validator
    def _v_final(self, c: RecordFinalReport) -> None:
        self._validate(c)

    @workflow.update
    async def plan_publication(self, c: PlanPublication) -> ReviewState:
        return await self._step("plan_publication", c)

    @plan_publication.validator
    def _v_plan(self, c: PlanPublication) -> None:
        self._validate(c)

    @workflow.update
    async def record_report_sent(self, c: RecordReportSent) -> ReviewState:
        return await self._step("record_report_sent", c)

    @record_report_sent.validator
    def _v_sent(self, c: RecordReportSent) -> None:
        self._validate(c)

    @workflow.update
    async def record_publication(self, c: RecordPublication) -> ReviewState:
        return await self._step("record_publication", c)

    @record_publication.validator
    def _v_published(self, c: RecordPublication) -> None:
        self._validate(c)

    @workflow.update
    async def record_decision_not_to_publish(self, c: RecordDecisionNotToPublish) -> ReviewState:
        return await self._step("record_decision_not_to_publish", c)

    @record_decision_not_to_publish.validator
    def _v_not_published(self, c: RecordDecisionNotToPublish) -> None:
        self._validate(c)

    @workflow.update
    async def record_recommendations(self, c: RecordRecommendations) -> ReviewState:
        return await self._step("record_recommendations", c)

    @record_recommendations.validator
    def _v_recommendations(self, c: RecordRecommendations) -> None:
        self._validate(c)

    # Issue 8: new steps (new update handlers; no existing command sequence changes).

    @workflow.update
    async def record_withdrawal(self, c: RecordWithdrawal) -> ReviewState:
        return await self._step("record_withdrawal", c)

    @record_withdrawal.validator
    def _v_withdrawal(self, c: RecordWithdrawal) -> None:
        self._validate(c)

    @workflow.update
    async def record_delay(self, c: RecordDelay) -> ReviewState:
        return await self._step("record_delay", c)

    @record_delay.validator
    def _v_delay(self, c: RecordDelay) -> None:
        self._validate(c)

    @workflow.update
    async def record_challenge_reply(self, c: RecordChallengeReply) -> ReviewState:
        return await self._step("record_challenge_reply", c)

    @record_challenge_reply.validator
    def _v_challenge_reply(self, c: RecordChallengeReply) -> None:
        self._validate(c)

    @workflow.update
    async def record_panel_request(self, c: RecordPanelRequest) -> ReviewState:
        return await self._step("record_panel_request", c)

    @record_panel_request.validator
    def _v_panel_request(self, c: RecordPanelRequest) -> None:
        self._validate(c)

    @workflow.update
    async def record_information_sent(self, c: RecordInformationSent) -> ReviewState:
        return await self._step("record_information_sent", c)

    @record_information_sent.validator
    def _v_information_sent(self, c: RecordInformationSent) -> None:
        self._validate(c)
