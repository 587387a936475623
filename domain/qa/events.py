"""The event bases the lifecycle-2 records share (never stored themselves).

Each lifecycle's ``events`` module subclasses these, so every stored topic names
its lifecycle (``domain.audit.events:ReminderSent``) and projections route by
module. Evolution policy as for the review case (``domain.review.events``).

Version 1 (before the lifecycles became packages) was stored under nested
topics (``domain.audit:Audit.Planned``): the opening event held ``command`` and
``initial`` (a dump of the initial state) dicts, a step event ``command``; dates
inside them, and the reminder and escalation instants, were ISO strings.
``upcast_v1_v2`` lifts those into the typed fields.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from domain.chain import ChainedAggregate, KeyedAggregate
from domain.evolution import DatesRevived, OpensClocks, fill_optional, revive_dates
from domain.qa.clock import Clock, QaState

__all__ = ["Escalated", "HistoryRead", "Opened", "QaEvent", "ReminderSent", "StepRecorded"]


class QaEvent(KeyedAggregate.Event):
    """Base of every lifecycle-2 event: who acted (``actor``) and the step's idempotency key."""

    class_version: ClassVar[int] = 1


class Opened(QaEvent, ChainedAggregate.Created):
    """A record opened, under the QA policy and calendar in force (copied onto it here).

    ``opened`` holds the clocks computed for the opening before it was recorded.
    """

    class_version: ClassVar[int] = 2
    #: the v1 ``initial`` state's fields this event now carries itself
    FROM_INITIAL: ClassVar[tuple[str, ...]] = ("policy", "calendar_version")
    partnership: str
    policy: dict[str, Any]
    calendar_version: str
    opened: list[dict[str, Any]]

    @classmethod
    def upcast_v1_v2(cls, state: dict[str, Any]) -> None:
        command, initial = state.pop("command"), state.pop("initial")
        state.update(command)
        for name in cls.FROM_INITIAL:
            state[name] = initial[name]
        fill_optional(cls, state)
        revive_dates(cls, state)

    def apply(self, aggregate: Any) -> None:
        aggregate.applied_keys = {}
        aggregate.state = self.initial_state()
        aggregate.state.open([Clock.model_validate(c) for c in self.opened])
        super().apply(aggregate)

    def initial_state(self) -> QaState:
        """The state of the record just opened, from this event's own fields."""
        raise NotImplementedError


class StepRecorded(OpensClocks, QaEvent):
    """Base of the events a lifecycle step records, with the clocks it opened."""

    CLOCK = Clock
    class_version: ClassVar[int] = 2
    opened: list[dict[str, Any]]


class ReminderSent(DatesRevived, QaEvent):
    """A reminder went to the clock's owner before its due day."""

    class_version: ClassVar[int] = 2
    clock: str
    index: int
    due_on: date
    sent_to: list[str]

    def apply(self, aggregate: Any) -> None:
        aggregate.state.on_reminder(self.clock, self.index)
        super().apply(aggregate)


class Escalated(DatesRevived, QaEvent):
    """A clock passed its due day undone (or a rung of its ladder): who was told."""

    class_version: ClassVar[int] = 2
    clock: str
    index: int
    due_on: date
    at: datetime
    escalated_to: list[str]
    missed: bool
    opened: list[dict[str, Any]]

    def apply(self, aggregate: Any) -> None:
        opened = [Clock.model_validate(c) for c in self.opened]
        aggregate.state.on_escalation(self.clock, self.index, opened)
        super().apply(aggregate)


class HistoryRead(QaEvent):
    """A person read the record's history. Written into the record's stream before
    the access log existed; kept readable for ever (never removed)."""

    purpose: str

    def apply(self, aggregate: Any) -> None:
        super().apply(aggregate)


def lifecycle_timer_events(
    module: str,
) -> tuple[type[ReminderSent], type[Escalated], type[HistoryRead]]:
    """A lifecycle's own reminder, escalation and (legacy) history-read events: the
    shapes above, defined under the lifecycle's events module, whose topics
    (``<module>:ReminderSent`` …) are stored for ever. Assign them to those names in
    that module: ``ReminderSent, Escalated, HistoryRead = lifecycle_timer_events(__name__)``."""

    def make(base: type[QaEvent]) -> Any:
        name = base.__name__
        return type(name, (base,), {"__module__": module, "__qualname__": name})

    return make(ReminderSent), make(Escalated), make(HistoryRead)


def events_of(namespace: dict[str, Any], module: str) -> dict[str, type[QaEvent]]:
    """A lifecycle's events by name: every ``QaEvent`` class its module defines."""
    return {
        cls.__name__: cls
        for cls in list(namespace.values())
        if isinstance(cls, type) and issubclass(cls, QaEvent) and cls.__module__ == module
    }
