"""What the three lifecycle-2 workflows add to the clocked-workflow base: their
kind, the clock activities (reminder / escalation) and the step input."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from domain.clock import Timer
    from domain.qa import QaState
    from domain.values import Command
    from workflows.clocked import ClockedWorkflow
    from workflows.contracts import CASE_REF, PARTNERSHIP
    from workflows.qa_contracts import (
        RECORD_QA_ESCALATION,
        RECORD_QA_REMINDER,
        ClockFireInput,
        QaStepInput,
    )

__all__ = ["QA_RULES_ISSUE_8", "QaWorkflow"]

S = TypeVar("S", bound=QaState)


#: patch id: the lifecycle-2 date-order rules of issue 8 (audit, action plan)
QA_RULES_ISSUE_8 = "qa-rules-issue-8"


class QaWorkflow(ClockedWorkflow[S]):
    """Base of the audit, action plan and child-of-concern workflows."""

    KIND: ClassVar[Literal["audit", "actionplan", "childofconcern"]]

    def _clock_call(self, timer: Timer, key: str) -> tuple[str, Any]:
        assert self._state is not None
        name = RECORD_QA_REMINDER if timer.kind == "remind" else RECORD_QA_ESCALATION
        return name, ClockFireInput(
            kind=self.KIND,
            partnership=self._state.partnership,
            ref=self._state.ref,
            clock=timer.clock,
            index=timer.index,
            key=key,
            at=workflow.now(),
        )

    def _step_input(self, step: str, command: Command, key: str) -> Any:
        assert self._state is not None
        return QaStepInput(
            partnership=self._state.partnership,
            ref=self._state.ref,
            step=step,
            command=command.model_dump(mode="json"),
            key=key,
            today=self._today(),
        )

    def _identity_attributes(self) -> list[SearchAttributeUpdate[Any]]:
        assert self._state is not None
        return [
            CASE_REF.value_set(self._state.ref),
            PARTNERSHIP.value_set(self._state.partnership),
        ]
