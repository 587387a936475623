"""What the three lifecycle-2 workflows share: steps as updates, clocks as timers.

Each workflow records its opening through an activity, then lives until its
record closes: every step arrives as a Temporal update whose validator calls
the state's ``check`` (nothing enters history on rejection); every open clock's
next reminder or escalation is a durable timer. State always comes back from
the activity that recorded it, so the workflow never holds anything the event
store does not. Workflow code never counts working days: the instants it waits
for were computed by the service and recorded in the events.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any, ClassVar, Generic, Literal, TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.errors import DomainError
    from domain.qa import QaState, Timer
    from domain.values import Command
    from workflows.common import execute, london_today, rejected
    from workflows.contracts import BREACHED, CASE_REF, NEXT_DEADLINE, PARTNERSHIP, STAGE
    from workflows.qa_contracts import (
        RECORD_QA_ESCALATION,
        RECORD_QA_REMINDER,
        ClockFireInput,
        QaStepInput,
    )

__all__ = ["ClockedWorkflow"]

S = TypeVar("S", bound=QaState)


class ClockedWorkflow(Generic[S]):
    """Base of the audit, action plan and child-of-concern workflows."""

    KIND: ClassVar[Literal["audit", "actionplan", "childofconcern"]]
    STATE: ClassVar[type[QaState]]

    def __init__(self) -> None:
        self._state: S | None = None
        self._lock = asyncio.Lock()
        self._changed = False

    # --------------------------------------------------------------- helpers

    def _today(self) -> date:
        return london_today()

    async def _activity(self, name: str, arg: Any) -> S:
        result: S = await execute(name, arg, self.STATE)  # type: ignore[arg-type]
        return result

    async def _run_clocks(self, *, should_pause: Any = None) -> bool:
        """Wait on clocks until the record closes (True) or ``should_pause()`` (False)."""
        assert self._state is not None
        while not self._state.closed:
            if should_pause is not None and should_pause():
                return False
            timer = self._state.next_timer()
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
            await self._fire(timer)
        return True

    async def _fire(self, timer: Timer) -> None:
        async with self._lock:
            assert self._state is not None
            if self._state.next_timer() != timer:
                return  # changed while we waited for the lock: plan again
            info = workflow.info()
            key = f"{info.workflow_id}/{timer.kind}/{timer.clock}/{timer.due_on}/{timer.index}"
            self._state = await self._activity(
                RECORD_QA_REMINDER if timer.kind == "remind" else RECORD_QA_ESCALATION,
                ClockFireInput(
                    kind=self.KIND,
                    partnership=self._state.partnership,
                    ref=self._state.ref,
                    clock=timer.clock,
                    index=timer.index,
                    key=key,
                    at=workflow.now(),
                ),
            )
            self._publish()

    async def _step(self, step: str, command: Command) -> S:
        async with self._lock:
            self._validate(command)  # re-check: another step may have landed meanwhile
            assert self._state is not None
            update = workflow.current_update_info()
            step_id = update.id if update is not None else str(workflow.uuid4())
            self._state = await self._activity(
                step,
                QaStepInput(
                    partnership=self._state.partnership,
                    ref=self._state.ref,
                    step=step,
                    command=command.model_dump(mode="json"),
                    key=f"{workflow.info().workflow_id}/{step_id}",
                    today=self._today(),
                ),
            )
            self._publish()
            return self._state

    def _validate(self, command: Command) -> None:
        if self._state is None:
            raise ApplicationError(
                f"the {self.KIND} is still being recorded; try again",
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
        nxt = self._state.next_due()
        workflow.upsert_search_attributes(
            [
                CASE_REF.value_set(self._state.ref),
                PARTNERSHIP.value_set(self._state.partnership),
                STAGE.value_set(str(self._state.stage)),
                BREACHED.value_set(self._state.breached),
                NEXT_DEADLINE.value_set(nxt.due_at) if nxt else NEXT_DEADLINE.value_unset(),
            ]
        )
        workflow.upsert_memo({"summary": self._state.summary()})
