"""The base of the lifecycle-2 aggregates: audit, action plan, child of concern.

Like the review case, each aggregate is hash-chained, identified by a UUID
derived from its reference (a retried "open" can never create a second one),
and every event records who acted (``actor``) and the idempotency key of the
step that caused it (``key``). Command methods check the record's rules, then
trigger one typed event (each lifecycle's ``events`` module) whose fields are
the facts, with the clocks computed for it before it was triggered (``opened``),
so replay rebuilds exactly the same state.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.calendar import LONDON
from domain.chain import KeyedAggregate
from domain.errors import RuleViolation
from domain.evolution import fields_of
from domain.qa import events
from domain.qa.clock import Clock, QaPolicy, QaState, settle_backdated
from domain.values import Command

__all__ = ["SYSTEM_ACTOR", "QaRecord", "legacy_record_id", "record_id"]

SYSTEM_ACTOR = {"name": "qa-engine", "role": "quality assurance clock"}


def record_id(kind: str, partnership: str, ref: str) -> UUID:
    """The aggregate id of a record: stable, so retries and replays agree on it, and
    scoped by partnership, so two partnerships may use the same reference."""
    return uuid5(NAMESPACE_URL, f"qa-engine:{kind}:{partnership.upper()}:{ref.upper()}")


def legacy_record_id(kind: str, ref: str) -> UUID:
    """The id records were given before partnerships were tenants (still found by it)."""
    return uuid5(NAMESPACE_URL, f"qa-engine:{kind}:{ref.upper()}")


class QaRecord(KeyedAggregate):
    """A lifecycle-2 record and the facts recorded about it.

    Subclasses name their lifecycle's events. (Lower-case class attributes: the
    aggregate's metaclass redefines upper-case event-class attributes as nested
    events, which would change their stored topics.)
    """

    KIND: ClassVar[str] = ""
    STATE: ClassVar[type[QaState]] = QaState
    #: command class -> the event that records it
    EVENT_OF: ClassVar[dict[type[Command], type[events.StepRecorded]]] = {}
    #: the timer and read events (lifecycles whose topics must name them override these)
    reminder_sent: ClassVar[type[events.ReminderSent]] = events.ReminderSent
    escalated: ClassVar[type[events.Escalated]] = events.Escalated
    history_read: ClassVar[type[events.HistoryRead]] = events.HistoryRead

    # Set by the events' apply methods (not dataclass fields of the aggregate).
    state: ClassVar[Any]
    applied_keys: ClassVar[dict[str, int]]

    # ------------------------------------------------------------------ commands

    @classmethod
    def _open(
        cls,
        event: type[events.Opened],
        ref: str,
        command: Command,
        *,
        key: str,
        policy: QaPolicy,
        calendar_version: str,
        opened: list[Clock],
        **facts: Any,
    ) -> Any:
        fields = fields_of(command)  # every opening command names its partnership
        return cls._create(
            event,
            id=record_id(cls.KIND, str(fields["partnership"]), ref),
            key=key,
            actor=command.actor.model_dump(mode="json"),
            **{**fields, **facts},  # a fact computed at opening overrides the input's value
            policy=policy.model_dump(mode="json"),
            calendar_version=calendar_version,
            opened=[c.model_dump(mode="json") for c in opened],
        )

    @classmethod
    def _open_plain(
        cls,
        event: type[events.Opened],
        ref: str,
        command: Command,
        *,
        key: str,
        policy: QaPolicy,
        calendar_version: str,
        **facts: Any,
    ) -> Any:
        """Open a record whose opening starts no clock (lifecycle 3's groups and lists)."""
        return cls._open(
            event,
            ref,
            command,
            key=key,
            policy=policy,
            calendar_version=calendar_version,
            opened=[],
            **facts,
        )

    def facts(self, command: Command) -> dict[str, Any]:
        """What a step computes from the state when it is recorded (ids given, quoracy,
        ...): stored beside the command's own values. None by default."""
        return {}

    def record(self, command: Command, *, key: str, today: date, opened: list[Clock]) -> None:
        """Record a lifecycle step after checking it against the record's rules, with the
        facts it computes (``facts``) beside the command's own values."""
        state: QaState = self.state
        state.check(command, today)
        settle_backdated(opened, today)
        self.trigger_event(
            self.EVENT_OF[type(command)],
            key=key,
            actor=command.actor.model_dump(mode="json"),
            **{**fields_of(command), **self.facts(command)},
            opened=[c.model_dump(mode="json") for c in opened],
        )

    def send_reminder(self, clock: str, index: int, *, key: str, at: datetime) -> None:
        c = self._open_clock(clock)
        if index != c.reminders_sent or index >= len(c.reminders):
            raise RuleViolation(f"reminder {index} of {clock} is not next", rule="timer_order")
        due = c.remind_at(index)
        if due is None:
            raise RuleViolation(
                f"reminder {index} of {clock} would go out after its due day (entered late)",
                rule="not_after_due",
            )
        if at < due:
            raise RuleViolation(f"reminder {index} of {clock} is not yet due", rule="not_yet_due")
        self.trigger_event(
            self.reminder_sent,
            key=key,
            actor=SYSTEM_ACTOR,
            clock=clock,
            index=index,
            due_on=c.due_on,
            sent_to=[c.owner],
        )

    def escalate(
        self, clock: str, index: int, *, key: str, at: datetime, opened: list[Clock]
    ) -> None:
        c = self._open_clock(clock)
        if index != c.escalations_sent or index >= len(c.escalations):
            raise RuleViolation(f"escalation {index} of {clock} is not next", rule="timer_order")
        if at < c.escalate_at(index):
            raise RuleViolation(
                f"{clock} is not overdue until {c.escalate_at(index).isoformat()}",
                rule="not_yet_due",
            )
        happened = c.escalations[index].at
        if c.judge_from is not None and at > happened:
            # judged after the event: the escalation is dated when it happened (the
            # event's own time says when it was found); clocks it rolls on to are
            # judged from the end of the day it was found, like any entered late
            settle_backdated(opened, at.astimezone(LONDON).date())
            at = happened
        self.trigger_event(
            self.escalated,
            key=key,
            actor=SYSTEM_ACTOR,
            clock=clock,
            index=index,
            due_on=c.due_on,
            at=at,
            escalated_to=list(c.escalations[index].to),
            missed=c.rolls_on_miss,
            opened=[o.model_dump(mode="json") for o in opened],
        )

    def record_history_read(self, *, key: str, actor: dict[str, Any], purpose: str) -> None:
        self.trigger_event(self.history_read, key=key, actor=actor, purpose=purpose)

    def _open_clock(self, key: str) -> Clock:
        c: Clock | None = self.state.clocks.get(key)
        if c is None or c.status != "open":
            raise RuleViolation(f"clock {key!r} is not running", rule="clock_running")
        return c
