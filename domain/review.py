"""The review case aggregate: serious incident → rapid review → LCSPR → publication.

One aggregate per case, identified by a UUID derived from the case reference so
that a retried "report incident" can never create a second case. Every event
records who did it (``actor``), the idempotency key of the step that caused it
(``key``) and, for steps, the validated command and the deadlines computed for it
before it was triggered (``opened``), so replay rebuilds exactly the same state.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.chain import ChainedAggregate, KeyedAggregate
from domain.errors import RuleViolation
from domain.review_model import (
    COMMANDS,
    Deadline,
    ReportIncident,
    ReviewState,
)
from domain.values import Command

__all__ = ["ReviewCase", "review_id"]


def review_id(case_ref: str) -> UUID:
    """The aggregate id of a case: stable, so retries and replays agree on it."""
    return uuid5(NAMESPACE_URL, f"qa-engine:review:{case_ref.upper()}")


class ReviewCase(KeyedAggregate):
    """A statutory review case and the facts recorded about it."""

    # Set by the events' apply methods (not dataclass fields of the aggregate).
    state: ClassVar[ReviewState]
    applied_keys: ClassVar[dict[str, int]]

    class Event(KeyedAggregate.Event):
        pass

    class IncidentReported(Event, ChainedAggregate.Created):
        report: dict[str, Any]
        initial: dict[str, Any]
        opened: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            aggregate.applied_keys = {}
            aggregate.state = ReviewState.model_validate(self.initial)
            aggregate.state.open([Deadline.model_validate(d) for d in self.opened])
            super().apply(aggregate)

    class StepRecorded(Event):
        """Base of the events a lifecycle step records."""

        STEP: ClassVar[str] = ""
        command: dict[str, Any]
        opened: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            command = COMMANDS[self.STEP].model_validate({**self.command, "actor": self.actor})
            opened = [Deadline.model_validate(d) for d in self.opened]
            aggregate.state.apply(self.STEP, command, opened)
            super().apply(aggregate)

    class PanelNotified(StepRecorded):
        STEP = "record_panel_notification"

    class PartnersInformed(StepRecorded):
        STEP = "record_partners_informed"

    class SecretaryOfStateAndOfstedNotified(StepRecorded):
        STEP = "record_sos_ofsted_notification"

    class ThresholdDecided(StepRecorded):
        STEP = "record_threshold_decision"

    class AgencySummariesRequested(StepRecorded):
        STEP = "request_agency_summaries"

    class AgencySummaryReceived(StepRecorded):
        STEP = "record_agency_summary"

    class RapidReviewMeetingHeld(StepRecorded):
        STEP = "record_rapid_review_meeting"

    class RapidReviewDecided(StepRecorded):
        STEP = "record_rapid_review_decision"

    class RapidReviewReportSubmitted(StepRecorded):
        STEP = "submit_rapid_review_report"

    class PanelResponded(StepRecorded):
        STEP = "record_panel_response"

    class ReviewerAppointed(StepRecorded):
        STEP = "appoint_reviewer"

    class TermsOfReferenceAgreed(StepRecorded):
        STEP = "agree_terms_of_reference"

    class BodiesInformed(StepRecorded):
        STEP = "record_bodies_informed"

    class ProgressCheckpointRecorded(StepRecorded):
        STEP = "record_progress_checkpoint"

    class ClockPaused(StepRecorded):
        STEP = "pause_clock"

    class ClockResumed(StepRecorded):
        STEP = "resume_clock"

    class FinalReportCompleted(StepRecorded):
        STEP = "record_final_report"

    class PublicationPlanned(StepRecorded):
        STEP = "plan_publication"

    class FinalReportSent(StepRecorded):
        STEP = "record_report_sent"

    class Published(StepRecorded):
        STEP = "record_publication"

    class PublicationDeclined(StepRecorded):
        STEP = "record_decision_not_to_publish"

    class RecommendationsRecorded(StepRecorded):
        STEP = "record_recommendations"

    class DeadlineReminderSent(Event):
        deadline: str
        due_on: str
        sent_to: list[str]

        def apply(self, aggregate: Any) -> None:
            aggregate.state.on_reminder(self.deadline)
            super().apply(aggregate)

    class DeadlineBreached(Event):
        deadline: str
        due_on: str
        breached_at: str
        escalated_to: list[str]

        def apply(self, aggregate: Any) -> None:
            aggregate.state.on_breach(self.deadline, datetime.fromisoformat(self.breached_at))
            super().apply(aggregate)

    class HistoryRead(Event):
        """A person read the case's history (every read is itself recorded)."""

        as_at: str | None
        purpose: str

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)

    # ------------------------------------------------------------------ commands

    @classmethod
    def report(
        cls,
        command: ReportIncident,
        *,
        key: str,
        initial: ReviewState,
        opened: list[Deadline],
    ) -> ReviewCase:
        """Open a case from a serious incident notification."""
        case: ReviewCase = cls._create(
            cls.IncidentReported,
            id=review_id(command.case_ref),
            key=key,
            actor=command.actor.model_dump(mode="json"),
            report=command.model_dump(mode="json", exclude={"actor"}),
            initial=initial.model_dump(mode="json"),
            opened=[d.model_dump(mode="json") for d in opened],
        )
        return case

    def record(
        self, step: str, command: Command, *, key: str, today: date, opened: list[Deadline]
    ) -> None:
        """Record a lifecycle step after checking it against the case's rules."""
        self.state.check(command, today)
        self.trigger_event(
            STEP_EVENTS[step],
            key=key,
            actor=command.actor.model_dump(mode="json"),
            command=command.model_dump(mode="json", exclude={"actor"}),
            opened=[d.model_dump(mode="json") for d in opened],
        )

    def send_reminder(self, deadline: str, *, key: str) -> None:
        d = self._open_deadline(deadline)
        self.trigger_event(
            self.DeadlineReminderSent,
            key=key,
            actor=_SYSTEM,
            deadline=deadline,
            due_on=d.due_on.isoformat(),
            sent_to=[d.owner_role],
        )

    def record_breach(self, deadline: str, *, key: str, at: datetime) -> None:
        d = self._open_deadline(deadline)
        if at < d.due_at:
            raise RuleViolation(
                f"{deadline} is not due until {d.due_at.isoformat()}", rule="not_yet_due"
            )
        self.trigger_event(
            self.DeadlineBreached,
            key=key,
            actor=_SYSTEM,
            deadline=deadline,
            due_on=d.due_on.isoformat(),
            breached_at=at.isoformat(),
            escalated_to=list(d.escalate_to),
        )

    def record_history_read(
        self, *, key: str, actor: dict[str, Any], as_at: str | None, purpose: str
    ) -> None:
        self.trigger_event(self.HistoryRead, key=key, actor=actor, as_at=as_at, purpose=purpose)

    def _open_deadline(self, key: str) -> Deadline:
        d = self.state.deadlines.get(key)
        if d is None or d.status != "open" or d.paused_on is not None:
            raise RuleViolation(f"deadline {key!r} is not running", rule="deadline_running")
        return d


_SYSTEM = {"name": "qa-engine", "role": "statutory clock"}

STEP_EVENTS: dict[str, type[ReviewCase.StepRecorded]] = {
    cls.STEP: cls
    for cls in vars(ReviewCase).values()
    if isinstance(cls, type) and issubclass(cls, ReviewCase.StepRecorded) and cls.STEP
}
assert set(STEP_EVENTS) == set(COMMANDS), set(COMMANDS) ^ set(STEP_EVENTS)
