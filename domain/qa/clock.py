"""Clocks and the common state machine of the quality-assurance lifecycles.

A ``Clock`` is a due day computed once (outside workflow code, with the
working-day calendar) and recorded in the event that opened it, together with
everything the workflow needs to wait on it: the reminder instants before the
due day and the escalation ladder after it. The workflow only compares those
recorded instants with ``workflow.now()``; it never counts working days.

``QaState`` is the base of the audit, action plan and child-of-concern states:
what the workflows carry, what queries return, and what update validators call
``check`` on. Like the review state it holds no free text. It is built only from
recorded events (each lifecycle's ``state`` module has one ``on_*`` handler per
event). Stored copies (events' clocks, projection state, workflow payloads) are
read leniently: unknown fields are ignored, so a field removed later still loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.calendar import LONDON, WorkingDayCalendar, end_of_day
from domain.clock import ClockBase, Timer
from domain.values import Command

__all__ = [
    "Clock",
    "Escalation",
    "QaPolicy",
    "QaState",
    "Timer",
    "action_due_clock",
    "make_clock",
    "next_working_day",
    "settle_backdated",
]

_SUBGROUP_CHAIR = "QA subgroup chair"
_EXECUTIVE = "partnership executive"


class QaPolicy(BaseModel):
    """Local practice for lifecycle 2; recorded on every audit, plan and concern it governs.

    Read leniently (a setting removed later still loads from a recorded copy); it
    is built from ``Settings``, which does the checking of configuration.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    # audits: agency returns
    return_chaser_working_days: tuple[int, ...] = Field(default=(3, 1))
    return_escalate_to: tuple[str, ...] = ("audit lead", _SUBGROUP_CHAIR)
    return_second_escalation_working_days: int = Field(default=5, ge=1, le=60)
    # action plans
    action_reminder_working_days: tuple[int, ...] = Field(default=(10, 2))
    subgroup_chair: str = _SUBGROUP_CHAIR
    executive: str = _EXECUTIVE
    escalate_to_executive_after_working_days: int = Field(default=10, ge=1, le=120)
    impact_check_months: int = Field(default=3, ge=1, le=24)
    impact_check_window_working_days: int = Field(default=20, ge=1, le=120)
    # child / young person of concern (seed 002)
    concern_group_manager_working_days: int = Field(default=2, ge=1, le=20)
    concern_review_interval_days: int = Field(default=7, ge=1, le=31)
    concern_group_manager_escalate_to: tuple[str, ...] = ("Assistant Director",)
    concern_review_escalate_to: tuple[str, ...] = ("Director of Children's Services",)


class Escalation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    at: datetime
    to: list[str]


class Clock(ClockBase):
    """A lifecycle-2 clock (``domain.clock``): reminders before the due day and an
    escalation ladder after it; never paused."""

    owner: str
    reminders: list[datetime] = Field(default_factory=list)
    escalations: list[Escalation] = Field(default_factory=list)
    #: a missed clock is closed by its first escalation (the next one is opened instead)
    rolls_on_miss: bool = False
    reminders_sent: int = 0
    escalations_sent: int = 0
    status: Literal["open", "met", "missed", "cancelled"] = "open"
    #: a clock opened after its reminders or due day had passed (a record or step
    #: entered after the event) is judged from here, the end of the recording day:
    #: the facts entered that day come first, so nothing reminds or escalates for a
    #: due day they show was met, no reminder goes out after the due day, and an
    #: escalation that did happen is dated at its own instant (issue 8)
    judge_from: datetime | None = None

    @property
    def overdue(self) -> bool:
        return self.escalations_sent > 0

    def remind_at(self, index: int) -> datetime | None:
        """When reminder ``index`` goes out: its instant, or the judging instant of a
        clock entered after the event; None when that is no longer before the due day."""
        at = self.reminders[index]
        if self.judge_from is not None:
            at = max(at, self.judge_from)
        return at if self.judge_from is None or at < self.due_at else None

    def escalate_at(self, index: int) -> datetime:
        """When escalation ``index`` is acted on (judged after the event: not before
        the end of the recording day)."""
        at = self.escalations[index].at
        return at if self.judge_from is None else max(at, self.judge_from)


def settle_backdated(opened: list[Clock], today: date) -> list[Clock]:
    """Facts first, then clocks (issue 8, as the review lifecycle's): a clock opened
    when a reminder or its due day had already passed (a record or step entered after
    the event) is judged from the end of the recording day. Clocks entered on time
    are left as they are."""
    settle = end_of_day(today)
    start_of_today = settle - timedelta(days=1)
    for c in opened:
        if c.due_on < today or any(r < start_of_today for r in c.reminders):
            c.judge_from = settle
    return opened


def _nine_am(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=LONDON).astimezone(end_of_day(day).tzinfo)


def next_working_day(calendar: WorkingDayCalendar, day: date) -> date:
    """``day`` itself if it is a working day, else the next one."""
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def make_clock(
    *,
    key: str,
    label: str,
    rule: str,
    owner: str,
    start: date,
    due_on: date,
    calendar: WorkingDayCalendar,
    remind_working_days: Sequence[int] = (),
    remind_on: Sequence[date] = (),
    ladder: Sequence[tuple[int, Sequence[str]]] = (),
    rolls_on_miss: bool = False,
) -> Clock:
    """Compute a clock (outside workflow code) so it can be recorded in an event.

    ``remind_working_days``: send a reminder at 09:00 that many working days before
    the due day (only those after the clock started). ``ladder``: escalate to the
    given roles at the end of the working day that many working days after the
    due day (0 = as soon as the due day ends).
    """
    due_at = end_of_day(due_on)
    start_at = end_of_day(start) - timedelta(days=1)  # midnight starting the start day
    reminders = {_nine_am(calendar.subtract_working_days(due_on, n)) for n in remind_working_days}
    reminders |= {_nine_am(d) for d in remind_on}
    kept = sorted(r for r in reminders if start_at <= r < due_at)
    escalations = [
        Escalation(at=end_of_day(calendar.add_working_days(due_on, n)), to=list(to))
        for n, to in ladder
    ]
    return Clock(
        key=key,
        label=label,
        rule=rule,
        owner=owner,
        clock_start=start,
        due_on=due_on,
        due_at=due_at,
        calendar_version=calendar.version,
        reminders=kept,
        escalations=escalations,
        rolls_on_miss=rolls_on_miss,
    )


class QaState(BaseModel):
    """Common state and guards of the lifecycle-2 state machines."""

    model_config = ConfigDict(extra="ignore")

    #: step name -> command model, set by each subclass (the workflows' update names)
    COMMANDS: ClassVar[dict[str, type[Command]]] = {}
    #: date fields (top level) allowed to lie in the future
    FUTURE_FIELDS: ClassVar[frozenset[str]] = frozenset({"due_on"})
    LABEL: ClassVar[str] = "record"

    ref: str
    partnership: str
    policy: QaPolicy
    calendar_version: str
    opened_on: date
    version: int = 0
    stage: str
    outcome: str | None = None
    clocks: dict[str, Clock] = Field(default_factory=dict)

    # ------------------------------------------------------------------ queries

    @property
    def closed(self) -> bool:
        return self.outcome is not None

    def open_clocks(self) -> list[Clock]:
        return sorted(
            (c for c in self.clocks.values() if c.status == "open"), key=lambda c: c.due_at
        )

    def next_due(self) -> Clock | None:
        clocks = self.open_clocks()
        return clocks[0] if clocks else None

    @property
    def breached(self) -> bool:
        """Whether any clock of this record ever passed its due day undone."""
        return any(c.escalations_sent > 0 or c.late for c in self.clocks.values())

    def next_timer(self, now: datetime | None = None) -> Timer | None:
        """The earliest reminder or escalation not yet recorded (pure: safe in workflows;
        ``now`` is not needed: every instant was recorded when the clock opened)."""
        best: Timer | None = None
        for c in self.open_clocks():
            remind = c.remind_at(c.reminders_sent) if c.reminders_sent < len(c.reminders) else None
            if remind is not None:
                t = Timer(
                    clock=c.key, kind="remind", index=c.reminders_sent, at=remind, due_on=c.due_on
                )
            elif c.escalations_sent < len(c.escalations):
                t = Timer(
                    clock=c.key,
                    kind="escalate",
                    index=c.escalations_sent,
                    at=c.escalate_at(c.escalations_sent),
                    due_on=c.due_on,
                )
            else:
                continue
            if best is None or t.at < best.at:
                best = t
        return best

    def summary(self) -> str:
        """One line, no personal data: for the Temporal memo and list views."""
        nxt = self.next_due()
        due = f"; next: {nxt.label} due {nxt.due_on.isoformat()}" if nxt else ""
        overdue = [c for c in self.open_clocks() if c.overdue]
        flag = f"; OVERDUE: {len(overdue)}" if overdue else ""
        return f"{self.LABEL} {self.ref} ({self.partnership}) {self.stage}{due}{flag}"

    # ------------------------------------------------------------------- guards

    def check(self, command: Command, today: date) -> None:
        """Raise ``RuleViolation`` if ``command`` may not be applied now (each
        lifecycle's ``checks`` module: one rule per command type)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- mutations
    # Called only by the aggregate's events, with values computed before.

    def open(self, clocks: list[Clock]) -> None:
        for c in clocks:
            self.clocks[c.key] = c

    def meet(self, key: str, on: date) -> None:
        c = self.clocks.get(key)
        if c is not None and c.status == "open":
            c.status, c.met_on, c.late = "met", on, on > c.due_on

    def cancel_open(self) -> None:
        for c in self.clocks.values():
            if c.status == "open":
                c.status = "cancelled"

    def close(self, outcome: str) -> None:
        self.outcome = outcome
        self.cancel_open()

    def on_reminder(self, key: str, index: int) -> None:
        self.clocks[key].reminders_sent = index + 1

    def on_escalation(self, key: str, index: int, opened: list[Clock]) -> None:
        c = self.clocks[key]
        c.escalations_sent = index + 1
        if c.rolls_on_miss:
            c.status = "missed"
        self.open(opened)
        self._after_escalation(c)

    def _after_escalation(self, clock: Clock) -> None:
        """Hook for lifecycles that count misses."""

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def action_due_clock(
    policy: QaPolicy,
    *,
    key: str,
    label: str,
    owner: str,
    start: date,
    due_on: date,
    calendar: WorkingDayCalendar,
) -> Clock:
    """An action's due day on the clock engine: reminded before it (the policy's
    action reminders), escalated to the subgroup chair when it passes, then to the
    executive (lifecycle 3's actions: Section 11, assurance activities)."""
    return make_clock(
        key=key,
        label=label,
        rule="the action's due day",
        owner=owner,
        start=start,
        due_on=due_on,
        calendar=calendar,
        remind_working_days=policy.action_reminder_working_days,
        ladder=[
            (0, [policy.subgroup_chair]),
            (policy.escalate_to_executive_after_working_days, [policy.executive]),
        ],
    )
