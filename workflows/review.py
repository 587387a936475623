"""The review workflow: one per case, id ``review-<case ref>``.

It records the incident, then lives as long as the case: every step arrives as
a Temporal update whose validator rejects bad or out-of-order input before
anything is recorded; every open deadline is a durable timer that sends a
reminder before it and records a breach (with escalation) when it passes. The
case carries on after a breach. State always comes back from the activity that
recorded it, so the workflow never holds anything the event store does not.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Literal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.errors import DomainError
    from domain.review import (
        AgreeTermsOfReference,
        AppointReviewer,
        Deadline,
        PauseClock,
        PlanPublication,
        RecordAgencySummary,
        RecordBodiesInformed,
        RecordDecisionNotToPublish,
        RecordFinalReport,
        RecordPanelNotification,
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
        RequestAgencySummaries,
        ResumeClock,
        ReviewState,
        Stage,
        SubmitRapidReviewReport,
    )
    from domain.values import Command
    from workflows.common import execute, london_today, rejected
    from workflows.contracts import (
        BREACHED,
        NEXT_DEADLINE,
        RECORD_DEADLINE_BREACH,
        RECORD_DEADLINE_REMINDER,
        REPORT_INCIDENT,
        STAGE,
        ClockInput,
        ReportInput,
        StartReview,
        StepInput,
    )

__all__ = ["ReviewWorkflow"]


@workflow.defn(name="ReviewWorkflow")
class ReviewWorkflow:
    def __init__(self) -> None:
        self._state: ReviewState | None = None
        self._lock = asyncio.Lock()
        self._changed = False

    # ------------------------------------------------------------------- run

    @workflow.run
    async def run(self, start: StartReview) -> ReviewState:
        info = workflow.info()
        self._state = await execute(
            REPORT_INCIDENT,
            ReportInput(
                report=start.report, key=f"{info.workflow_id}/reported", today=london_today()
            ),
            ReviewState,
        )
        self._publish()
        while self._state.stage is not Stage.CLOSED:
            timer = self._next_timer()
            self._changed = False
            if timer is None:
                await workflow.wait_condition(lambda: self._changed)
                continue
            kind, deadline, at = timer
            wait = at - workflow.now()
            if wait > timedelta(0):
                try:
                    await workflow.wait_condition(lambda: self._changed, timeout=wait)
                    continue  # something changed: plan the timers again
                except TimeoutError:
                    pass
            await self._fire(kind, deadline)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    def _next_timer(self) -> tuple[Literal["remind", "breach"], Deadline, datetime] | None:
        assert self._state is not None
        best: tuple[Literal["remind", "breach"], Deadline, datetime] | None = None
        now = workflow.now()
        for d in self._state.open_deadlines():
            if d.paused_on is not None or d.breached:
                continue
            # A reminder is only worth sending while the deadline can still be met.
            if (
                not d.reminded
                and d.remind_at is not None
                and d.remind_at < d.due_at
                and d.due_at > now
            ):
                candidate: tuple[Literal["remind", "breach"], Deadline, datetime] = (
                    "remind",
                    d,
                    d.remind_at,
                )
            else:
                candidate = ("breach", d, d.due_at)
            if best is None or candidate[2] < best[2]:
                best = candidate
        return best

    async def _fire(self, kind: Literal["remind", "breach"], deadline: Deadline) -> None:
        async with self._lock:
            assert self._state is not None
            current = self._state.deadlines.get(deadline.key)
            if current is None or current != deadline:
                return  # changed while we waited for the lock: plan again
            key = (
                f"{workflow.info().workflow_id}/{kind}/{deadline.key}/{deadline.due_on.isoformat()}"
            )
            self._state = await execute(
                RECORD_DEADLINE_REMINDER if kind == "remind" else RECORD_DEADLINE_BREACH,
                ClockInput(
                    partnership=self._state.partnership,
                    case_ref=self._state.case_ref,
                    deadline=deadline.key,
                    key=key,
                    at=workflow.now(),
                ),
                ReviewState,
            )
            self._publish()

    # ----------------------------------------------------------------- steps

    async def _step(self, step: str, command: Command) -> ReviewState:
        async with self._lock:
            self._validate(command)  # re-check: another step may have landed meanwhile
            assert self._state is not None
            update = workflow.current_update_info()
            step_id = update.id if update is not None else str(workflow.uuid4())
            self._state = await execute(
                step,
                StepInput(
                    partnership=self._state.partnership,
                    case_ref=self._state.case_ref,
                    step=step,
                    command=command.model_dump(mode="json"),
                    key=f"{workflow.info().workflow_id}/{step_id}",
                    today=london_today(),
                ),
                ReviewState,
            )
            self._publish()
            return self._state

    def _validate(self, command: Command) -> None:
        if self._state is None:
            raise ApplicationError(
                "the case is still being recorded; try again", type="NotReady", non_retryable=True
            )
        try:
            self._state.check(command, london_today())
        except DomainError as e:
            raise rejected(e) from None

    def _publish(self) -> None:
        """Search attributes and memo for the Temporal UI: no personal data."""
        assert self._state is not None
        self._changed = True
        nxt = self._state.next_deadline()
        workflow.upsert_search_attributes(
            [
                STAGE.value_set(self._state.stage.value),
                BREACHED.value_set(self._state.breached),
                NEXT_DEADLINE.value_set(nxt.due_at) if nxt else NEXT_DEADLINE.value_unset(),
            ]
        )
        workflow.upsert_memo({"summary": self._state.summary()})

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
