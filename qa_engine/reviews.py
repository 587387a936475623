"""Application service for lifecycle 1: the only code that touches review events.

Every write takes an idempotency key (``<workflow id>/<step id>``). A retried
call whose key is already recorded appends nothing and returns the current
state; two concurrent writers are serialised by the store's optimistic
concurrency (the loser reloads and re-checks).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import RecordConflictError

from domain.errors import CaseAlreadyExists, CaseNotFound, RuleViolation
from domain.review import (
    COMMANDS,
    ReportIncident,
    ReviewState,
    plan_deadlines,
    plan_report_deadlines,
    settle_backdated,
)
from domain.review.aggregate import ReviewCase, legacy_review_id, review_id
from domain.review.events import TOPIC_PREFIXES
from domain.rules import RuleSet, rule_set
from domain.values import Command
from qa_engine.access_log import AccessEntry
from qa_engine.due_days import check_agreed_due_days
from qa_engine.recording import (
    HistoryEntry,
    StoreService,
    VerifyResult,
    aggregates_in_log,
    counted,
    partnership_of_legacy,
    scoped_id,
    stored_history,
    verify_log,
    verify_stored,
    write_once,
)
from qa_engine.store import EVENT_STORE

__all__ = ["HistoryEntry", "ReviewService", "VerifyResult", "case_ref_of"]


class ReviewService(StoreService):
    """Use cases of the review lifecycle over the event store."""

    name = EVENT_STORE  # eventsourcing names a subclass after itself otherwise

    # ------------------------------------------------------------------ writes

    def report_incident(self, command: ReportIncident, *, key: str, today: date) -> ReviewState:
        """Open a case. Retrying with the same key returns the case unchanged."""
        if command.aware_on > today:
            raise RuleViolation(
                f"{command.aware_on} is in the future", field="aware_on", rule="no_future_dates"
            )
        try:
            existing = self._load(command.partnership, command.case_ref)
        except CaseNotFound:
            pass
        else:
            if key in existing.applied_keys:
                return existing.state
            raise CaseAlreadyExists(
                f"case {command.case_ref} already exists", field="case_ref", rule="unique_case_ref"
            )
        self.partnerships.check_child_refs(
            command.partnership, command.child_refs, field="child_refs"
        )
        # The case copies its partnership's recorded policy: it keeps these rules.
        policy = self.partnerships.policy(command.partnership)
        rules = rule_set(policy.rule_set)
        with counted(command):
            opened = plan_report_deadlines(command, rules, self.calendar, policy.variations)
        settle_backdated(opened, today)
        case = ReviewCase.report(
            command,
            key=key,
            rule_set=rules.label,
            variations=policy.variations,
            calendar_version=self.calendar.version,
            reported_on=today,
            opened=opened,
        )
        try:
            self.save(case)
        except RecordConflictError:
            # A concurrent retry won the race: same key means same case.
            existing = self._load(command.partnership, command.case_ref)
            if key in existing.applied_keys:
                return existing.state
            raise CaseAlreadyExists(
                f"case {command.case_ref} already exists", field="case_ref", rule="unique_case_ref"
            ) from None
        return case.state

    def record_step(
        self,
        partnership: str,
        case_ref: str,
        step: str,
        command: Command,
        *,
        key: str,
        today: date,
    ) -> ReviewState:
        """Check and record one lifecycle step (``step`` is a name in ``COMMANDS``)."""
        if not isinstance(command, COMMANDS[step]):
            raise TypeError(f"{step} takes {COMMANDS[step].__name__}")

        def act(case: ReviewCase) -> None:
            case.state.check(command, today)
            with counted(command):
                check_agreed_due_days(command, self.calendar)
                opened = plan_deadlines(case.state, command, rules_of(case.state), self.calendar)
            settle_backdated(opened, today)
            notice = next((d for d in opened if d.key == "publication_notice"), None)
            if notice is not None and notice.due_on < today and case.state.report_sent_on is None:
                raise RuleViolation(
                    f"publication on {notice.clock_start} leaves less than 7 working days' "
                    f"notice to the Panel and the Secretary of State (notice due {notice.due_on})",
                    field="planned_on",
                    rule="publication_notice",
                )
            case.record(command, key=key, today=today, opened=opened)

        return self._write(partnership, case_ref, key, act)

    def send_reminder(
        self, partnership: str, case_ref: str, deadline: str, *, key: str
    ) -> ReviewState:
        return self._write(partnership, case_ref, key, lambda c: c.send_reminder(deadline, key=key))

    def record_breach(
        self, partnership: str, case_ref: str, deadline: str, *, key: str, at: datetime
    ) -> ReviewState:
        return self._write(
            partnership, case_ref, key, lambda c: c.record_breach(deadline, key=key, at=at)
        )

    def _write(
        self, partnership: str, case_ref: str, key: str, act: Callable[[ReviewCase], None]
    ) -> ReviewState:
        state: ReviewState = write_once(
            lambda: self._load(partnership, case_ref), self.save, key, act
        )
        return state

    # ------------------------------------------------------------------- reads

    def read_history(
        self,
        partnership: str,
        case_ref: str,
        *,
        actor: dict[str, Any],
        as_at: datetime | None = None,
        purpose: str = "case review",
        as_of: date | None = None,
    ) -> list[HistoryEntry]:
        """An auditor's read: recorded first in the access log (who, when, why), then
        returned: the facts recorded by ``as_at`` (recording time) that had happened by
        the end of ``as_of`` (fact time). Nothing is appended to the case's own stream."""
        self.record_history_read(
            partnership, case_ref, actor=actor, as_at=as_at, purpose=purpose, as_of=as_of
        )
        return self.history(partnership, case_ref, as_at=as_at, as_of=as_of)

    def record_history_read(
        self,
        partnership: str,
        case_ref: str,
        *,
        actor: dict[str, Any],
        as_at: datetime | None = None,
        purpose: str = "case review",
        view: str = "history",
        as_of: date | None = None,
    ) -> AccessEntry:
        """Record in the access log that a person read the case (events or trail)."""
        case = self._load(partnership, case_ref)
        return self._note_read(
            case,
            kind="review",
            ref=case.state.case_ref,
            actor=actor,
            view=view,
            purpose=purpose,
            as_at=as_at,
            as_of=as_of,
        )

    def reads(self, partnership: str, case_ref: str) -> list[AccessEntry]:
        """Every recorded read of the case: from the access log, then the reads
        earlier releases wrote into the case's own stream (``HistoryRead``)."""
        history = self.history(partnership, case_ref)
        return self.access.reads_with_legacy(self._id(partnership, case_ref), history)

    def state(self, partnership: str, case_ref: str) -> ReviewState:
        return self._load(partnership, case_ref).state

    def exists(self, partnership: str, case_ref: str) -> bool:
        try:
            self._load(partnership, case_ref)
        except CaseNotFound:
            return False
        return True

    def history(
        self,
        partnership: str,
        case_ref: str,
        *,
        as_at: datetime | None = None,
        as_of: date | None = None,
    ) -> list[HistoryEntry]:
        """Every fact recorded about the case, oldest first: recorded by ``as_at``
        (recording time) and happened by the end of ``as_of`` (fact time)."""
        entries = stored_history(self, self._id(partnership, case_ref), as_at, as_of)
        if not entries:
            if as_of is not None and as_at is None:
                raise CaseNotFound(
                    f"nothing had happened in case {case_ref} by {as_of.isoformat()}",
                    field="as_of",
                    rule="case_exists",
                )
            raise CaseNotFound(f"no case {case_ref}", field="case_ref", rule="case_exists")
        return entries

    def state_as_at(self, partnership: str, case_ref: str, as_at: datetime) -> ReviewState:
        """Rebuild the case from the event store as it stood at ``as_at``."""
        case: ReviewCase | None = None
        for ev in self._events(partnership, case_ref):
            if ev.timestamp > as_at:
                break
            case = ev.mutate(case)
        if case is None:
            raise CaseNotFound(
                f"case {case_ref} did not exist at {as_at.isoformat()}",
                field="as_at",
                rule="case_exists",
            )
        return case.state

    def verify(self, partnership: str, case_ref: str) -> VerifyResult:
        """Check the case's hash chain, naming the first bad record."""
        return verify_stored(self, self._id(partnership, case_ref), case_ref, case_ref_of)

    def verify_all(self) -> list[VerifyResult]:
        """Check every review case found in the event log (not in a view)."""
        ids = aggregates_in_log(self, dict.fromkeys(TOPIC_PREFIXES, "review"))
        return [verify_stored(self, i, None, case_ref_of) for i in ids]

    def verify_log(self) -> VerifyResult:
        """Check the whole notification log against the ledger and its anchor."""
        return verify_log(self, case_ref_of)

    def _events(self, partnership: str, case_ref: str) -> list[Any]:
        return list(self.events.get(self._id(partnership, case_ref)))

    def partnership_of(self, partnership: str | None, case_ref: str) -> str:
        """``partnership``, or for a task scheduled by a release before partnerships were
        tenants (no partnership in its input), the partnership its case was reported in."""
        if partnership is not None:
            return partnership
        return partnership_of_legacy(self, legacy_review_id(case_ref), f"case {case_ref}")

    def _id(self, partnership: str, case_ref: str) -> UUID:
        """The case's aggregate id: scoped by partnership; a case written before
        partnerships were tenants keeps its old id (found if its partnership matches)."""
        return scoped_id(
            self, partnership, review_id(partnership, case_ref), legacy_review_id(case_ref)
        )

    def _load(self, partnership: str, case_ref: str) -> ReviewCase:
        try:
            case: ReviewCase = self.repository.get(self._id(partnership, case_ref))
        except AggregateNotFoundError:
            raise CaseNotFound(
                f"no case {case_ref.upper()} in partnership {partnership.upper()}",
                field="case_ref",
                rule="case_exists",
            ) from None
        return case


def case_ref_of(first: dict[str, Any]) -> str | None:
    """A case's reference from its opening event (typed v2, or a v1 ``report`` dict)."""
    ref = first.get("case_ref") or (first.get("report") or {}).get("case_ref")
    return str(ref) if ref else None


def rules_of(state: ReviewState) -> RuleSet:
    """The rule set a case was opened under (recorded as ``<id>@<version>``)."""
    return rule_set(state.rule_set.split("@", 1)[0])
