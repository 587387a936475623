"""The facts a review case records: typed, versioned events.

Each event carries its own typed fields (a Panel notification: ``notified_on``),
never a command or a dump of the state. Evolution policy (docs/architecture.md):

- add a field: bump ``class_version`` and add ``upcast_vN_vN+1`` giving it a default;
- rename a field: bump and upcast (move the value);
- remove a field: never; keep reading it (ignore it when applying);
- move or rename a class: register its old topic (``LEGACY_TOPICS``).

Version 1 of the step events (before this module) held ``command: dict`` and the
opening event held ``report``/``initial`` dicts; ``upcast_v1_v2`` lifts those into
the typed fields. Dates inside v1 dicts were ISO strings: the upcaster parses
them by the field's declared type.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from domain.chain import ChainedAggregate, KeyedAggregate
from domain.evolution import DatesRevived, OpensClocks, revive_dates
from domain.review.state import Deadline, ReviewState

__all__ = [
    "EVENTS",
    "LEGACY_TOPICS",
    "TOPIC_PREFIXES",
    "AgencySummariesRequested",
    "AgencySummaryReceived",
    "BodiesInformed",
    "ChallengeReplied",
    "ClockPaused",
    "ClockResumed",
    "DeadlineBreached",
    "DeadlineReminderSent",
    "DelayRecorded",
    "FinalReportCompleted",
    "FinalReportSent",
    "HistoryRead",
    "IncidentReported",
    "PanelInformationSent",
    "PanelNotified",
    "PanelRequestReceived",
    "PanelResponded",
    "PartnersInformed",
    "ProgressCheckpointRecorded",
    "PublicationDeclined",
    "PublicationPlanned",
    "Published",
    "RapidReviewDecided",
    "RapidReviewMeetingHeld",
    "RapidReviewReportSubmitted",
    "RapidReviewWithdrawn",
    "RecommendationsRecorded",
    "ReviewEvent",
    "ReviewerAppointed",
    "SecretaryOfStateAndOfstedNotified",
    "StepRecorded",
    "TermsOfReferenceAgreed",
    "ThresholdDecided",
]


class ReviewEvent(KeyedAggregate.Event):
    """Base of every review event: who acted (``actor``) and the step's idempotency key."""

    class_version: ClassVar[int] = 1


class IncidentReported(ReviewEvent, ChainedAggregate.Created):
    """A serious incident was reported: the case opened under its partnership's policy.

    The rule set, local variations and calendar version in force are copied onto
    the case here: a case keeps the rules it started under.
    """

    class_version: ClassVar[int] = 3
    case_ref: str
    partnership: str
    incident_on: date
    aware_on: date
    child_refs: list[str]
    abuse_or_neglect: bool
    harm: str
    looked_after: bool
    care_leaver: bool
    rule_set: str
    variations: dict[str, Any]
    calendar_version: str
    reported_on: date
    opened: list[dict[str, Any]]

    @classmethod
    def upcast_v1_v2(cls, state: dict[str, Any]) -> None:
        report, initial = state.pop("report"), state.pop("initial")
        for name in ("case_ref", "partnership", "incident_on", "aware_on", "child_refs"):
            state[name] = report[name]
        state["abuse_or_neglect"] = report["abuse_or_neglect"]
        state["harm"] = report["harm"]
        state["looked_after"] = report.get("looked_after", False)
        for name in ("rule_set", "variations", "calendar_version", "reported_on"):
            state[name] = initial[name]
        revive_dates(cls, state)

    @classmethod
    def upcast_v2_v3(cls, state: dict[str, Any]) -> None:
        """Issue 8: a care leaver's death is notified too; earlier cases were not care leavers."""
        state["care_leaver"] = False

    def apply(self, aggregate: Any) -> None:
        aggregate.applied_keys = {}
        aggregate.state = ReviewState.opened_by(self)
        aggregate.state.open([Deadline.model_validate(d) for d in self.opened])
        super().apply(aggregate)


class StepRecorded(OpensClocks, ReviewEvent):
    """Base of the events a lifecycle step records, with the deadlines it opened.

    ``opened`` holds the deadlines computed for the step before it was recorded
    (facts, not recomputed on replay).
    """

    CLOCK = Deadline
    class_version: ClassVar[int] = 2
    opened: list[dict[str, Any]]


class PanelNotified(StepRecorded):
    notified_on: date

    def on(self, state: ReviewState) -> None:
        state.on_panel_notified(self)


class PartnersInformed(StepRecorded):
    informed_on: date

    def on(self, state: ReviewState) -> None:
        state.on_partners_informed(self)


class SecretaryOfStateAndOfstedNotified(StepRecorded):
    notified_on: date

    def on(self, state: ReviewState) -> None:
        state.on_secretary_of_state_and_ofsted_notified(self)


class ThresholdDecided(StepRecorded):
    """The SIN discussion's decision (meets / does not meet), its rationale and who decided."""

    class_version: ClassVar[int] = 3
    met: bool
    decided_on: date
    rationale: str
    outcome_if_not_met: str | None
    decided_by: list[str]

    @classmethod
    def upcast_v2_v3(cls, state: dict[str, Any]) -> None:
        """Issue 8 records who decided; earlier decisions did not say."""
        state["decided_by"] = []

    def on(self, state: ReviewState) -> None:
        state.on_threshold_decided(self)


class AgencySummariesRequested(StepRecorded):
    requested_on: date
    requests: list[dict[str, Any]]

    def on(self, state: ReviewState) -> None:
        state.on_agency_summaries_requested(self)


class AgencySummaryReceived(StepRecorded):
    agency: str
    received_on: date

    def on(self, state: ReviewState) -> None:
        state.on_agency_summary_received(self)


class RapidReviewMeetingHeld(StepRecorded):
    held_on: date
    agencies_present: list[str]

    def on(self, state: ReviewState) -> None:
        state.on_rapid_review_meeting_held(self)


class RapidReviewDecided(StepRecorded):
    decision: str
    decided_on: date
    rationale: str

    def on(self, state: ReviewState) -> None:
        state.on_rapid_review_decided(self)


class RapidReviewReportSubmitted(StepRecorded):
    submitted_on: date
    recommendations: list[dict[str, Any]]

    def on(self, state: ReviewState) -> None:
        state.on_rapid_review_report_submitted(self)


class PanelResponded(StepRecorded):
    """The Panel's response. Before issue 8 a challenge reopened the partners'
    decision (``reopens_decision``, upcast True); since, the decision and its date
    stand until the partners reply (``ChallengeReplied``)."""

    class_version: ClassVar[int] = 3
    response: str
    received_on: date
    notes: str | None
    reopens_decision: bool

    @classmethod
    def upcast_v2_v3(cls, state: dict[str, Any]) -> None:
        state["reopens_decision"] = True

    def on(self, state: ReviewState) -> None:
        state.on_panel_responded(self)


class ChallengeReplied(StepRecorded):
    """The partners' reply to the Panel's challenge (maintain / change the decision)."""

    replied_on: date
    reply: str
    decision: str | None
    rationale: str

    def on(self, state: ReviewState) -> None:
        state.on_challenge_replied(self)


class PanelRequestReceived(StepRecorded):
    """The Panel asked for more information, or took the case into a national review."""

    received_on: date
    request: str
    due_on: date | None
    notes: str | None

    def on(self, state: ReviewState) -> None:
        state.on_panel_request_received(self)


class PanelInformationSent(StepRecorded):
    sent_on: date

    def on(self, state: ReviewState) -> None:
        state.on_panel_information_sent(self)


class ReviewerAppointed(StepRecorded):
    reviewer: str
    appointed_on: date

    def on(self, state: ReviewState) -> None:
        state.on_reviewer_appointed(self)


class TermsOfReferenceAgreed(StepRecorded):
    agreed_on: date
    lines_of_enquiry: list[str]

    def on(self, state: ReviewState) -> None:
        state.on_terms_of_reference_agreed(self)


class BodiesInformed(StepRecorded):
    informed_on: date
    bodies: list[str]

    def on(self, state: ReviewState) -> None:
        state.on_bodies_informed(self)


class ProgressCheckpointRecorded(StepRecorded):
    held_on: date
    status: str
    note: str | None

    def on(self, state: ReviewState) -> None:
        state.on_progress_checkpoint_recorded(self)


class ClockPaused(StepRecorded):
    class_version: ClassVar[int] = 3
    clock: str
    paused_on: date
    reason: str
    detail: str
    panel_told_on: date | None

    @classmethod
    def upcast_v2_v3(cls, state: dict[str, Any]) -> None:
        """Issue 8 records when the Panel was told of a pause; earlier pauses did not say."""
        state["panel_told_on"] = None

    def on(self, state: ReviewState) -> None:
        state.on_clock_paused(self)


class ClockResumed(StepRecorded):
    clock: str
    resumed_on: date
    note: str | None

    def on(self, state: ReviewState) -> None:
        state.on_clock_resumed(self)


class FinalReportCompleted(StepRecorded):
    completed_on: date

    def on(self, state: ReviewState) -> None:
        state.on_final_report_completed(self)


class PublicationPlanned(StepRecorded):
    planned_on: date

    def on(self, state: ReviewState) -> None:
        state.on_publication_planned(self)


class FinalReportSent(StepRecorded):
    sent_on: date
    recipients: list[str]

    def on(self, state: ReviewState) -> None:
        state.on_final_report_sent(self)


class Published(StepRecorded):
    published_on: date

    def on(self, state: ReviewState) -> None:
        state.on_published(self)


class PublicationDeclined(StepRecorded):
    decided_on: date
    reasons: str
    improvements_published: bool

    def on(self, state: ReviewState) -> None:
        state.on_publication_declined(self)


class RecommendationsRecorded(StepRecorded):
    recorded_on: date
    recommendations: list[dict[str, Any]]

    def on(self, state: ReviewState) -> None:
        state.on_recommendations_recorded(self)


class RapidReviewWithdrawn(StepRecorded):
    """After notification: the criteria were not met after all (reasons, who decided)."""

    withdrawn_on: date
    reasons: str
    decided_by: list[str]

    def on(self, state: ReviewState) -> None:
        state.on_rapid_review_withdrawn(self)


class DelayRecorded(StepRecorded):
    """A non-pausable clock runs late: the reason, and whether the Panel was told."""

    clock: str
    reported_on: date
    reason: str
    panel_told: bool

    def on(self, state: ReviewState) -> None:
        state.on_delay_recorded(self)


class DeadlineReminderSent(DatesRevived, ReviewEvent):
    """A reminder went to the deadline's owner before it fell due."""

    class_version: ClassVar[int] = 2
    deadline: str
    due_on: date
    sent_to: list[str]

    def apply(self, aggregate: Any) -> None:
        aggregate.state.on_reminder(self.deadline)
        super().apply(aggregate)


class DeadlineBreached(DatesRevived, ReviewEvent):
    """A statutory deadline passed unmet: when, and who it was escalated to."""

    class_version: ClassVar[int] = 2
    deadline: str
    due_on: date
    breached_at: datetime
    escalated_to: list[str]

    def apply(self, aggregate: Any) -> None:
        aggregate.state.on_breach(self.deadline, self.breached_at)
        super().apply(aggregate)


class HistoryRead(ReviewEvent):
    """A person read the case's history. Written into the case's stream before the
    access log existed; kept readable for ever (never removed)."""

    as_at: str | None
    purpose: str

    def apply(self, aggregate: Any) -> None:
        super().apply(aggregate)


#: The events of a review case, by class name.
EVENTS: dict[str, type[ReviewEvent]] = {
    cls.__name__: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, ReviewEvent) and cls is not ReviewEvent
    if cls is not StepRecorded
}

#: Every stored review event's topic starts with one of these (current, then legacy).
TOPIC_PREFIXES = (f"{__name__}:", "domain.review:ReviewCase.")

#: Topics under which earlier releases stored these events (the classes were
#: nested in ``domain.review:ReviewCase`` until the lifecycle became a package).
LEGACY_TOPICS: dict[str, type[ReviewEvent]] = {
    f"domain.review:ReviewCase.{name}": cls for name, cls in EVENTS.items()
}
