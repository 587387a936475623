"""Application service for lifecycle 3, the recurring QA programme: the only code
that touches programme, subgroup and scorecard events.

Same discipline as ``qa_engine.audits``: every write takes an idempotency key; a
retried call whose key is already recorded appends nothing and returns the
current state; concurrent writers are serialised by the store's optimistic
concurrency (the loser reloads and re-checks). The actor comes from the command
(set by the entry point from its principal).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Literal, TypeVar
from uuid import UUID

from eventsourcing.persistence import RecordConflictError
from pydantic import BaseModel

from domain.assurance import AssuranceState, OpenAssurance, plan_assurance_clocks
from domain.assurance import events as assurance_events
from domain.assurance.aggregate import AssuranceActivity
from domain.audit import PlanAudit
from domain.calendar import WorkingDayCalendar
from domain.errors import CaseNotFound
from domain.programme import (
    AUDIT_KIND_OF,
    OpenProgramme,
    ProgrammeEntry,
    ProgrammeState,
    RecordOccurrenceOpened,
    occurrence_ref,
    programme_ref,
)
from domain.programme import events as programme_events
from domain.programme.aggregate import Programme
from domain.qa import QaPolicy, QaState
from domain.qa.clock import Clock, action_due_clock
from domain.qa.record import QaRecord, record_id
from domain.scorecard import OpenScorecard, ReturnValue, ScorecardState
from domain.scorecard import events as scorecard_events
from domain.scorecard.aggregate import Scorecard
from domain.section11 import OpenSection11Cycle, Section11State, plan_section11_clocks
from domain.section11 import events as section11_events
from domain.section11.aggregate import Section11Cycle
from domain.subgroup import (
    FormSubgroup,
    RaiseAction,
    RaiseAgendaItem,
    ScheduleMeeting,
    SubgroupState,
)
from domain.subgroup import events as subgroup_events
from domain.subgroup.aggregate import Subgroup
from domain.values import Actor, Command
from qa_engine.audits import QualityService
from qa_engine.recording import (
    RETRIES,
    HistoryEntry,
    RecordService,
    VerifyResult,
    stored_history,
    verify_stored,
)
from qa_engine.store import EVENT_STORE

__all__ = [
    "PROGRAMME_KINDS",
    "Opening",
    "ProgrammeKind",
    "ProgrammeService",
    "audit_plan",
    "schedule_actor",
]

ProgrammeKind = Literal["programme", "subgroup", "scorecard", "section11", "assurance"]
PROGRAMME_KINDS: dict[str, type[QaRecord]] = {
    "programme": Programme,
    "subgroup": Subgroup,
    "scorecard": Scorecard,
    "section11": Section11Cycle,
    "assurance": AssuranceActivity,
}
#: Every stored topic prefix -> the kind of record it belongs to.
TOPIC_KINDS: dict[str, str] = {
    **dict.fromkeys(programme_events.TOPIC_PREFIXES, "programme"),
    **dict.fromkeys(subgroup_events.TOPIC_PREFIXES, "subgroup"),
    **dict.fromkeys(scorecard_events.TOPIC_PREFIXES, "scorecard"),
    **dict.fromkeys(section11_events.TOPIC_PREFIXES, "section11"),
    **dict.fromkeys(assurance_events.TOPIC_PREFIXES, "assurance"),
}
S = TypeVar("S", bound=QaState)


class Opening(BaseModel):
    """What opening one period's occurrence did (the activity's result)."""

    status: Literal[
        "opened", "already_opened", "done", "skipped", "paused", "not_planned", "no_entry"
    ]
    record_kind: str | None = None
    record_ref: str | None = None
    plan_audit: PlanAudit | None = None


class ProgrammeService(RecordService):
    """Use cases of the recurring QA programme over the event store."""

    name = EVENT_STORE  # eventsourcing names a subclass after itself otherwise

    def __init__(
        self, env: dict[str, str], *, calendar: WorkingDayCalendar, quality: QualityService
    ) -> None:
        super().__init__(
            env, calendar=calendar, access=quality.access, partnerships=quality.partnerships
        )
        self.quality = quality

    def policy(self, partnership: str) -> QaPolicy:
        return self.quality.policy(partnership)

    def _open_record(
        self,
        cls: type[QaRecord],
        opener: Callable[..., QaRecord],
        command: Any,
        ref: str,
        *,
        key: str,
        **extra: Any,
    ) -> Any:
        """Open ``cls`` as ``opener`` does, under the partnership's policy and the
        calendar in force; retrying with the key returns the record's state."""
        return self._open(
            cls,
            command.partnership,
            ref,
            key,
            lambda: opener(
                command,
                key=key,
                policy=self.policy(command.partnership),
                calendar_version=self.calendar.version,
                **extra,
            ),
        )

    def _transact(self, key: str, attempt: Callable[[], tuple[S, list[QaRecord]]]) -> S:
        """Save what ``attempt`` changed (its first record's state is the answer) in one
        transaction, loading afresh after a concurrent write; nothing changed is saved."""
        for _attempt in range(RETRIES):
            state, changed = attempt()
            if not changed:
                return state
            try:
                self.save(*changed)
            except RecordConflictError:
                continue
            return state
        raise RuntimeError(f"could not record {key} after {RETRIES} concurrent conflicts")

    # --------------------------------------------------------------- programme

    def open_programme(self, command: OpenProgramme, *, key: str) -> ProgrammeState:
        """Open a partnership's programme for a year. Retrying with the key returns it."""
        state: ProgrammeState = self._open(
            Programme,
            command.partnership,
            programme_ref(command.year),
            key,
            lambda: Programme.open_programme(
                command,
                key=key,
                policy=self.policy(command.partnership),
                calendar_version=self.calendar.version,
            ),
        )
        return state

    def programme(self, partnership: str, year: int) -> ProgrammeState:
        state: ProgrammeState = self._load(Programme, partnership, programme_ref(year)).state
        return state

    def record_programme_step(
        self, partnership: str, year: int, step: str, command: Command, *, key: str, today: date
    ) -> ProgrammeState:
        state: ProgrammeState = self._step(
            Programme, partnership, programme_ref(year), step, command, key, today
        )
        return state

    def open_occurrence(
        self,
        partnership: str,
        year: int,
        entry_id: str,
        period_year: int,
        month: int,
        *,
        key: str,
        today: date,
    ) -> Opening:
        """Open one period's occurrence of an entry (what its schedule does at its time).

        Idempotent by ``key`` and by period: an occurrence already opened is reported
        ``already_opened`` with the same record (and, for an audit, the same plan, so
        a start lost after the first recording is made good under the same id)."""
        state = self.programme(partnership, year)
        entry = state.entries.get(entry_id.upper())
        if entry is None:
            return Opening(status="no_entry")
        occ = entry.occurrences.get(month)
        if period_year != year or occ is None:
            return Opening(status="not_planned")
        ref = occurrence_ref(entry.entry_id, year, month)
        if occ.status == "planned":
            if entry.paused:
                return Opening(status="paused")
            command = RecordOccurrenceOpened(
                actor=schedule_actor(state.partnership),
                entry_id=entry.entry_id,
                month=month,
                opened_on=today,
                record_kind=entry.opens,
                record_ref=ref,
            )
            state = self._open_occurrence(partnership, state, entry, command, key, today)
            status: str = "opened"
        elif occ.status == "opened":
            status = "already_opened"  # by an earlier firing (or this one, retried)
        else:
            return Opening(status=occ.status, record_ref=occ.record_ref)
        return Opening(
            status=status,
            record_kind=entry.opens,
            record_ref=ref,
            plan_audit=audit_plan(state, entry.entry_id, month) if entry.opens == "audit" else None,
        )

    def _open_occurrence(
        self,
        partnership: str,
        state: ProgrammeState,
        entry: ProgrammeEntry,
        command: RecordOccurrenceOpened,
        key: str,
        today: date,
    ) -> ProgrammeState:
        """Record the occurrence and, for a meeting of a group on the record, the meeting
        on the group's own record: both in one transaction, once per key."""

        def attempt() -> tuple[ProgrammeState, list[QaRecord]]:
            programme: Programme = self._load(Programme, partnership, state.ref)
            if key in programme.applied_keys:
                return programme.state, []
            programme.record(command, key=key, today=today, opened=[])
            changed: list[QaRecord] = [programme]
            if entry.opens == "meeting" and entry.group:
                group = self._group_if_any(partnership, entry.group)
                if group is not None and command.record_ref not in group.state.meetings:
                    meeting = ScheduleMeeting(
                        actor=command.actor,
                        meeting_ref=command.record_ref,
                        meeting_on=date(state.year, command.month, entry.day),
                    )
                    group.record(meeting, key=key, today=today, opened=[])
                    changed.append(group)
            return programme.state, changed

        return self._transact(key, attempt)

    def _group_if_any(self, partnership: str, group_ref: str) -> Subgroup | None:
        try:
            group: Subgroup = self._load(Subgroup, partnership, group_ref)
        except CaseNotFound:
            return None
        return group

    # ---------------------------------------------------------------- subgroups

    def form_subgroup(self, command: FormSubgroup, *, key: str) -> SubgroupState:
        """Record a subgroup's formation: members by agency, lead partners, chair."""
        state: SubgroupState = self._open_record(
            Subgroup, Subgroup.form, command, command.group_ref, key=key
        )
        return state

    def subgroup(self, partnership: str, group_ref: str) -> SubgroupState:
        state: SubgroupState = self._load(Subgroup, partnership, group_ref).state
        return state

    def record_subgroup_step(
        self,
        partnership: str,
        group_ref: str,
        step: str,
        command: Command,
        *,
        key: str,
        today: date,
    ) -> SubgroupState:
        state: SubgroupState = self._step(
            Subgroup, partnership, group_ref, step, command, key, today, plan=_subgroup_clocks
        )
        return state

    # --------------------------------------------------------------- scorecards

    def open_scorecard(self, command: OpenScorecard, *, key: str) -> ScorecardState:
        """Open a scorecard; its exceptions go to the named subgroup's next agenda."""
        self._load(Subgroup, command.partnership, command.subgroup_ref)  # it must exist
        state: ScorecardState = self._open_record(
            Scorecard, Scorecard.open_scorecard, command, command.scorecard_ref, key=key
        )
        return state

    def scorecard(self, partnership: str, ref: str) -> ScorecardState:
        state: ScorecardState = self._load(Scorecard, partnership, ref).state
        return state

    def record_scorecard_step(
        self, partnership: str, ref: str, step: str, command: Command, *, key: str, today: date
    ) -> ScorecardState:
        """Record a scorecard step. A value that breaks its indicator's tolerance is an
        exception: it is raised onto the subgroup's next agenda in the same transaction."""
        model = ScorecardState.COMMANDS.get(step)
        if model is None or not isinstance(command, model):
            raise TypeError(f"{step} is not a scorecard step taking {type(command).__name__}")

        def attempt() -> tuple[ScorecardState, list[QaRecord]]:
            card: Scorecard = self._load(Scorecard, partnership, ref)
            if key in card.applied_keys:
                return card.state, []
            card.record(command, key=key, today=today, opened=[])
            changed: list[QaRecord] = [card]
            if (
                isinstance(command, ReturnValue)
                and card.state.values[command.code][command.quarter].exception
            ):
                ind = card.state.indicators[command.code]
                group: Subgroup = self._load(Subgroup, partnership, card.state.subgroup_ref)
                item = RaiseAgendaItem(
                    actor=command.actor,
                    raised_on=command.returned_on,
                    item=(
                        f"Scorecard exception {ind.code} {command.quarter}: {command.value:g}"
                        f"{ind.unit} against target {ind.target:g}{ind.unit} "
                        f"(tolerance {ind.tolerance:g}, {ind.polarity.replace('_', ' ')})"
                    ),
                    source=f"scorecard {card.state.ref}",
                )
                group.record(item, key=key, today=today, opened=[])
                changed.append(group)
            return card.state, changed

        return self._transact(key, attempt)

    # -------------------------------------------------------------- section 11

    def open_section11(self, command: OpenSection11Cycle, *, key: str) -> Section11State:
        """Open a Section 11 cycle year; each agency's return clock starts with it."""
        state: Section11State = self._open_record(
            Section11Cycle,
            Section11Cycle.open_cycle,
            command,
            command.cycle_ref,
            key=key,
            opened=plan_section11_clocks(self.policy(command.partnership), command, self.calendar),
        )
        return state

    def section11(self, partnership: str, ref: str) -> Section11State:
        state: Section11State = self._load(Section11Cycle, partnership, ref).state
        return state

    def record_section11_step(
        self, partnership: str, ref: str, step: str, command: Command, *, key: str, today: date
    ) -> Section11State:
        """Record a Section 11 step; an action raised starts its due-day clock."""
        state: Section11State = self._step(
            Section11Cycle,
            partnership,
            ref,
            step,
            command,
            key,
            today,
            plan=lambda st, c, cal: plan_section11_clocks(
                st.policy, c, cal, action_id=f"SA{len(st.actions) + 1}"
            ),
        )
        return state

    def chase_section11(self, partnership: str, ref: str, *, now: datetime) -> Section11State:
        """Record every chaser and escalation of the cycle's clocks due by ``now``, in
        order, each once (its key names the clock, the kind and the index)."""
        while True:
            record: Section11Cycle = self._load(Section11Cycle, partnership, ref)
            timer = record.state.next_timer(now)
            if timer is None or timer.at > now:
                return record.state
            key = f"chase/{record.state.ref}/{timer.clock}/{timer.kind}/{timer.index}"
            if timer.kind == "remind":
                record.send_reminder(timer.clock, timer.index, key=key, at=now)
            else:
                record.escalate(timer.clock, timer.index, key=key, at=now, opened=[])
            try:
                self.save(record)
            except RecordConflictError:
                continue

    # -------------------------------------------------- assurance activities

    def open_assurance(self, command: OpenAssurance, *, key: str) -> AssuranceState:
        """Open a practice week, clinic, declaration round or thematic audit."""
        state: AssuranceState = self._open_record(
            AssuranceActivity,
            AssuranceActivity.open_activity,
            command,
            command.activity_ref,
            key=key,
        )
        return state

    def assurance(self, partnership: str, ref: str) -> AssuranceState:
        state: AssuranceState = self._load(AssuranceActivity, partnership, ref).state
        return state

    def record_assurance_step(
        self, partnership: str, ref: str, step: str, command: Command, *, key: str, today: date
    ) -> AssuranceState:
        """Record an assurance step; an action raised starts its due-day clock."""
        state: AssuranceState = self._step(
            AssuranceActivity,
            partnership,
            ref,
            step,
            command,
            key,
            today,
            plan=plan_assurance_clocks,
        )
        return state

    # ------------------------------------------------------------------- reads

    def history(self, partnership: str, kind: str, ref: str) -> list[HistoryEntry]:
        cls = PROGRAMME_KINDS[kind]
        entries = stored_history(self, self._id(cls, partnership, ref))
        if not entries:
            raise CaseNotFound(
                f"no {kind} {ref.upper()} in partnership {partnership.upper()}",
                field="ref",
                rule="record_exists",
            )
        return entries

    def read_history(
        self, partnership: str, kind: str, ref: str, *, actor: dict[str, Any], purpose: str
    ) -> list[HistoryEntry]:
        """A person's read: recorded in the access log first, then returned."""
        record = self._load(PROGRAMME_KINDS[kind], partnership, ref)
        self._note_read(
            record,
            kind=kind,
            ref=record.state.ref,
            actor=actor,
            view="history",
            purpose=purpose,
            as_at=None,
            as_of=None,
        )
        return self.history(partnership, kind, ref)

    def verify(self, partnership: str, kind: str, ref: str) -> VerifyResult:
        cls = PROGRAMME_KINDS[kind]
        return verify_stored(self, self._id(cls, partnership, ref), ref, _ref_of)

    # --------------------------------------------------------------- internals

    @staticmethod
    def _id(cls: type[QaRecord], partnership: str, ref: str) -> UUID:
        return record_id(cls.KIND, partnership, ref)

    def _stream_id(self, cls: type[QaRecord], partnership: str, ref: str) -> UUID:
        return self._id(cls, partnership, ref)


def _subgroup_clocks(
    state: SubgroupState, command: Command, calendar: WorkingDayCalendar
) -> list[Clock]:
    """An action raised at a meeting runs on the clock engine to its due day (reminded
    before it, escalated to the chair then the executive after it)."""
    if not isinstance(command, RaiseAction):
        return []
    action_id = f"A{len(state.actions) + 1}"
    held_on = state.meetings[command.meeting_ref].held_on
    return [
        action_due_clock(
            state.policy,
            key=f"subgroup_action:{action_id}",
            label=f"{state.ref} action {action_id} ({command.owner_agency})",
            owner=command.owner_agency,
            start=held_on or command.due_on,
            due_on=command.due_on,
            calendar=calendar,
        )
    ]


def schedule_actor(partnership: str) -> Actor:
    """Who records what a schedule opens: qa-engine itself, for the partnership."""
    return Actor(
        name="qa-engine",
        role="QA programme schedule",
        subject="system:qa-engine",
        partnership=partnership,
    )


def audit_plan(state: ProgrammeState, entry_id: str, month: int) -> PlanAudit:
    """The plan an audit entry's occurrence opens with: the entry's kind, theme, sample,
    lead and agencies; the period its lookback names (whole months before it opens)."""
    entry = state.entries[entry_id]
    first = date(state.year, month, 1)
    back = (state.year * 12 + month - 1) - entry.lookback_months
    return PlanAudit(
        actor=schedule_actor(state.partnership),
        audit_ref=occurrence_ref(entry_id, state.year, month),
        partnership=state.partnership,
        kind=AUDIT_KIND_OF[entry.kind],
        theme=entry.title,
        period_start=date(back // 12, back % 12 + 1, 1),
        period_end=first - timedelta(days=1),
        sample_size=entry.sample_size,
        lead=entry.lead or f"{entry.owner_agency} audit lead",
        agencies=entry.agencies or [entry.owner_agency],
    )


def _ref_of(first: dict[str, Any]) -> str | None:
    for name in ("programme_ref", "group_ref", "scorecard_ref", "cycle_ref", "activity_ref"):
        if first.get(name):
            return str(first[name])
    return None
