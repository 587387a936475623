"""Lifecycle 1 as pure models: commands, deadlines and the case state machine.

Everything here is deterministic and free of I/O so that three callers can share
it: the aggregate (``domain.review``) applies events through ``ReviewState``; the
application service plans deadlines with ``plan_deadlines``; and the Temporal
workflow's update validators call ``ReviewState.check`` to reject bad or
out-of-order steps before anything is recorded.

The state deliberately holds no free text and no child references: it is what
the workflow carries, and workflow state must hold no personal data.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.calendar import LONDON, WorkingDayCalendar, end_of_day
from domain.errors import OutOfOrder, RuleViolation
from domain.rules import LocalVariations, RuleSet
from domain.values import AgencyCode, CaseRef, ChildRef, Command, FreeText, PartnershipCode

__all__ = [
    "COMMANDS",
    "AgreeTermsOfReference",
    "AppointReviewer",
    "Deadline",
    "PauseClock",
    "PlanPublication",
    "RecordAgencySummary",
    "RecordBodiesInformed",
    "RecordDecisionNotToPublish",
    "RecordFinalReport",
    "RecordPanelNotification",
    "RecordPanelResponse",
    "RecordPartnersInformed",
    "RecordProgressCheckpoint",
    "RecordPublication",
    "RecordRapidReviewDecision",
    "RecordRapidReviewMeeting",
    "RecordRecommendations",
    "RecordReportSent",
    "RecordSosOfstedNotification",
    "RecordThresholdDecision",
    "ReportIncident",
    "RequestAgencySummaries",
    "ResumeClock",
    "ReviewState",
    "Stage",
    "SubmitRapidReviewReport",
    "plan_deadlines",
]


class Stage(StrEnum):
    NOTIFICATION = "notification"
    LAC_DEATH_NOTIFICATION = "lac_death_notification"
    RAPID_REVIEW = "rapid_review"
    AWAITING_PANEL_RESPONSE = "awaiting_panel_response"
    LCSPR = "lcspr"
    PUBLICATION = "publication"
    CLOSED = "closed"


class Harm(StrEnum):
    DIED = "died"
    SERIOUSLY_HARMED = "seriously_harmed"


class RapidReviewDecision(StrEnum):
    NO_FURTHER_REVIEW = "no_further_review"
    LCSPR = "lcspr"
    NATIONAL_REVIEW = "national_review"


# --------------------------------------------------------------------- commands

PastDate = date


class ReportIncident(Command):
    """A serious incident notification: the case is opened."""

    case_ref: CaseRef
    partnership: PartnershipCode
    incident_on: date = Field(description="date of the incident")
    aware_on: date = Field(description="date the local authority became aware")
    child_refs: list[ChildRef] = Field(min_length=1, max_length=4)
    abuse_or_neglect: bool = Field(description="abuse or neglect known or suspected")
    harm: Harm
    looked_after: bool = False

    @model_validator(mode="after")
    def _rules(self) -> ReportIncident:
        if self.aware_on < self.incident_on:
            raise ValueError(
                "aware_on: the local authority cannot become aware before the incident"
            )
        if len(set(self.child_refs)) != len(self.child_refs):
            raise ValueError("child_refs: each child reference may appear once")
        if not self.abuse_or_neglect and not (self.looked_after and self.harm is Harm.DIED):
            raise ValueError(
                "abuse_or_neglect: a serious incident notification needs abuse or neglect known "
                "or suspected (only the death of a looked-after child is reported without it)"
            )
        return self


class RecordPanelNotification(Command):
    notified_on: date


class RecordPartnersInformed(Command):
    informed_on: date


class RecordSosOfstedNotification(Command):
    notified_on: date


class RecordThresholdDecision(Command):
    met: bool
    decided_on: date
    rationale: FreeText
    outcome_if_not_met: Literal["case_based_review", "close"] | None = None

    @model_validator(mode="after")
    def _outcome(self) -> RecordThresholdDecision:
        if self.met and self.outcome_if_not_met is not None:
            raise ValueError("outcome_if_not_met: only allowed when the threshold is not met")
        if not self.met and self.outcome_if_not_met is None:
            raise ValueError(
                "outcome_if_not_met: required when the threshold is not met "
                "(case_based_review or close)"
            )
        return self


class AgencyRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    agency: AgencyCode
    due_on: date


class RequestAgencySummaries(Command):
    requested_on: date
    requests: list[AgencyRequest] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _unique(self) -> RequestAgencySummaries:
        agencies = [r.agency for r in self.requests]
        if len(set(agencies)) != len(agencies):
            raise ValueError("requests: each agency may be asked once per request")
        for r in self.requests:
            if r.due_on < self.requested_on:
                raise ValueError(f"requests: {r.agency} is due before the request was made")
        return self


class RecordAgencySummary(Command):
    agency: AgencyCode
    received_on: date


class RecordRapidReviewMeeting(Command):
    held_on: date
    agencies_present: list[AgencyCode] = Field(min_length=1)


class RecordRapidReviewDecision(Command):
    decision: RapidReviewDecision
    decided_on: date
    rationale: FreeText


class Recommendation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    owner_agency: AgencyCode
    text: FreeText


class SubmitRapidReviewReport(Command):
    """The rapid review report goes to the Panel (with any immediate recommendations)."""

    submitted_on: date
    recommendations: list[Recommendation] = Field(
        default_factory=list,
        max_length=50,
        description="learning for agencies now, whatever the decision (OWNER=text)",
    )


class RecordPanelResponse(Command):
    response: Literal["agrees", "challenges"]
    received_on: date
    notes: FreeText | None = None


class AppointReviewer(Command):
    reviewer: Annotated[str, Field(min_length=2, max_length=120)]
    appointed_on: date


class AgreeTermsOfReference(Command):
    agreed_on: date
    lines_of_enquiry: list[FreeText] = Field(min_length=1, max_length=30)


class RecordBodiesInformed(Command):
    informed_on: date
    bodies: list[Literal["panel", "ofsted", "dfe"]] = Field(min_length=1)


class RecordProgressCheckpoint(Command):
    held_on: date
    status: Literal["on_track", "at_risk", "delayed"]
    note: FreeText | None = None


class PauseClock(Command):
    clock: str = "lcspr_final_report"
    paused_on: date
    reason: Literal["criminal_proceedings", "inquest", "other"]
    detail: FreeText


class ResumeClock(Command):
    clock: str = "lcspr_final_report"
    resumed_on: date
    note: FreeText | None = None


class RecordFinalReport(Command):
    completed_on: date


class PlanPublication(Command):
    planned_on: date


class RecordReportSent(Command):
    sent_on: date
    recipients: list[Literal["panel", "secretary_of_state"]] = Field(min_length=2)

    @model_validator(mode="after")
    def _both(self) -> RecordReportSent:
        if set(self.recipients) != {"panel", "secretary_of_state"}:
            raise ValueError(
                "recipients: the report goes to both the panel and the secretary_of_state"
            )
        return self


class RecordPublication(Command):
    published_on: date


class RecordDecisionNotToPublish(Command):
    decided_on: date
    reasons: FreeText
    improvements_published: bool


class RecordRecommendations(Command):
    recorded_on: date
    recommendations: list[Recommendation] = Field(min_length=1, max_length=50)


#: update / activity name -> command model. The names read as the domain.
COMMANDS: dict[str, type[Command]] = {
    "record_panel_notification": RecordPanelNotification,
    "record_partners_informed": RecordPartnersInformed,
    "record_sos_ofsted_notification": RecordSosOfstedNotification,
    "record_threshold_decision": RecordThresholdDecision,
    "request_agency_summaries": RequestAgencySummaries,
    "record_agency_summary": RecordAgencySummary,
    "record_rapid_review_meeting": RecordRapidReviewMeeting,
    "record_rapid_review_decision": RecordRapidReviewDecision,
    "submit_rapid_review_report": SubmitRapidReviewReport,
    "record_panel_response": RecordPanelResponse,
    "appoint_reviewer": AppointReviewer,
    "agree_terms_of_reference": AgreeTermsOfReference,
    "record_bodies_informed": RecordBodiesInformed,
    "record_progress_checkpoint": RecordProgressCheckpoint,
    "pause_clock": PauseClock,
    "resume_clock": ResumeClock,
    "record_final_report": RecordFinalReport,
    "plan_publication": PlanPublication,
    "record_report_sent": RecordReportSent,
    "record_publication": RecordPublication,
    "record_decision_not_to_publish": RecordDecisionNotToPublish,
    "record_recommendations": RecordRecommendations,
}
STEP_OF: dict[type[Command], str] = {cls: name for name, cls in COMMANDS.items()}


# -------------------------------------------------------------------- deadlines


class Deadline(BaseModel):
    """A statutory (or tracked) clock, computed once and recorded as a fact."""

    model_config = ConfigDict(extra="forbid")

    key: str
    label: str
    rule: str
    statutory: bool
    clock_start: date
    due_on: date
    due_at: datetime
    remind_at: datetime | None
    rule_set: str
    calendar_version: str
    owner_role: str
    escalate_to: list[str]
    status: Literal["open", "met", "cancelled"] = "open"
    met_on: date | None = None
    late: bool = False
    reminded: bool = False
    breached: bool = False
    breached_at: datetime | None = None
    paused_on: date | None = None

    @property
    def is_running(self) -> bool:
        return self.status == "open" and self.paused_on is None


def make_deadline(
    *,
    rules: RuleSet,
    key: str,
    start: date,
    calendar: WorkingDayCalendar,
    variations: LocalVariations,
    due_on: date | None = None,
    label_suffix: str = "",
) -> Deadline:
    """Compute a deadline (outside workflow code) so it can be recorded in an event."""
    rule = rules.clock(key)
    due = due_on if due_on is not None else rules.due_on(key, start, calendar, variations)
    remind_day = calendar.subtract_working_days(due, variations.reminder_lead_working_days)
    remind_at: datetime | None = None
    if remind_day >= min(start, due) and variations.reminder_lead_working_days > 0:
        remind_at = datetime.combine(remind_day, time(9), tzinfo=LONDON).astimezone(
            end_of_day(due).tzinfo
        )
    return Deadline(
        key=key,
        label=rule.label + label_suffix,
        rule=rule.describe() if due_on is None else "agreed due day",
        statutory=rule.statutory,
        clock_start=start,
        due_on=due,
        due_at=end_of_day(due),
        remind_at=remind_at,
        rule_set=rules.label,
        calendar_version=calendar.version,
        owner_role=rule.owner_role,
        escalate_to=list(rule.escalate_to),
    )


# ------------------------------------------------------------------------ state


class ReviewState(BaseModel):
    """The state of one review case: what the workflow carries and queries return."""

    model_config = ConfigDict(extra="forbid")

    case_ref: str
    partnership: str
    rule_set: str
    variations: LocalVariations
    calendar_version: str
    stage: Stage
    outcome: str | None = None
    version: int = 0
    incident_on: date
    aware_on: date
    reported_on: date
    child_count: int
    harm: Harm
    looked_after: bool
    notified_on: date | None = None
    partners_informed_on: date | None = None
    sos_ofsted_notified_on: date | None = None
    threshold_met: bool | None = None
    agencies: dict[str, date | None] = Field(default_factory=dict)
    meeting_on: date | None = None
    decision: RapidReviewDecision | None = None
    decision_on: date | None = None
    report_submitted_on: date | None = None
    panel_response: str | None = None
    challenges: int = 0
    reviewer_appointed_on: date | None = None
    tor_agreed_on: date | None = None
    bodies_informed: list[str] = Field(default_factory=list)
    checkpoints: int = 0
    final_report_on: date | None = None
    publication_planned_on: date | None = None
    report_sent_on: date | None = None
    published_on: date | None = None
    publication_declined: bool = False
    recommendations: int = 0
    rapid_review_recommendations: int = 0
    deadlines: dict[str, Deadline] = Field(default_factory=dict)

    # ----------------------------------------------------------------- queries

    def open_deadlines(self) -> list[Deadline]:
        return sorted(
            (d for d in self.deadlines.values() if d.status == "open"), key=lambda d: d.due_at
        )

    def next_deadline(self) -> Deadline | None:
        running = [d for d in self.open_deadlines() if d.paused_on is None]
        return running[0] if running else None

    @property
    def breached(self) -> bool:
        return any(d.breached for d in self.deadlines.values())

    def summary(self) -> str:
        """One line, no personal data: for the Temporal memo and list views."""
        nxt = self.next_deadline()
        due = f"; next: {nxt.label} due {nxt.due_on.isoformat()}" if nxt else ""
        flag = (
            "; BREACHED"
            if any(d.breached and d.status == "open" for d in self.open_deadlines())
            else ""
        )
        return f"{self.case_ref} ({self.partnership}) {self.stage.value}{due}{flag}"

    # ------------------------------------------------------------------ guards

    def check(self, command: Command, today: date) -> None:
        """Raise ``RuleViolation`` if ``command`` may not be applied now."""
        if self.stage is Stage.CLOSED:
            raise RuleViolation(
                f"case {self.case_ref} is closed ({self.outcome}); nothing more can be recorded",
                rule="case_closed",
            )
        for name, value in command:
            if isinstance(value, date) and not isinstance(value, datetime):
                if value > today and not isinstance(command, PlanPublication):
                    raise RuleViolation(
                        f"{value.isoformat()} is in the future (today is {today.isoformat()})",
                        field=name,
                        rule="no_future_dates",
                    )
                if value < self.aware_on and name != "due_on":
                    raise RuleViolation(
                        f"{value.isoformat()} is before the local authority became aware "
                        f"({self.aware_on.isoformat()})",
                        field=name,
                        rule="not_before_awareness",
                    )
        checker = getattr(self, f"_check_{STEP_OF[type(command)]}")
        checker(command, today)

    def _need_stage(self, step: str, *stages: Stage) -> None:
        if self.stage not in stages:
            wanted = " or ".join(s.value for s in stages)
            raise OutOfOrder(
                f"{step} is only possible at stage {wanted}; case {self.case_ref} is at "
                f"stage {self.stage.value}",
                rule="stage_order",
            )

    def _check_record_panel_notification(self, c: RecordPanelNotification, today: date) -> None:
        self._need_stage("the Panel notification", Stage.NOTIFICATION)
        if self.notified_on is not None:
            raise RuleViolation("the Panel notification is already recorded", rule="once_only")

    def _check_record_partners_informed(self, c: RecordPartnersInformed, today: date) -> None:
        if self.partners_informed_on is not None:
            raise RuleViolation("the partners are already recorded as informed", rule="once_only")
        if "partners_informed" not in self.deadlines:
            raise OutOfOrder("this case has no partners-informed clock", rule="stage_order")

    def _check_record_sos_ofsted_notification(
        self, c: RecordSosOfstedNotification, today: date
    ) -> None:
        if "sos_ofsted_notification" not in self.deadlines:
            raise RuleViolation(
                "only the death of a looked-after child is notified to the Secretary of State "
                "and Ofsted",
                rule="lac_death_only",
            )
        if self.sos_ofsted_notified_on is not None:
            raise RuleViolation(
                "the Secretary of State and Ofsted are already notified", rule="once_only"
            )

    def _check_record_threshold_decision(self, c: RecordThresholdDecision, today: date) -> None:
        self._need_stage("the threshold decision", Stage.NOTIFICATION)
        if self.notified_on is None:
            raise OutOfOrder(
                "the threshold decision follows the Panel notification; "
                "record the notification first",
                rule="notify_before_threshold",
            )
        if c.decided_on < self.notified_on:
            raise RuleViolation(
                "the threshold decision cannot predate the Panel notification",
                field="decided_on",
                rule="chronology",
            )

    def _check_request_agency_summaries(self, c: RequestAgencySummaries, today: date) -> None:
        self._need_stage("requesting agency summaries", Stage.RAPID_REVIEW)
        for r in c.requests:
            if r.agency in self.agencies and self.agencies[r.agency] is None:
                raise RuleViolation(
                    f"{r.agency} already has an outstanding summary request",
                    field="requests",
                    rule="one_open_request_per_agency",
                )

    def _check_record_agency_summary(self, c: RecordAgencySummary, today: date) -> None:
        self._need_stage("receiving an agency summary", Stage.RAPID_REVIEW)
        if c.agency not in self.agencies:
            raise OutOfOrder(
                f"no summary was requested from {c.agency}", field="agency", rule="requested_first"
            )
        if self.agencies[c.agency] is not None:
            raise RuleViolation(f"{c.agency}'s summary is already received", rule="once_only")

    def _check_record_rapid_review_meeting(self, c: RecordRapidReviewMeeting, today: date) -> None:
        self._need_stage("the rapid review meeting", Stage.RAPID_REVIEW)
        if not self.agencies:
            raise OutOfOrder(
                "request agency summaries before the rapid review meeting", rule="summaries_first"
            )

    def _check_record_rapid_review_decision(
        self, c: RecordRapidReviewDecision, today: date
    ) -> None:
        self._need_stage("the rapid review decision", Stage.RAPID_REVIEW)
        if self.meeting_on is None:
            raise OutOfOrder(
                "the decision is made at the rapid review meeting; record it first",
                rule="meeting_first",
            )
        if self.decision is not None:
            raise RuleViolation("the decision is already recorded", rule="once_only")
        if c.decided_on < self.meeting_on:
            raise RuleViolation(
                "the decision cannot predate the meeting", field="decided_on", rule="chronology"
            )

    def _check_submit_rapid_review_report(self, c: SubmitRapidReviewReport, today: date) -> None:
        self._need_stage("submitting the rapid review report", Stage.RAPID_REVIEW)
        if self.decision is None or self.decision_on is None:
            raise OutOfOrder(
                "the rapid review report carries the decision; record the decision first",
                rule="decision_first",
            )
        if c.submitted_on < self.decision_on:
            raise RuleViolation(
                "the report cannot predate the decision", field="submitted_on", rule="chronology"
            )

    def _check_record_panel_response(self, c: RecordPanelResponse, today: date) -> None:
        self._need_stage("the Panel's response", Stage.AWAITING_PANEL_RESPONSE)
        if c.response == "challenges" and not c.notes:
            raise RuleViolation(
                "a challenge needs the Panel's notes", field="notes", rule="challenge_reasons"
            )

    def _check_appoint_reviewer(self, c: AppointReviewer, today: date) -> None:
        self._need_stage("appointing a reviewer", Stage.LCSPR)

    def _check_agree_terms_of_reference(self, c: AgreeTermsOfReference, today: date) -> None:
        self._need_stage("agreeing terms of reference", Stage.LCSPR)
        if self.reviewer_appointed_on is None:
            raise OutOfOrder(
                "appoint the reviewer before agreeing terms of reference", rule="reviewer_first"
            )

    def _check_record_bodies_informed(self, c: RecordBodiesInformed, today: date) -> None:
        self._need_stage("informing the Panel, Ofsted and DfE", Stage.LCSPR, Stage.PUBLICATION)

    def _check_record_progress_checkpoint(self, c: RecordProgressCheckpoint, today: date) -> None:
        self._need_stage("a progress checkpoint", Stage.LCSPR)

    def _check_pause_clock(self, c: PauseClock, today: date) -> None:
        d = self.deadlines.get(c.clock)
        if d is None or d.status != "open":
            raise RuleViolation(
                f"there is no open clock {c.clock!r} to pause", field="clock", rule="open_clock"
            )
        if d.paused_on is not None:
            raise RuleViolation(
                f"clock {c.clock!r} is already paused", field="clock", rule="already_paused"
            )

    def _check_resume_clock(self, c: ResumeClock, today: date) -> None:
        d = self.deadlines.get(c.clock)
        if d is None or d.paused_on is None:
            raise RuleViolation(
                f"clock {c.clock!r} is not paused", field="clock", rule="not_paused"
            )
        if c.resumed_on < d.paused_on:
            raise RuleViolation(
                "a clock cannot resume before it was paused", field="resumed_on", rule="chronology"
            )

    def _check_record_final_report(self, c: RecordFinalReport, today: date) -> None:
        self._need_stage("the final report", Stage.LCSPR)
        if self.tor_agreed_on is None:
            raise OutOfOrder(
                "the final report needs a reviewer and agreed terms of reference",
                rule="terms_of_reference_first",
            )
        d = self.deadlines.get("lcspr_final_report")
        if d is not None and d.paused_on is not None:
            raise OutOfOrder(
                "the LCSPR clock is paused; resume it before recording the final report",
                rule="clock_paused",
            )

    def _check_plan_publication(self, c: PlanPublication, today: date) -> None:
        self._need_stage("planning publication", Stage.PUBLICATION)
        if self.published_on is not None or self.publication_declined:
            raise RuleViolation("publication is already decided", rule="once_only")
        if self.report_sent_on is None and c.planned_on <= today:
            raise RuleViolation(
                "the planned publication date must be in the future",
                field="planned_on",
                rule="future_publication",
            )

    def _check_record_report_sent(self, c: RecordReportSent, today: date) -> None:
        self._need_stage("sending the final report", Stage.PUBLICATION)
        if self.report_sent_on is not None:
            raise RuleViolation("the report is already recorded as sent", rule="once_only")

    def _check_record_publication(self, c: RecordPublication, today: date) -> None:
        self._need_stage("publication", Stage.PUBLICATION)
        if self.report_sent_on is None:
            raise OutOfOrder(
                "send the final report to the Panel and the Secretary of State before publishing",
                rule="notice_before_publication",
            )
        if self.published_on is not None or self.publication_declined:
            raise RuleViolation("publication is already decided", rule="once_only")
        if c.published_on < self.report_sent_on:
            raise RuleViolation(
                "publication cannot predate the notice", field="published_on", rule="chronology"
            )

    def _check_record_decision_not_to_publish(
        self, c: RecordDecisionNotToPublish, today: date
    ) -> None:
        self._need_stage("a decision not to publish", Stage.PUBLICATION)
        if self.published_on is not None or self.publication_declined:
            raise RuleViolation("publication is already decided", rule="once_only")

    def _check_record_recommendations(self, c: RecordRecommendations, today: date) -> None:
        self._need_stage("recording recommendations", Stage.PUBLICATION)
        if self.published_on is None and not self.publication_declined:
            raise OutOfOrder(
                "record publication (or the decision not to publish) first",
                rule="publication_first",
            )

    # --------------------------------------------------------------- mutations
    # Called only by the aggregate's events: they set state from the event's
    # arguments (and deadlines computed before the event was triggered).

    def open(self, deadlines: list[Deadline]) -> None:
        for d in deadlines:
            self.deadlines[d.key] = d

    def meet(self, key: str, on: date) -> None:
        d = self.deadlines.get(key)
        if d is not None and d.status == "open":
            d.status, d.met_on, d.late = "met", on, on > d.due_on
            if not d.late:
                # Recorded after the timer fired, but done in time: the breach alert
                # stays in the history; the deadline itself was met.
                d.breached = False

    def cancel_open(self) -> list[str]:
        keys = []
        for d in self.deadlines.values():
            if d.status == "open":
                d.status = "cancelled"
                keys.append(d.key)
        return keys

    def close(self, outcome: str) -> None:
        self.stage, self.outcome = Stage.CLOSED, outcome
        self.cancel_open()

    def apply(self, step: str, command: Command, opened: list[Deadline]) -> None:
        """Apply an accepted step: called by the aggregate's event."""
        getattr(self, f"_on_{step}")(command)
        self.open(opened)

    def _on_record_panel_notification(self, c: RecordPanelNotification) -> None:
        self.notified_on = c.notified_on
        self.meet("panel_notification", c.notified_on)

    def _on_record_partners_informed(self, c: RecordPartnersInformed) -> None:
        self.partners_informed_on = c.informed_on
        self.meet("partners_informed", c.informed_on)

    def _on_record_sos_ofsted_notification(self, c: RecordSosOfstedNotification) -> None:
        self.sos_ofsted_notified_on = c.notified_on
        self.meet("sos_ofsted_notification", c.notified_on)
        if self.stage is Stage.LAC_DEATH_NOTIFICATION:
            self.close("looked-after child death notified to the Secretary of State and Ofsted")

    def _on_record_threshold_decision(self, c: RecordThresholdDecision) -> None:
        self.threshold_met = c.met
        if c.met:
            self.stage = Stage.RAPID_REVIEW
        elif c.outcome_if_not_met == "case_based_review":
            self.close("threshold not met: non-statutory multi-agency case-based review")
        else:
            self.close("threshold not met: closed with reasons")

    def _on_request_agency_summaries(self, c: RequestAgencySummaries) -> None:
        for r in c.requests:
            self.agencies[r.agency] = None

    def _on_record_agency_summary(self, c: RecordAgencySummary) -> None:
        self.agencies[c.agency] = c.received_on
        self.meet(f"agency_summary:{c.agency}", c.received_on)

    def _on_record_rapid_review_meeting(self, c: RecordRapidReviewMeeting) -> None:
        self.meeting_on = c.held_on

    def _on_record_rapid_review_decision(self, c: RecordRapidReviewDecision) -> None:
        self.decision, self.decision_on = c.decision, c.decided_on

    def _on_submit_rapid_review_report(self, c: SubmitRapidReviewReport) -> None:
        self.report_submitted_on = c.submitted_on
        # A report resubmitted after a challenge replaces the earlier one's list.
        self.rapid_review_recommendations = len(c.recommendations)
        self.meet("rapid_review", c.submitted_on)
        self.stage = Stage.AWAITING_PANEL_RESPONSE

    def _on_record_panel_response(self, c: RecordPanelResponse) -> None:
        self.panel_response = c.response
        self.meet("panel_response", c.received_on)
        if c.response == "challenges":
            # The decision is reopened: a revised decision and report are needed.
            self.challenges += 1
            self.stage, self.decision, self.decision_on = Stage.RAPID_REVIEW, None, None
            self.report_submitted_on = None
        elif self.decision is RapidReviewDecision.LCSPR:
            self.stage = Stage.LCSPR
        elif self.decision is RapidReviewDecision.NATIONAL_REVIEW:
            self.close("referred for a national review; the Panel agreed")
        else:
            self.close("no further review; the Panel agreed")

    def _on_appoint_reviewer(self, c: AppointReviewer) -> None:
        self.reviewer_appointed_on = c.appointed_on

    def _on_agree_terms_of_reference(self, c: AgreeTermsOfReference) -> None:
        self.tor_agreed_on = c.agreed_on

    def _on_record_bodies_informed(self, c: RecordBodiesInformed) -> None:
        self.bodies_informed = sorted(set(self.bodies_informed) | set(c.bodies))

    def _on_record_progress_checkpoint(self, c: RecordProgressCheckpoint) -> None:
        self.checkpoints += 1
        self.meet("lcspr_checkpoint", c.held_on)

    def _on_pause_clock(self, c: PauseClock) -> None:
        self.deadlines[c.clock].paused_on = c.paused_on

    def _on_resume_clock(self, c: ResumeClock) -> None:
        # The resumed deadline arrives in ``opened``, replacing the paused one.
        self.deadlines[c.clock].paused_on = None

    def _on_record_final_report(self, c: RecordFinalReport) -> None:
        self.final_report_on = c.completed_on
        self.meet("lcspr_final_report", c.completed_on)
        d = self.deadlines.get("lcspr_checkpoint")
        if d is not None and d.status == "open":
            d.status = "cancelled"
        self.stage = Stage.PUBLICATION

    def _on_plan_publication(self, c: PlanPublication) -> None:
        self.publication_planned_on = c.planned_on

    def _on_record_report_sent(self, c: RecordReportSent) -> None:
        self.report_sent_on = c.sent_on
        self.meet("publication_notice", c.sent_on)

    def _on_record_publication(self, c: RecordPublication) -> None:
        self.published_on = c.published_on
        if self.publication_planned_on is None:
            self.publication_planned_on = c.published_on

    def _on_record_decision_not_to_publish(self, c: RecordDecisionNotToPublish) -> None:
        self.publication_declined = True
        d = self.deadlines.get("publication_notice")
        if d is not None and d.status == "open":
            d.status = "cancelled"

    def _on_record_recommendations(self, c: RecordRecommendations) -> None:
        self.recommendations += len(c.recommendations)
        self.close("published" if self.published_on else "not published; reasons recorded")

    # ------------------------------------------------------- timer-driven facts

    def on_reminder(self, key: str) -> None:
        self.deadlines[key].reminded = True

    def on_breach(self, key: str, at: datetime) -> None:
        d = self.deadlines[key]
        d.breached, d.breached_at, d.reminded = True, at, True


def initial_state(
    c: ReportIncident,
    *,
    rule_set: str,
    variations: LocalVariations,
    calendar_version: str,
    reported_on: date,
) -> ReviewState:
    lac_death_only = c.looked_after and c.harm is Harm.DIED and not c.abuse_or_neglect
    return ReviewState(
        case_ref=c.case_ref,
        partnership=c.partnership,
        rule_set=rule_set,
        variations=variations,
        calendar_version=calendar_version,
        stage=Stage.LAC_DEATH_NOTIFICATION if lac_death_only else Stage.NOTIFICATION,
        incident_on=c.incident_on,
        aware_on=c.aware_on,
        reported_on=reported_on,
        child_count=len(c.child_refs),
        harm=c.harm,
        looked_after=c.looked_after,
    )


def plan_report_deadlines(
    c: ReportIncident, rules: RuleSet, calendar: WorkingDayCalendar, variations: LocalVariations
) -> list[Deadline]:
    """Deadlines opened by the incident report."""
    kw: dict[str, Any] = {"rules": rules, "calendar": calendar, "variations": variations}
    opened = []
    lac_death = c.looked_after and c.harm is Harm.DIED
    if c.abuse_or_neglect:
        opened.append(make_deadline(key="panel_notification", start=c.aware_on, **kw))
        opened.append(make_deadline(key="partners_informed", start=c.aware_on, **kw))
    if lac_death:
        opened.append(make_deadline(key="sos_ofsted_notification", start=c.incident_on, **kw))
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
    if isinstance(command, RecordThresholdDecision) and command.met:
        assert state.notified_on is not None
        start = {
            "notification": state.notified_on,
            "incident": state.incident_on,
            "awareness": state.aware_on,
        }[v.rapid_review_clock_from.value]
        return [make_deadline(key="rapid_review", start=start, **kw)]
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
    if isinstance(command, SubmitRapidReviewReport):
        return [make_deadline(key="panel_response", start=command.submitted_on, **kw)]
    if (
        isinstance(command, RecordPanelResponse)
        and command.response == "agrees"
        and state.decision is RapidReviewDecision.LCSPR
        and state.decision_on is not None
    ):
        return [
            make_deadline(key="lcspr_final_report", start=state.decision_on, **kw),
            _checkpoint(state.decision_on, **kw),
        ]
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
