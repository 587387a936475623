"""The child-of-concern workflow: one per concern, ``childofconcern-<partnership>-<audit>-S<nn>``.

Started by the audit workflow when a practice evaluation grades a case
Inadequate. It can run for months of weekly reviews, so it keeps its history
bounded: once a run's history passes ``history_limit`` events it waits for
every update handler to finish and continues as new, carrying the state over
(the event store holds it too: nothing is lost either way).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.child_of_concern import (
        ConcernState,
        RecordAssistantDirectorReview,
        RecordGroupManagerReview,
    )
    from workflows.qa_common import QaWorkflow
    from workflows.qa_contracts import OPEN_CHILD_OF_CONCERN, OpenConcernInput, StartConcern

__all__ = ["ChildOfConcernWorkflow"]


@workflow.defn(name="ChildOfConcernWorkflow")
class ChildOfConcernWorkflow(QaWorkflow[ConcernState]):
    KIND = "childofconcern"
    STATE = ConcernState
    WHAT = "concern"
    CONTINUES_ALWAYS = True

    @workflow.run
    async def run(self, start: StartConcern) -> ConcernState | None:
        return await self._live(start)

    def _open_call(self, start: StartConcern) -> tuple[str, OpenConcernInput]:
        key = f"{workflow.info().workflow_id}/opened"
        return OPEN_CHILD_OF_CONCERN, OpenConcernInput(
            open=start.open, key=key, today=self._today()
        )

    @workflow.query
    def state(self) -> ConcernState | None:
        """The concern as the workflow last recorded it (None until it is recorded)."""
        return self._state

    @workflow.update
    async def record_group_manager_review(self, c: RecordGroupManagerReview) -> ConcernState:
        return await self._step("record_group_manager_review", c)

    @record_group_manager_review.validator
    def _v_gm(self, c: RecordGroupManagerReview) -> None:
        self._validate(c)

    @workflow.update
    async def record_assistant_director_review(
        self, c: RecordAssistantDirectorReview
    ) -> ConcernState:
        return await self._step("record_assistant_director_review", c)

    @record_assistant_director_review.validator
    def _v_ad(self, c: RecordAssistantDirectorReview) -> None:
        self._validate(c)
