"""The one clocked-workflow base every lifecycle runs on: review, audit, action
plan and child of concern.

A clocked workflow records its opening through an activity, then lives until
its record closes: every step arrives as a Temporal update whose validator
calls the state's ``check`` (nothing enters history on rejection), and the
state's next timer (``domain.clock.Timer``: a reminder, a breach or an
escalation) is a durable wait. State always comes back from the activity that
recorded it, so the workflow never holds anything the event store does not.
Workflow code never counts working days: the instants it waits for were
computed by the service and recorded in the events.

Fit for years:

- a step whose activity fails (a rule, a programming error, or an
  infrastructure failure after the capped retries of ``workflows.common``)
  fails that update only; the lock is freed and the case takes its next step;
- a reminder or escalation whose activity fails is tried again after a
  back-off (2, 4, 8 ... minutes, at most an hour) instead of failing the
  workflow;
- once the run's history passes ``history_limit`` events, or Temporal suggests
  it, the workflow waits for every update handler to finish and continues as
  new, carrying its state over (the event store holds it too). Runs started by
  a release before this existed replay unchanged (``workflow.patched``).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.clock import ClockBase, Timer
    from domain.errors import DomainError
    from domain.values import Command
    from workflows.common import execute, london_today, rejected
    from workflows.contracts import BREACHED, NEXT_DEADLINE, STAGE

__all__ = ["CONTINUE_AS_NEW", "DEFAULT_HISTORY_LIMIT", "ClockedState", "ClockedWorkflow"]

#: patch id: runs may continue as new (review, audit and action plan workflows)
CONTINUE_AS_NEW = "continue-as-new"
DEFAULT_HISTORY_LIMIT = 2000
_MAX_BACKOFF = timedelta(hours=1)


class ClockedState(Protocol):
    """What a clocked workflow needs of its lifecycle's state."""

    @property
    def ref(self) -> str: ...

    @property
    def partnership(self) -> str: ...

    @property
    def closed(self) -> bool: ...

    @property
    def breached(self) -> bool: ...

    @property
    def stage(self) -> Any: ...

    def next_timer(self, now: datetime) -> Timer | None: ...

    def next_due(self) -> ClockBase | None: ...

    def summary(self) -> str: ...

    def check(self, command: Command, today: date) -> None: ...


S = TypeVar("S", bound=ClockedState)


class ClockedWorkflow(Generic[S]):
    """Base of every lifecycle's workflow; each subclass names its activities."""

    #: the state model activities return
    STATE: ClassVar[type[Any]]
    #: what the record is called in messages ("case", "audit", ...)
    WHAT: ClassVar[str]
    #: True where the workflow continued as new from its first release (no patch needed)
    CONTINUES_ALWAYS: ClassVar[bool] = False
    #: patch id of the step rules issue 8 added (None: unchanged): a step recorded
    #: before it replays under the rules then (``state.check(before_issue_8=True)``)
    RULES_PATCH: ClassVar[str | None] = None

    def __init__(self) -> None:
        self._state: S | None = None
        self._lock = asyncio.Lock()
        self._changed = False
        self._fire_failures = 0
        self._refused = False

    # ------------------------------------------------------ lifecycle hooks

    def _open_call(self, start: Any) -> tuple[str, Any]:
        """The activity (name, input) that records the opening."""
        raise NotImplementedError

    def _clock_call(self, timer: Timer, key: str) -> tuple[str, Any]:
        """The activity (name, input) that records ``timer`` firing."""
        raise NotImplementedError

    def _clock_key(self, timer: Timer) -> str:
        """The idempotency key of ``timer`` firing (stable across retries and replays)."""
        info = workflow.info()
        return f"{info.workflow_id}/{timer.kind}/{timer.clock}/{timer.due_on}/{timer.index}"

    def _step_input(self, step: str, command: Command, key: str) -> Any:
        """The input of step ``step``'s activity."""
        raise NotImplementedError

    def _continued(self, start: Any) -> Any:
        """The next run's input: ``start`` with the state carried over."""
        return start.model_copy(update={"resume": self._state})

    def _identity_attributes(self) -> list[SearchAttributeUpdate[Any]]:
        """Search attributes set once the record is known (besides stage and clocks)."""
        return []

    # ------------------------------------------------------------------ run

    def _today(self) -> date:
        return london_today()

    async def _activity(self, name: str, arg: Any) -> S:
        result: S = await execute(name, arg, self.STATE)
        return result

    async def _live(self, start: Any) -> S | None:
        """The whole run: open (or resume), wait on clocks, close or continue as new.

        Opened by a client with update-with-start (``start.by_update``), the run
        waits for the ``open`` update to record the opening; if that was refused
        the run completes with nothing recorded (no failed workflow is left behind,
        and the reference may be opened again). A child workflow records its own
        opening."""
        may_continue = self.CONTINUES_ALWAYS or workflow.patched(CONTINUE_AS_NEW)
        resume = getattr(start, "resume", None)
        if resume is not None:
            self._state = resume
        elif getattr(start, "by_update", False):
            await workflow.wait_condition(lambda: self._state is not None or self._refused)
            if self._state is None:
                await workflow.wait_condition(workflow.all_handlers_finished)
                return None
        else:
            name, arg = self._open_call(start)
            self._state = await self._activity(name, arg)
        self._publish()
        limit = getattr(start, "history_limit", DEFAULT_HISTORY_LIMIT)

        def history_too_long() -> bool:
            info = workflow.info()
            return info.get_current_history_length() > limit or info.is_continue_as_new_suggested()

        closed = await self._run_clocks(should_pause=history_too_long if may_continue else None)
        # Let in-flight updates finish first: their results must reach the caller.
        await workflow.wait_condition(workflow.all_handlers_finished)
        if not closed:
            workflow.continue_as_new(self._continued(start))
        assert self._state is not None
        return self._state

    async def _open(self, start: Any) -> S:
        """The ``open`` update's handler: record the opening (once)."""
        async with self._lock:
            self._validate_open(start)
            name, arg = self._open_call(start)
            try:
                state = await self._activity(name, arg)
            except (ApplicationError, ActivityError):
                self._refused = True
                raise
            if state.closed:
                # Same key, a record already closed: a new run of a finished reference.
                self._refused = True
                raise ApplicationError(
                    f"{self.WHAT} {state.ref} already exists and is closed",
                    {"field": None, "rule": "unique_ref"},
                    type="CaseAlreadyExists",
                    non_retryable=True,
                )
            self._state = state
            self._publish()
            return state

    def _validate_open(self, start: Any) -> None:
        """The ``open`` update's validator: a record opens once per run."""
        if self._state is not None or self._refused or not getattr(start, "by_update", False):
            raise ApplicationError(
                f"this {self.WHAT} is already open",
                {"field": None, "rule": "unique_ref"},
                type="CaseAlreadyExists",
                non_retryable=True,
            )

    async def _run_clocks(self, *, should_pause: Any = None) -> bool:
        """Wait on clocks until the record closes (True) or ``should_pause()`` (False)."""
        assert self._state is not None
        while not self._state.closed:
            if should_pause is not None and should_pause():
                return False
            timer = self._state.next_timer(workflow.now())
            self._changed = False
            if timer is None:
                await workflow.wait_condition(lambda: self._changed)
                continue
            wait = timer.at - workflow.now()
            if wait > timedelta(0):
                try:
                    await workflow.wait_condition(lambda: self._changed, timeout=wait)
                    continue  # something changed: plan the timers again
                except TimeoutError:
                    pass
            try:
                await self._fire(timer)
                self._fire_failures = 0
            except (ApplicationError, ActivityError) as e:
                await self._back_off(timer, e)
        return True

    async def _back_off(self, timer: Timer, error: Exception) -> None:
        """A clock's activity failed: wait, then plan again (a step may land meanwhile)."""
        self._fire_failures += 1
        backoff = min(timedelta(minutes=2**self._fire_failures), _MAX_BACKOFF)
        workflow.logger.error(
            "clock action failed; trying again later",
            extra={
                "clock": timer.clock,
                "timer": timer.kind,
                "error": type(error).__name__,
                "retry_in_s": backoff.total_seconds(),
            },
        )
        self._changed = False
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self._changed, timeout=backoff)

    async def _fire(self, timer: Timer) -> None:
        async with self._lock:
            assert self._state is not None
            if self._state.next_timer(workflow.now()) != timer:
                return  # changed while we waited for the lock: plan again
            name, arg = self._clock_call(timer, self._clock_key(timer))
            self._state = await self._activity(name, arg)
            self._publish()

    # ---------------------------------------------------------------- steps

    async def _step(self, step: str, command: Command) -> S:
        async with self._lock:
            self._recheck(command)  # another step may have landed meanwhile
            update = workflow.current_update_info()
            step_id = update.id if update is not None else str(workflow.uuid4())
            key = f"{workflow.info().workflow_id}/{step_id}"
            self._state = await self._activity(step, self._step_input(step, command, key))
            self._publish()
            return self._state

    def _recheck(self, command: Command) -> None:
        """A step's rules, checked again under the lock before its activity runs, under
        the rules the step was recorded by: a step recorded before ``RULES_PATCH``
        replays under the rules then (validators do not run on replay, so a new update
        is always validated under today's)."""
        if self.RULES_PATCH is None or workflow.patched(self.RULES_PATCH) or self._state is None:
            self._validate(command)
            return
        try:
            self._state.check(command, self._today(), before_issue_8=True)  # type: ignore[call-arg]
        except DomainError as e:
            raise rejected(e) from None

    def _validate(self, command: Command) -> None:
        if self._state is None:
            raise ApplicationError(
                f"the {self.WHAT} is still being recorded; try again",
                type="NotReady",
                non_retryable=True,
            )
        try:
            self._state.check(command, self._today())
        except DomainError as e:
            raise rejected(e) from None

    def _publish(self) -> None:
        """Search attributes and memo for the Temporal UI: no personal data."""
        assert self._state is not None
        self._changed = True
        stage = self._state.stage
        nxt = self._state.next_due()
        workflow.upsert_search_attributes(
            [
                *self._identity_attributes(),
                STAGE.value_set(str(stage.value if isinstance(stage, Enum) else stage)),
                BREACHED.value_set(self._state.breached),
                NEXT_DEADLINE.value_set(nxt.due_at) if nxt else NEXT_DEADLINE.value_unset(),
            ]
        )
        workflow.upsert_memo({"summary": self._state.summary()})
