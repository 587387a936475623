"""Application service for lifecycle 2: the only code that touches audit, action
plan and child-of-concern events.

Same discipline as ``qa_engine.reviews``: every write takes an idempotency key
(``<workflow id>/<step id>``); a retried call whose key is already recorded
appends nothing and returns the current state; concurrent writers are
serialised by the store's optimistic concurrency (the loser reloads and
re-checks). Clocks are computed here, with the working-day calendar, and
recorded in the events; workflows only wait on them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, TypeVar
from uuid import UUID

from domain.action_plan import (
    ActionPlanState,
    OpenActionPlan,
    OpenPlanFromReview,
    plan_action_plan_clocks,
    plan_opening_clocks,
)
from domain.action_plan import events as action_plan_events
from domain.action_plan.aggregate import ActionPlan
from domain.audit import (
    ActionSpec,
    AuditState,
    PlanAudit,
    action_plan_ref,
    plan_audit_clocks,
)
from domain.audit import events as audit_events
from domain.audit.aggregate import Audit
from domain.audit.commands import DrawSample, RecordFindings
from domain.calendar import WorkingDayCalendar
from domain.child_of_concern import (
    ConcernState,
    OpenConcern,
    plan_after_missed_review,
    plan_concern_clocks,
    plan_opening_concern_clocks,
)
from domain.child_of_concern import events as concern_events
from domain.child_of_concern.aggregate import ChildOfConcern
from domain.errors import CaseNotFound, RuleViolation
from domain.qa import Clock, QaPolicy, QaState
from domain.qa.clock import settle_backdated
from domain.qa.record import QaRecord, legacy_record_id, record_id
from domain.review import Recommendation
from domain.values import Command
from qa_engine.access_log import AccessEntry
from qa_engine.due_days import check_agreed_due_days
from qa_engine.recording import (
    HistoryEntry,
    RecordService,
    VerifyResult,
    aggregates_in_log,
    counted,
    partnership_of_legacy,
    scoped_id,
    stored_history,
    verify_log,
    verify_stored,
)
from qa_engine.reviews import ReviewService, case_ref_of
from qa_engine.store import EVENT_STORE

__all__ = ["KINDS", "QualityService", "RecordKind"]

RecordKind = Literal["audit", "actionplan", "childofconcern"]
KINDS: dict[str, type[QaRecord]] = {
    "audit": Audit,
    "actionplan": ActionPlan,
    "childofconcern": ChildOfConcern,
}
#: Every stored topic prefix (current and legacy) -> the kind of record it belongs to.
TOPIC_KINDS: dict[str, RecordKind] = {
    **dict.fromkeys(audit_events.TOPIC_PREFIXES, "audit"),
    **dict.fromkeys(action_plan_events.TOPIC_PREFIXES, "actionplan"),
    **dict.fromkeys(concern_events.TOPIC_PREFIXES, "childofconcern"),
}
S = TypeVar("S", bound=QaState)


class QualityService(RecordService):
    """Use cases of the quality-assurance lifecycle over the event store."""

    name = EVENT_STORE  # eventsourcing names a subclass after itself otherwise

    def __init__(
        self,
        env: dict[str, str],
        *,
        calendar: WorkingDayCalendar,
        reviews: ReviewService,
    ) -> None:
        super().__init__(
            env, calendar=calendar, access=reviews.access, partnerships=reviews.partnerships
        )
        self.reviews = reviews

    def policy(self, partnership: str) -> QaPolicy:
        """The partnership's recorded QA practice, copied onto each record it opens."""
        return self.partnerships.policy(partnership).qa

    # ------------------------------------------------------------------ audits

    def plan_audit(self, command: PlanAudit, *, key: str, today: date) -> AuditState:
        """Open an audit (planned today, or on a past day when entered after the
        event). Retrying with the same key returns it unchanged."""
        if command.opened_on is not None and command.opened_on > today:
            raise RuleViolation(
                f"{command.opened_on} is in the future", field="opened_on", rule="no_future_dates"
            )
        state: AuditState = self._open(
            Audit,
            command.partnership,
            command.audit_ref,
            key,
            lambda: Audit.plan(
                command,
                key=key,
                policy=self.policy(command.partnership),
                calendar_version=self.calendar.version,
                today=today,
            ),
        )
        return state

    def record_audit_step(
        self, partnership: str, ref: str, step: str, command: Command, *, key: str, today: date
    ) -> AuditState:
        # Sampled case references follow the partnership's recorded pattern.
        if isinstance(command, DrawSample):
            self.partnerships.check_child_refs(partnership, command.case_refs, field="case_refs")
        elif isinstance(command, RecordFindings):
            self.partnerships.check_child_refs(
                partnership,
                [f.case_ref for f in command.findings],
                field="findings",
                item_field="case_ref",
            )
        audit: AuditState = self._step(
            Audit, partnership, ref, step, command, key, today, plan_audit_clocks
        )
        return audit

    # ------------------------------------------------------------ action plans

    def open_action_plan(
        self, command: OpenActionPlan, *, key: str, today: date
    ) -> ActionPlanState:
        if command.opened_on > today:
            raise RuleViolation(
                f"{command.opened_on} is in the future", field="opened_on", rule="no_future_dates"
            )
        policy = self.policy(command.partnership)
        with counted(command):
            check_agreed_due_days(command, self.calendar)
            opened = settle_backdated(plan_opening_clocks(command, policy, self.calendar), today)
        state: ActionPlanState = self._open(
            ActionPlan,
            command.partnership,
            command.plan_ref,
            key,
            lambda: ActionPlan.open_plan(
                command,
                key=key,
                policy=policy,
                calendar_version=self.calendar.version,
                opened=opened,
            ),
        )
        return state

    def review_recommendations(self, partnership: str, case_ref: str) -> list[Recommendation]:
        """The recommendations a review case recorded, read from its event history:
        the rapid review report's immediate ones, then the LCSPR's (or closing) ones."""
        history = self.reviews.history(partnership, case_ref)
        reports = [e for e in history if e.event == "RapidReviewReportSubmitted"]
        # Only the latest rapid review report counts: a resubmission replaces the list.
        chosen = reports[-1:] + [e for e in history if e.event == "RecommendationsRecorded"]
        found = [
            Recommendation.model_validate(r)
            for entry in chosen
            for r in entry.data.get("recommendations", [])
        ]
        if not found:
            raise RuleViolation(
                f"review case {case_ref} has no recorded recommendations",
                field="case_ref",
                rule="recommendations_recorded",
            )
        return found

    def plan_from_review(self, command: OpenPlanFromReview) -> OpenActionPlan:
        """The opening command of a review case's action plan: one action per recommendation."""
        partnership = command.partnership or command.actor.partnership
        if partnership is None:
            raise RuleViolation(
                "name the review's partnership", field="partnership", rule="partnership_required"
            )
        recommendations = self.review_recommendations(partnership, command.case_ref)
        partnership = self.reviews.state(partnership, command.case_ref).partnership
        return OpenActionPlan(
            actor=command.actor,
            plan_ref=action_plan_ref(command.case_ref),
            partnership=partnership,
            source="review",
            source_ref=command.case_ref,
            opened_on=command.opened_on,
            actions=[
                ActionSpec(
                    owner_agency=r.owner_agency,
                    text=r.text,
                    due_on=command.due_on,
                    success_measure=command.success_measure,
                )
                for r in recommendations
            ],
        )

    def open_plan_from_review(
        self, command: OpenPlanFromReview, *, key: str, today: date
    ) -> ActionPlanState:
        with counted(command):
            check_agreed_due_days(command, self.calendar)
        return self.open_action_plan(self.plan_from_review(command), key=key, today=today)

    def record_plan_step(
        self, partnership: str, ref: str, step: str, command: Command, *, key: str, today: date
    ) -> ActionPlanState:
        state: ActionPlanState = self._step(
            ActionPlan, partnership, ref, step, command, key, today, plan_action_plan_clocks
        )
        return state

    # --------------------------------------------------------- child of concern

    def open_concern(self, command: OpenConcern, *, key: str, today: date) -> ConcernState:
        policy = self.policy(command.partnership)
        with counted(command):
            opened = plan_opening_concern_clocks(command, policy, self.calendar)
        settle_backdated(opened, today)
        state: ConcernState = self._open(
            ChildOfConcern,
            command.partnership,
            command.concern_ref,
            key,
            lambda: ChildOfConcern.open_concern(
                command,
                key=key,
                policy=policy,
                calendar_version=self.calendar.version,
                opened=opened,
            ),
        )
        return state

    def record_concern_step(
        self, partnership: str, ref: str, step: str, command: Command, *, key: str, today: date
    ) -> ConcernState:
        state: ConcernState = self._step(
            ChildOfConcern, partnership, ref, step, command, key, today, plan_concern_clocks
        )
        return state

    # ------------------------------------------------------------------ clocks

    def send_reminder(
        self,
        partnership: str,
        kind: RecordKind,
        ref: str,
        clock: str,
        index: int,
        *,
        key: str,
        at: datetime,
    ) -> QaState:
        state: QaState = self._write(
            KINDS[kind],
            partnership,
            ref,
            key,
            lambda r: r.send_reminder(clock, index, key=key, at=at),
        )
        return state

    def escalate(
        self,
        partnership: str,
        kind: RecordKind,
        ref: str,
        clock: str,
        index: int,
        *,
        key: str,
        at: datetime,
    ) -> QaState:
        def act(record: QaRecord) -> None:
            opened: list[Clock] = []
            if isinstance(record, ChildOfConcern) and clock in record.state.clocks:
                with counted():
                    opened = plan_after_missed_review(record.state, clock, self.calendar)
            record.escalate(clock, index, key=key, at=at, opened=opened)

        state: QaState = self._write(KINDS[kind], partnership, ref, key, act)
        return state

    # ------------------------------------------------------------------- reads

    def partnership_of(self, partnership: str | None, kind: RecordKind, ref: str) -> str:
        """``partnership``, or for a task scheduled by a release before partnerships were
        tenants (no partnership in its input), the partnership its record was opened in."""
        if partnership is not None:
            return partnership
        return partnership_of_legacy(self, legacy_record_id(kind, ref), f"{kind} {ref}")

    def state(self, partnership: str, kind: RecordKind, ref: str) -> QaState:
        state: QaState = self._load(KINDS[kind], partnership, ref).state
        return state

    def history(
        self,
        partnership: str,
        kind: RecordKind,
        ref: str,
        *,
        as_at: datetime | None = None,
        as_of: date | None = None,
    ) -> list[HistoryEntry]:
        """Every fact recorded about the record, oldest first: recorded by ``as_at``
        (recording time) and happened by the end of ``as_of`` (fact time)."""
        entries = stored_history(self, self._id(kind, partnership, ref), as_at, as_of)
        if not entries:
            field = "as_of" if as_of is not None and as_at is None else "ref"
            raise CaseNotFound(
                f"no {kind} {ref.upper()} in partnership {partnership.upper()}"
                + (f" had anything happen by {as_of.isoformat()}" if as_of else ""),
                field=field,
                rule="record_exists",
            )
        return entries

    def read_history(
        self,
        partnership: str,
        kind: RecordKind,
        ref: str,
        *,
        actor: dict[str, Any],
        purpose: str,
        view: str = "history",
        as_at: datetime | None = None,
        as_of: date | None = None,
    ) -> list[HistoryEntry]:
        """A person's read: recorded first in the access log (who, which record, why, and
        which past moment or day was asked for), then returned: recorded by ``as_at``,
        happened by ``as_of``. Nothing is appended to the record's own stream."""
        self.record_history_read(
            partnership,
            kind,
            ref,
            actor=actor,
            purpose=purpose,
            view=view,
            as_at=as_at,
            as_of=as_of,
        )
        return self.history(partnership, kind, ref, as_at=as_at, as_of=as_of)

    def record_history_read(
        self,
        partnership: str,
        kind: RecordKind,
        ref: str,
        *,
        actor: dict[str, Any],
        purpose: str,
        view: str = "history",
        as_at: datetime | None = None,
        as_of: date | None = None,
    ) -> AccessEntry:
        """Record in the access log that a person read the record (events or trail)."""
        record = self._load(KINDS[kind], partnership, ref)
        return self._note_read(
            record,
            kind=kind,
            ref=record.state.ref,
            actor=actor,
            view=view,
            purpose=purpose,
            as_at=as_at,
            as_of=as_of,
        )

    def reads(self, partnership: str, kind: RecordKind, ref: str) -> list[AccessEntry]:
        """Every recorded read of the record: the reads earlier releases wrote into the
        record's own stream (``HistoryRead``), then the access log's."""
        history = self.history(partnership, kind, ref)
        return self.access.reads_with_legacy(self._id(kind, partnership, ref), history)

    def verify(self, partnership: str, kind: RecordKind, ref: str) -> VerifyResult:
        """Check the record's hash chain, naming the first bad record."""
        return verify_stored(self, self._id(kind, partnership, ref), ref, _ref_of)

    def verify_all(self) -> list[tuple[str, VerifyResult]]:
        """Check every audit, action plan and child-of-concern record in the event log."""
        kinds = aggregates_in_log(self, TOPIC_KINDS)
        return [(k, verify_stored(self, i, None, _ref_of)) for i, k in kinds.items()]

    def verify_log(self) -> VerifyResult:
        """Check the whole notification log (every lifecycle's records), naming each
        problem's review case, audit, action plan or child of concern where it can."""
        return verify_log(self, lambda s: _ref_of(s) or case_ref_of(s))

    # ---------------------------------------------------------------- internals

    def _id(self, kind: str, partnership: str, ref: str) -> UUID:
        """The record's aggregate id: scoped by partnership; a record written before
        partnerships were tenants keeps its old id (found if its partnership matches)."""
        return scoped_id(
            self, partnership, record_id(kind, partnership, ref), legacy_record_id(kind, ref)
        )

    def _stream_id(self, cls: type[QaRecord], partnership: str, ref: str) -> UUID:
        return self._id(cls.KIND, partnership, ref)


def _ref_of(first: dict[str, Any]) -> str | None:
    # most specific first: a concern also names its audit
    for name in ("concern_ref", "plan_ref", "audit_ref"):
        if first.get(name):
            return str(first[name])
    return None
