"""The base of the lifecycle-2 aggregates: audit, action plan, child of concern.

Like the review case, each aggregate is hash-chained, identified by a UUID
derived from its reference (a retried "open" can never create a second one),
and every event records who acted (``actor``), the idempotency key of the step
that caused it (``key``) and, for steps, the validated command and the clocks
computed for it before it was triggered (``opened``), so replay rebuilds
exactly the same state. Subclasses name their events in the past tense.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.chain import ChainedAggregate, KeyedAggregate
from domain.errors import RuleViolation
from domain.qa_clock import Clock, QaState
from domain.values import Command

__all__ = ["SYSTEM_ACTOR", "QaRecord", "record_id"]

SYSTEM_ACTOR = {"name": "qa-engine", "role": "quality assurance clock"}


def record_id(kind: str, ref: str) -> UUID:
    """The aggregate id of a record: stable, so retries and replays agree on it."""
    return uuid5(NAMESPACE_URL, f"qa-engine:{kind}:{ref.upper()}")


class QaRecord(KeyedAggregate):
    """A lifecycle-2 record and the facts recorded about it."""

    KIND: ClassVar[str] = ""
    STATE: ClassVar[type[QaState]] = QaState
    STEP_EVENTS: ClassVar[dict[str, type[Any]]] = {}
    OPENED: ClassVar[type[Any]]

    state: ClassVar[Any]
    applied_keys: ClassVar[dict[str, int]]

    class Event(KeyedAggregate.Event):
        pass

    class Opened(Event, ChainedAggregate.Created):
        command: dict[str, Any]
        initial: dict[str, Any]
        opened: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            aggregate.applied_keys = {}
            aggregate.state = type(aggregate).STATE.model_validate(self.initial)
            aggregate.state.open([Clock.model_validate(c) for c in self.opened])
            super().apply(aggregate)

    class StepRecorded(Event):
        """Base of the events a lifecycle step records."""

        STEP: ClassVar[str] = ""
        command: dict[str, Any]
        opened: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            model = type(aggregate).STATE.COMMANDS[self.STEP]
            command = model.model_validate({**self.command, "actor": self.actor})
            opened = [Clock.model_validate(c) for c in self.opened]
            aggregate.state.apply(self.STEP, command, opened)
            super().apply(aggregate)

    class ReminderSent(Event):
        clock: str
        index: int
        due_on: str
        sent_to: list[str]

        def apply(self, aggregate: Any) -> None:
            aggregate.state.on_reminder(self.clock, self.index)
            super().apply(aggregate)

    class Escalated(Event):
        """A clock passed its due day undone (or a rung of its ladder): who was told."""

        clock: str
        index: int
        due_on: str
        at: str
        escalated_to: list[str]
        missed: bool
        opened: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            opened = [Clock.model_validate(c) for c in self.opened]
            aggregate.state.on_escalation(self.clock, self.index, opened)
            super().apply(aggregate)

    class HistoryRead(Event):
        """A person read the record's history (every read is itself recorded)."""

        purpose: str

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)

    # ------------------------------------------------------------------ commands

    @classmethod
    def open_record(
        cls, ref: str, command: Command, *, key: str, initial: QaState, opened: list[Clock]
    ) -> Any:
        return cls._create(
            cls.OPENED,
            id=record_id(cls.KIND, ref),
            key=key,
            actor=command.actor.model_dump(mode="json"),
            command=command.model_dump(mode="json", exclude={"actor"}),
            initial=initial.model_dump(mode="json"),
            opened=[c.model_dump(mode="json") for c in opened],
        )

    def record(
        self, step: str, command: Command, *, key: str, today: date, opened: list[Clock]
    ) -> None:
        """Record a lifecycle step after checking it against the record's rules."""
        self.state.check(command, today)
        self.trigger_event(
            self.STEP_EVENTS[step],
            key=key,
            actor=command.actor.model_dump(mode="json"),
            command=command.model_dump(mode="json", exclude={"actor"}),
            opened=[c.model_dump(mode="json") for c in opened],
        )

    def send_reminder(self, clock: str, index: int, *, key: str, at: datetime) -> None:
        c = self._open_clock(clock)
        if index != c.reminders_sent or index >= len(c.reminders):
            raise RuleViolation(f"reminder {index} of {clock} is not next", rule="timer_order")
        if at < c.reminders[index]:
            raise RuleViolation(f"reminder {index} of {clock} is not yet due", rule="not_yet_due")
        self.trigger_event(
            self.ReminderSent,
            key=key,
            actor=SYSTEM_ACTOR,
            clock=clock,
            index=index,
            due_on=c.due_on.isoformat(),
            sent_to=[c.owner],
        )

    def escalate(
        self, clock: str, index: int, *, key: str, at: datetime, opened: list[Clock]
    ) -> None:
        c = self._open_clock(clock)
        if index != c.escalations_sent or index >= len(c.escalations):
            raise RuleViolation(f"escalation {index} of {clock} is not next", rule="timer_order")
        if at < c.escalations[index].at:
            raise RuleViolation(
                f"{clock} is not overdue until {c.escalations[index].at.isoformat()}",
                rule="not_yet_due",
            )
        self.trigger_event(
            self.Escalated,
            key=key,
            actor=SYSTEM_ACTOR,
            clock=clock,
            index=index,
            due_on=c.due_on.isoformat(),
            at=at.isoformat(),
            escalated_to=list(c.escalations[index].to),
            missed=c.rolls_on_miss,
            opened=[o.model_dump(mode="json") for o in opened],
        )

    def record_history_read(self, *, key: str, actor: dict[str, Any], purpose: str) -> None:
        self.trigger_event(self.HistoryRead, key=key, actor=actor, purpose=purpose)

    def _open_clock(self, key: str) -> Clock:
        c: Clock | None = self.state.clocks.get(key)
        if c is None or c.status != "open":
            raise RuleViolation(f"clock {key!r} is not running", rule="clock_running")
        return c


def wire_events(cls: type[QaRecord]) -> None:
    """Find the opening and step events declared on ``cls`` (checked against its commands)."""
    (cls.OPENED,) = [
        v
        for name, v in vars(cls).items()
        if isinstance(v, type) and issubclass(v, QaRecord.Opened) and name != "Opened"
    ]
    events = {
        v.STEP: v
        for v in vars(cls).values()
        if isinstance(v, type) and issubclass(v, QaRecord.StepRecorded) and v.STEP
    }
    if set(events) != set(cls.STATE.COMMANDS):
        raise TypeError(
            f"{cls.__name__}: events and commands differ: {set(events) ^ set(cls.STATE.COMMANDS)}"
        )
    cls.STEP_EVENTS = events
