"""The review case aggregate: serious incident → rapid review → LCSPR → publication.

One aggregate per case, identified by a UUID derived from the case reference so
that a retried "report incident" can never create a second case. Command methods
check the case's rules, then trigger one typed event (``domain.review.events``)
whose fields are the facts: who acted, the step's idempotency key, what happened
and the deadlines computed for it before it was triggered.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.chain import KeyedAggregate
from domain.errors import RuleViolation
from domain.evolution import fields_of
from domain.review import events
from domain.review.checks import check
from domain.review.commands import COMMANDS, ReportIncident
from domain.review.state import Deadline, ReviewState
from domain.rules import LocalVariations
from domain.values import Command

__all__ = ["EVENT_OF", "ReviewCase", "legacy_review_id", "review_id"]


def review_id(partnership: str, case_ref: str) -> UUID:
    """The aggregate id of a case: stable, so retries and replays agree on it, and
    scoped by partnership, so two partnerships may use the same case reference."""
    return uuid5(NAMESPACE_URL, f"qa-engine:review:{partnership.upper()}:{case_ref.upper()}")


def legacy_review_id(case_ref: str) -> UUID:
    """The id cases were given before partnerships were tenants (still found by it)."""
    return uuid5(NAMESPACE_URL, f"qa-engine:review:{case_ref.upper()}")


class ReviewCase(KeyedAggregate):
    """A statutory review case and the facts recorded about it."""

    # Set by the events' apply methods (not dataclass fields of the aggregate).
    state: ClassVar[ReviewState]
    applied_keys: ClassVar[dict[str, int]]

    @classmethod
    def report(
        cls,
        command: ReportIncident,
        *,
        key: str,
        rule_set: str,
        variations: LocalVariations,
        calendar_version: str,
        reported_on: date,
        opened: list[Deadline],
    ) -> ReviewCase:
        """Open a case from a serious incident notification, under the rules in force."""
        case: ReviewCase = cls._create(
            events.IncidentReported,
            id=review_id(command.partnership, command.case_ref),
            key=key,
            actor=command.actor.model_dump(mode="json", exclude_none=True),
            **fields_of(command),
            rule_set=rule_set,
            variations=variations.model_dump(mode="json"),
            calendar_version=calendar_version,
            reported_on=reported_on,
            opened=[d.model_dump(mode="json") for d in opened],
        )
        return case

    def record(self, command: Command, *, key: str, today: date, opened: list[Deadline]) -> None:
        """Record a lifecycle step after checking it against the case's rules."""
        check(self.state, command, today)
        extra: dict[str, Any] = {}
        if type(command) is COMMANDS["record_panel_response"]:
            extra["reopens_decision"] = False  # issue 8: a challenge never moves the start
        self.trigger_event(
            EVENT_OF[type(command)],
            key=key,
            actor=command.actor.model_dump(mode="json", exclude_none=True),
            **fields_of(command),
            **extra,
            opened=[d.model_dump(mode="json") for d in opened],
        )

    def send_reminder(self, deadline: str, *, key: str) -> None:
        d = self._open_deadline(deadline)
        self.trigger_event(
            events.DeadlineReminderSent,
            key=key,
            actor=_SYSTEM,
            deadline=deadline,
            due_on=d.due_on,
            sent_to=[d.owner_role],
        )

    def record_breach(self, deadline: str, *, key: str, at: datetime) -> None:
        d = self._open_deadline(deadline)
        if d.remind_only:
            raise RuleViolation(
                f"{deadline} ({d.label}) is an expectation: it reminds and is never breached",
                rule="remind_only",
            )
        if at < d.due_at:
            raise RuleViolation(
                f"{deadline} is not due until {d.due_at.isoformat()}", rule="not_yet_due"
            )
        self.trigger_event(
            events.DeadlineBreached,
            key=key,
            actor=_SYSTEM,
            deadline=deadline,
            due_on=d.due_on,
            # A clock judged after the event (``judge_from``): the breach is dated
            # when it happened, the due instant; the event's own time is when it was found.
            breached_at=d.due_at if d.judge_from is not None and at > d.due_at else at,
            escalated_to=list(d.escalate_to),
        )

    def record_history_read(
        self, *, key: str, actor: dict[str, Any], as_at: str | None, purpose: str
    ) -> None:
        self.trigger_event(events.HistoryRead, key=key, actor=actor, as_at=as_at, purpose=purpose)

    def _open_deadline(self, key: str) -> Deadline:
        d = self.state.deadlines.get(key)
        if d is None or d.status != "open" or d.paused_on is not None:
            raise RuleViolation(f"deadline {key!r} is not running", rule="deadline_running")
        return d


_SYSTEM = {"name": "qa-engine", "role": "statutory clock"}

#: command class -> the event that records it (checked against COMMANDS below)
EVENT_OF: dict[type[Command], type[events.StepRecorded]] = {
    COMMANDS["record_panel_notification"]: events.PanelNotified,
    COMMANDS["record_partners_informed"]: events.PartnersInformed,
    COMMANDS["record_sos_ofsted_notification"]: events.SecretaryOfStateAndOfstedNotified,
    COMMANDS["record_threshold_decision"]: events.ThresholdDecided,
    COMMANDS["request_agency_summaries"]: events.AgencySummariesRequested,
    COMMANDS["record_agency_summary"]: events.AgencySummaryReceived,
    COMMANDS["record_rapid_review_meeting"]: events.RapidReviewMeetingHeld,
    COMMANDS["record_rapid_review_decision"]: events.RapidReviewDecided,
    COMMANDS["submit_rapid_review_report"]: events.RapidReviewReportSubmitted,
    COMMANDS["record_panel_response"]: events.PanelResponded,
    COMMANDS["appoint_reviewer"]: events.ReviewerAppointed,
    COMMANDS["agree_terms_of_reference"]: events.TermsOfReferenceAgreed,
    COMMANDS["record_bodies_informed"]: events.BodiesInformed,
    COMMANDS["record_progress_checkpoint"]: events.ProgressCheckpointRecorded,
    COMMANDS["pause_clock"]: events.ClockPaused,
    COMMANDS["resume_clock"]: events.ClockResumed,
    COMMANDS["record_final_report"]: events.FinalReportCompleted,
    COMMANDS["plan_publication"]: events.PublicationPlanned,
    COMMANDS["record_report_sent"]: events.FinalReportSent,
    COMMANDS["record_publication"]: events.Published,
    COMMANDS["record_decision_not_to_publish"]: events.PublicationDeclined,
    COMMANDS["record_recommendations"]: events.RecommendationsRecorded,
    COMMANDS["record_withdrawal"]: events.RapidReviewWithdrawn,
    COMMANDS["record_delay"]: events.DelayRecorded,
    COMMANDS["record_challenge_reply"]: events.ChallengeReplied,
    COMMANDS["record_panel_request"]: events.PanelRequestReceived,
    COMMANDS["record_information_sent"]: events.PanelInformationSent,
}
if set(EVENT_OF) != set(COMMANDS.values()):  # pragma: no cover - a programming error
    raise TypeError(f"commands without an event: {set(COMMANDS.values()) ^ set(EVENT_OF)}")
