"""What a person asks to record in a review case: strict input models.

Commands are validated where they enter (CLI, API, the workflow's update
validators). They are never stored: an accepted command becomes an event with
its own typed fields (``domain.review.events``), so tightening a rule here never
stops an existing case from loading.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.values import (
    AgencyCode,
    CaseRef,
    ChildRef,
    ClockKey,
    Command,
    Day,
    FreeText,
    Name,
    PartnershipCode,
    invalid,
)

__all__ = [
    "COMMANDS",
    "STEP_OF",
    "AgencyRequest",
    "AgreeTermsOfReference",
    "AppointReviewer",
    "Harm",
    "PauseClock",
    "PlanPublication",
    "RapidReviewDecision",
    "Recommendation",
    "RecordAgencySummary",
    "RecordBodiesInformed",
    "RecordChallengeReply",
    "RecordDecisionNotToPublish",
    "RecordDelay",
    "RecordFinalReport",
    "RecordInformationSent",
    "RecordPanelNotification",
    "RecordPanelRequest",
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
    "RecordWithdrawal",
    "ReportIncident",
    "RequestAgencySummaries",
    "ResumeClock",
    "SubmitRapidReviewReport",
]


class Harm(StrEnum):
    DIED = "died"
    SERIOUSLY_HARMED = "seriously_harmed"


class RapidReviewDecision(StrEnum):
    NO_FURTHER_REVIEW = "no_further_review"
    LCSPR = "lcspr"
    NATIONAL_REVIEW = "national_review"


class ReportIncident(Command):
    """A serious incident notification: the case is opened."""

    case_ref: CaseRef
    partnership: PartnershipCode
    incident_on: Day = Field(description="date of the incident")
    aware_on: Day = Field(description="date the local authority became aware")
    #: No cap of 4 (Working Together 2023 ch. 5): one notification per child who
    #: died; siblings seriously harmed together on one; an exploitation operation
    #: on one with the other victims listed. The bound only protects the store.
    child_refs: list[ChildRef] = Field(min_length=1, max_length=200)
    abuse_or_neglect: bool = Field(description="abuse or neglect known or suspected")
    harm: Harm
    looked_after: bool = False
    care_leaver: bool = Field(
        default=False, description="a care leaver aged 24 or under (their death is notified)"
    )

    @model_validator(mode="after")
    def _rules(self) -> ReportIncident:
        if self.aware_on < self.incident_on:
            raise invalid(
                "aware_on",
                "chronology",
                "the local authority cannot become aware before the incident",
            )
        if len(set(self.child_refs)) != len(self.child_refs):
            raise invalid("child_refs", "unique", "each child reference may appear once")
        if self.looked_after and self.care_leaver:
            raise invalid(
                "care_leaver",
                "looked_after_or_care_leaver",
                "a child is either looked after or a care leaver, not both",
            )
        if not self.abuse_or_neglect and not (
            (self.looked_after or self.care_leaver) and self.harm is Harm.DIED
        ):
            raise invalid(
                "abuse_or_neglect",
                "sin_criteria",
                "a serious incident notification needs abuse or neglect known "
                "or suspected (only the death of a looked-after child or a care leaver is "
                "reported without it)",
            )
        return self

    @property
    def notice_to_sos_and_ofsted(self) -> bool:
        """The death of a looked-after child or a care leaver (Working Together 2023 ch. 5)."""
        return (self.looked_after or self.care_leaver) and self.harm is Harm.DIED


class RecordPanelNotification(Command):
    notified_on: Day


class RecordPartnersInformed(Command):
    informed_on: Day


class RecordSosOfstedNotification(Command):
    notified_on: Day


class RecordThresholdDecision(Command):
    """The SIN discussion: the three safeguarding partners decide together whether
    the incident meets the serious-incident criteria (Working Together 2023 ch. 5).
    It comes before the Panel notification; recorded after it only for cases that
    notified first (the order before issue 8)."""

    met: bool
    decided_on: Day
    rationale: FreeText
    outcome_if_not_met: Literal["case_based_review", "close"] | None = None
    #: who decided (the safeguarding partners' representatives)
    decided_by: list[Name] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _outcome(self) -> RecordThresholdDecision:
        if self.met and self.outcome_if_not_met is not None:
            raise invalid(
                "outcome_if_not_met",
                "only_when_not_met",
                "only allowed when the threshold is not met",
            )
        if not self.met and self.outcome_if_not_met is None:
            raise invalid(
                "outcome_if_not_met",
                "required_when_not_met",
                "required when the threshold is not met (case_based_review or close)",
            )
        return self


class RecordWithdrawal(Command):
    """After the notification the rapid review is automatic; the only way out is a
    recorded withdrawal: the criteria were not met after all, with reasons."""

    withdrawn_on: Day
    reasons: FreeText
    decided_by: list[Name] = Field(min_length=1, max_length=10)


class RecordDelay(Command):
    """A clock that may not pause (the notification, the rapid review) runs late:
    the delay and its reason are reported to the Panel and recorded; the clock
    still breaches (Working Together 2023 ch. 5)."""

    clock: ClockKey
    reported_on: Day
    reason: FreeText
    panel_told: bool = Field(description="the delay was reported to the national Panel")


class AgencyRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    agency: AgencyCode
    due_on: Day


class RequestAgencySummaries(Command):
    requested_on: Day
    requests: list[AgencyRequest] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _unique(self) -> RequestAgencySummaries:
        agencies = [r.agency for r in self.requests]
        if len(set(agencies)) != len(agencies):
            raise invalid("requests", "unique", "each agency may be asked once per request")
        for r in self.requests:
            if r.due_on < self.requested_on:
                raise invalid(
                    "requests", "chronology", f"{r.agency} is due before the request was made"
                )
        return self


class RecordAgencySummary(Command):
    agency: AgencyCode
    received_on: Day


class RecordRapidReviewMeeting(Command):
    held_on: Day
    agencies_present: list[AgencyCode] = Field(min_length=1)


class RecordRapidReviewDecision(Command):
    decision: RapidReviewDecision
    decided_on: Day
    rationale: FreeText


class Recommendation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    owner_agency: AgencyCode
    text: FreeText


class SubmitRapidReviewReport(Command):
    """The rapid review report goes to the Panel (with any immediate recommendations)."""

    submitted_on: Day
    recommendations: list[Recommendation] = Field(
        default_factory=list,
        max_length=50,
        description="learning for agencies now, whatever the decision (OWNER=text)",
    )


class RecordPanelResponse(Command):
    response: Literal["agrees", "challenges"]
    received_on: Day
    notes: FreeText | None = None


class RecordChallengeReply(Command):
    """The partners' reply to a Panel challenge: maintain the decision (its date
    stands) or change it (the new decision dates from the reply)."""

    replied_on: Day
    reply: Literal["maintain", "change"]
    decision: RapidReviewDecision | None = None
    rationale: FreeText

    @model_validator(mode="after")
    def _decision(self) -> RecordChallengeReply:
        if self.reply == "change" and self.decision is None:
            raise invalid(
                "decision",
                "required_with_change",
                "required when the partners change their decision",
            )
        if self.reply == "maintain" and self.decision is not None:
            raise invalid(
                "decision", "only_with_change", "only when the partners change their decision"
            )
        return self


class RecordPanelRequest(Command):
    """The national Panel asks for more information (by an agreed day) or takes the
    case into a national review (the local LCSPR clocks then stop, not met)."""

    received_on: Day
    request: Literal["more_information", "national_review"]
    due_on: Day | None = Field(default=None, description="more information: the day asked for")
    notes: FreeText | None = None

    @model_validator(mode="after")
    def _due(self) -> RecordPanelRequest:
        if self.request == "more_information" and self.due_on is None:
            raise invalid(
                "due_on",
                "required_with_request",
                "required when the Panel asks for more information",
            )
        if self.request == "national_review" and self.due_on is not None:
            raise invalid(
                "due_on", "only_with_request", "only when the Panel asks for more information"
            )
        if self.due_on is not None and self.due_on < self.received_on:
            raise invalid("due_on", "chronology", "cannot be before the request was received")
        return self


class RecordInformationSent(Command):
    sent_on: Day


class AppointReviewer(Command):
    reviewer: Name
    appointed_on: Day


class AgreeTermsOfReference(Command):
    agreed_on: Day
    lines_of_enquiry: list[FreeText] = Field(min_length=1, max_length=30)


class RecordBodiesInformed(Command):
    informed_on: Day
    bodies: list[Literal["panel", "ofsted", "dfe"]] = Field(min_length=1)


class RecordProgressCheckpoint(Command):
    held_on: Day
    status: Literal["on_track", "at_risk", "delayed"]
    note: FreeText | None = None


class PauseClock(Command):
    """Only the LCSPR final report and publication clocks pause, each pause with
    the Panel told (Working Together 2023 ch. 5). ``panel_told_on`` is optional
    here only so that pauses recorded before issue 8 still replay; the rule
    ``panel_told`` refuses a new pause without it."""

    clock: ClockKey = "lcspr_final_report"
    paused_on: Day
    reason: Literal["criminal_proceedings", "inquest", "other"]
    detail: FreeText
    panel_told_on: Day | None = Field(default=None, description="when the Panel was told")


class ResumeClock(Command):
    clock: ClockKey = "lcspr_final_report"
    resumed_on: Day
    note: FreeText | None = None


class RecordFinalReport(Command):
    completed_on: Day


class PlanPublication(Command):
    planned_on: Day


class RecordReportSent(Command):
    sent_on: Day
    recipients: list[Literal["panel", "secretary_of_state"]] = Field(min_length=2)

    @model_validator(mode="after")
    def _both(self) -> RecordReportSent:
        if set(self.recipients) != {"panel", "secretary_of_state"}:
            raise invalid(
                "recipients",
                "report_recipients",
                "the report goes to both the panel and the secretary_of_state",
            )
        return self


class RecordPublication(Command):
    published_on: Day


class RecordDecisionNotToPublish(Command):
    decided_on: Day
    reasons: FreeText
    improvements_published: bool


class RecordRecommendations(Command):
    recorded_on: Day
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
    "record_withdrawal": RecordWithdrawal,
    "record_delay": RecordDelay,
    "record_challenge_reply": RecordChallengeReply,
    "record_panel_request": RecordPanelRequest,
    "record_information_sent": RecordInformationSent,
}
STEP_OF: dict[type[Command], str] = {cls: name for name, cls in COMMANDS.items()}
