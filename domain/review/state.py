"""The review case's state: what the workflow carries and queries return.

Built only from recorded events: each ``on_*`` method sets state from one event's
own fields (and the deadlines recorded with it), so replay rebuilds the same
state and a later change to a command's validation never stops a case loading.
The state holds no free text and no child references (it travels to Temporal).
Stored copies (events' deadlines, projection state, workflow payloads) are read
leniently: unknown fields are ignored, so a field removed later still loads.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.calendar import LONDON, WorkingDayCalendar, end_of_day
from domain.clock import ClockBase, Timer, earliest
from domain.review.checks import check as check_rules
from domain.review.commands import Harm, RapidReviewDecision
from domain.review.stages import Stage
from domain.rules import RULE_SETS, LocalVariations, RuleSet
from domain.values import Command

if TYPE_CHECKING:
    from domain.review import events

__all__ = ["Deadline", "ReviewState", "Stage", "make_deadline"]


class Deadline(ClockBase):
    """A review clock (``domain.clock``): one reminder before, a breach with its
    escalation after, and a pause where its rule allows one."""

    statutory: bool
    remind_at: datetime | None
    rule_set: str
    owner_role: str
    escalate_to: list[str]
    #: "cancelled" only on clocks recorded before issue 8; a statutory clock that
    #: will not be met closes "not_met" with the reason (``not_met_because``)
    status: Literal["open", "met", "cancelled", "not_met", "not_required"] = "open"
    not_met_because: str | None = None
    reminded: bool = False
    breached: bool = False
    breached_at: datetime | None = None
    paused_on: date | None = None
    #: an expectation (the Panel's response): reminded, never breached or escalated
    remind_only: bool = False
    #: the guidance the rule comes from (recorded with the deadline; "" before issue 8)
    citation: str = ""
    #: a clock opened after its reminder or due day had passed (a case entered after
    #: the event) is judged from here, the end of the recording day: the facts
    #: entered that day come first, so nothing reminds or breaches for a deadline
    #: they show was met; a breach that did happen is dated at the due instant
    judge_from: datetime | None = None
    #: delays recorded on a clock that may not pause (reasons in the events)
    delays: int = 0
    delays_told_to_panel: int = 0

    @property
    def is_running(self) -> bool:
        return self.status == "open" and self.paused_on is None

    @property
    def pausable(self) -> bool:
        """As the recorded rule set says (an unknown rule set: not pausable)."""
        rules = RULE_SETS.get(self.rule_set.split("@", 1)[0])
        return rules is not None and rules.clock(self.key).pausable

    def next_timer(self, now: datetime) -> Timer | None:
        """A reminder while the deadline can still be met, else the breach; None when
        neither is due (met, cancelled, paused or already breached). A remind-only
        clock (an expectation, not a duty) never breaches."""
        if self.status != "open" or self.paused_on is not None or self.breached:
            return None
        settle = self.judge_from
        if not self.reminded and self.remind_at is not None and self.due_at > now:
            at = self.remind_at if settle is None else max(self.remind_at, settle)
            if at < self.due_at:
                return Timer(clock=self.key, kind="remind", index=0, at=at, due_on=self.due_on)
        if self.remind_only:
            return None
        at = self.due_at if settle is None else max(self.due_at, settle)
        return Timer(clock=self.key, kind="breach", index=0, at=at, due_on=self.due_on)


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
        remind_only=rule.remind_only,
        citation=rule.citation,
    )


class ReviewState(BaseModel):
    """The state of one review case: what the workflow carries and queries return."""

    model_config = ConfigDict(extra="ignore")

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
    care_leaver: bool = False
    notified_on: date | None = None
    partners_informed_on: date | None = None
    sos_ofsted_notified_on: date | None = None
    threshold_met: bool | None = None
    threshold_decided_on: date | None = None
    summaries_requested_on: date | None = None
    publication_declined_on: date | None = None
    agencies: dict[str, date | None] = Field(default_factory=dict)
    meeting_on: date | None = None
    decision: RapidReviewDecision | None = None
    decision_on: date | None = None
    report_submitted_on: date | None = None
    panel_response: str | None = None
    challenges: int = 0
    #: the Panel's requests for more information
    panel_requests: int = 0
    #: a Panel challenge awaits the partners' reply (the decision and its date stand)
    challenged: bool = False
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

    @classmethod
    def opened_by(cls, e: events.IncidentReported) -> ReviewState:
        """The state of a case just reported (from the opening event's own fields)."""
        harm = Harm(e.harm)
        lac_death_only = (
            (e.looked_after or e.care_leaver) and harm is Harm.DIED and not e.abuse_or_neglect
        )
        return cls(
            case_ref=e.case_ref,
            partnership=e.partnership,
            rule_set=e.rule_set,
            variations=LocalVariations.model_validate(e.variations),
            calendar_version=e.calendar_version,
            stage=Stage.LAC_DEATH_NOTIFICATION if lac_death_only else Stage.NOTIFICATION,
            incident_on=e.incident_on,
            aware_on=e.aware_on,
            reported_on=e.reported_on,
            child_count=len(e.child_refs),
            harm=harm,
            looked_after=e.looked_after,
            care_leaver=e.care_leaver,
        )

    # ----------------------------------------------------------------- queries

    def open_deadlines(self) -> list[Deadline]:
        return sorted(
            (d for d in self.deadlines.values() if d.status == "open"), key=lambda d: d.due_at
        )

    def next_deadline(self) -> Deadline | None:
        running = [d for d in self.open_deadlines() if d.paused_on is None]
        return running[0] if running else None

    def next_due(self) -> Deadline | None:
        """The clock shown as next (the name every lifecycle's state answers to)."""
        return self.next_deadline()

    def next_timer(self, now: datetime) -> Timer | None:
        """The earliest reminder or breach not yet recorded (pure: safe in workflows)."""
        return earliest(d.next_timer(now) for d in self.open_deadlines())

    @property
    def ref(self) -> str:
        return self.case_ref

    @property
    def closed(self) -> bool:
        return self.stage is Stage.CLOSED

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

    def check(self, command: Command, today: date, *, before_issue_8: bool = False) -> None:
        """Raise ``RuleViolation`` if ``command`` may not be applied now (see ``checks``)."""
        check_rules(self, command, today, before_issue_8=before_issue_8)

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

    def not_met(self, key: str, because: str) -> None:
        """Close an open clock as not met, with the recorded reason (never "cancelled")."""
        d = self.deadlines.get(key)
        if d is not None and d.status == "open":
            d.status, d.not_met_because, d.paused_on = "not_met", because, None

    def not_required(self, key: str, because: str) -> None:
        """Close an open clock whose duty fell away (a notification the SIN discussion
        found not needed; a notice for a report not published), with the reason."""
        d = self.deadlines.get(key)
        if d is not None and d.status == "open":
            d.status, d.not_met_because, d.paused_on = "not_required", because, None

    def cancel_open(self) -> list[str]:
        keys = []
        for d in self.deadlines.values():
            if d.status == "open":
                d.status = "cancelled"
                keys.append(d.key)
        return keys

    def close(self, outcome: str) -> None:
        """Close the case. Nothing closes silently (issue 8): a statutory clock still
        open shows "not met" with the recorded outcome (the closing step names who
        decided and why); only non-statutory clocks (agency summaries, checkpoints,
        the Panel's response) are cancelled."""
        self.stage, self.outcome = Stage.CLOSED, outcome
        for d in self.deadlines.values():
            if d.status == "open" and d.statutory:
                self.not_met(d.key, f"case closed: {outcome}")
        self.cancel_open()

    def on_panel_notified(self, c: events.PanelNotified) -> None:
        self.notified_on = c.notified_on
        self.meet("panel_notification", c.notified_on)
        if self.threshold_met:
            self.stage = Stage.RAPID_REVIEW

    def on_rapid_review_withdrawn(self, c: events.RapidReviewWithdrawn) -> None:
        self.not_met("rapid_review", "withdrawn: the criteria were not met after all")
        self.close("withdrawn after notification: the criteria were not met after all")

    def on_delay_recorded(self, c: events.DelayRecorded) -> None:
        d = self.deadlines[c.clock]
        d.delays += 1
        d.delays_told_to_panel += int(c.panel_told)

    def on_partners_informed(self, c: events.PartnersInformed) -> None:
        self.partners_informed_on = c.informed_on
        self.meet("partners_informed", c.informed_on)

    def on_secretary_of_state_and_ofsted_notified(
        self, c: events.SecretaryOfStateAndOfstedNotified
    ) -> None:
        self.sos_ofsted_notified_on = c.notified_on
        self.meet("sos_ofsted_notification", c.notified_on)
        if self.stage is Stage.LAC_DEATH_NOTIFICATION:
            self.close("looked-after child death notified to the Secretary of State and Ofsted")

    def on_threshold_decided(self, c: events.ThresholdDecided) -> None:
        self.threshold_met, self.threshold_decided_on = c.met, c.decided_on
        if c.met:
            # Before the notification the case waits for it; the rapid review
            # starts with the notification (automatic from then on).
            if self.notified_on is not None:
                self.stage = Stage.RAPID_REVIEW
            return
        self.not_required("panel_notification", "the SIN discussion found the criteria not met")
        if c.outcome_if_not_met == "case_based_review":
            self.close("threshold not met: non-statutory multi-agency case-based review")
        else:
            self.close("threshold not met: closed with reasons")

    def on_agency_summaries_requested(self, c: events.AgencySummariesRequested) -> None:
        for r in c.requests:
            self.agencies[str(r["agency"])] = None
        if self.summaries_requested_on is None:
            self.summaries_requested_on = c.requested_on

    def on_agency_summary_received(self, c: events.AgencySummaryReceived) -> None:
        self.agencies[c.agency] = c.received_on
        self.meet(f"agency_summary:{c.agency}", c.received_on)

    def on_rapid_review_meeting_held(self, c: events.RapidReviewMeetingHeld) -> None:
        self.meeting_on = c.held_on

    def on_rapid_review_decided(self, c: events.RapidReviewDecided) -> None:
        self.decision, self.decision_on = RapidReviewDecision(c.decision), c.decided_on

    def on_rapid_review_report_submitted(self, c: events.RapidReviewReportSubmitted) -> None:
        self.report_submitted_on = c.submitted_on
        # A report resubmitted after a challenge replaces the earlier one's list.
        self.rapid_review_recommendations = len(c.recommendations)
        self.meet("rapid_review", c.submitted_on)
        self.stage = Stage.AWAITING_PANEL_RESPONSE

    def on_panel_responded(self, c: events.PanelResponded) -> None:
        self.panel_response = c.response
        self.meet("panel_response", c.received_on)
        if c.response == "challenges" and not c.reopens_decision:
            # Issue 8: the partners' decision and its date stand; they reply.
            self.challenges += 1
            self.challenged = True
        elif c.response == "challenges":
            # Before issue 8: the decision was reopened (a revised decision and report).
            self.challenges += 1
            self.stage, self.decision, self.decision_on = Stage.RAPID_REVIEW, None, None
            self.report_submitted_on = None
        elif self.decision is RapidReviewDecision.LCSPR:
            self.stage = Stage.LCSPR
        elif self.decision is RapidReviewDecision.NATIONAL_REVIEW:
            self.close("referred for a national review; the Panel agreed")
        else:
            self.close("no further review; the Panel agreed")

    def on_challenge_replied(self, c: events.ChallengeReplied) -> None:
        self.challenged = False
        if c.reply == "change" and c.decision is not None:
            was_lcspr = self.decision is RapidReviewDecision.LCSPR
            self.decision, self.decision_on = RapidReviewDecision(c.decision), c.replied_on
            if was_lcspr and self.decision is not RapidReviewDecision.LCSPR:
                because = "the partners changed their decision after the Panel's challenge"
                self.not_met("lcspr_final_report", because)
                self.not_met("publication", because)
                d = self.deadlines.get("lcspr_checkpoint")
                if d is not None and d.status == "open":
                    d.status = "cancelled"

    def on_panel_request_received(self, c: events.PanelRequestReceived) -> None:
        if c.request == "more_information":
            self.panel_requests += 1
            return
        # A national review: the local review's clocks stop, not met, with the reason.
        because = "the national Panel took the case into a national review"
        for key in ("lcspr_final_report", "publication", "publication_notice"):
            self.not_met(key, because)
        self.close("taken into a national review by the national Panel")

    def on_panel_information_sent(self, c: events.PanelInformationSent) -> None:
        self.meet("panel_information", c.sent_on)

    def on_reviewer_appointed(self, c: events.ReviewerAppointed) -> None:
        self.reviewer_appointed_on = c.appointed_on

    def on_terms_of_reference_agreed(self, c: events.TermsOfReferenceAgreed) -> None:
        self.tor_agreed_on = c.agreed_on

    def on_bodies_informed(self, c: events.BodiesInformed) -> None:
        self.bodies_informed = sorted(set(self.bodies_informed) | set(c.bodies))

    def on_progress_checkpoint_recorded(self, c: events.ProgressCheckpointRecorded) -> None:
        self.checkpoints += 1
        self.meet("lcspr_checkpoint", c.held_on)

    def on_clock_paused(self, c: events.ClockPaused) -> None:
        self.deadlines[c.clock].paused_on = c.paused_on

    def on_clock_resumed(self, c: events.ClockResumed) -> None:
        # The resumed deadline arrives in ``opened``, replacing the paused one.
        self.deadlines[c.clock].paused_on = None

    def on_final_report_completed(self, c: events.FinalReportCompleted) -> None:
        self.final_report_on = c.completed_on
        self.meet("lcspr_final_report", c.completed_on)
        d = self.deadlines.get("lcspr_checkpoint")
        if d is not None and d.status == "open":
            d.status = "cancelled"
        self.stage = Stage.PUBLICATION

    def on_publication_planned(self, c: events.PublicationPlanned) -> None:
        self.publication_planned_on = c.planned_on

    def on_final_report_sent(self, c: events.FinalReportSent) -> None:
        self.report_sent_on = c.sent_on
        self.meet("publication_notice", c.sent_on)

    def on_published(self, c: events.Published) -> None:
        self.published_on = c.published_on
        self.meet("publication", c.published_on)
        if self.publication_planned_on is None:
            self.publication_planned_on = c.published_on

    def on_publication_declined(self, c: events.PublicationDeclined) -> None:
        self.publication_declined, self.publication_declined_on = True, c.decided_on
        # Never "cancelled" (issue 8): the clocks show why they were not met.
        self.not_met("publication", "decided not to publish; reasons recorded")
        self.not_required("publication_notice", "the report is not published")

    def on_recommendations_recorded(self, c: events.RecommendationsRecorded) -> None:
        self.recommendations += len(c.recommendations)
        self.close("published" if self.published_on else "not published; reasons recorded")

    # ------------------------------------------------------- timer-driven facts

    def on_reminder(self, key: str) -> None:
        self.deadlines[key].reminded = True

    def on_breach(self, key: str, at: datetime) -> None:
        d = self.deadlines[key]
        d.breached, d.breached_at, d.reminded = True, at, True
