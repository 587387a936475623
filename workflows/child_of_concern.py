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
    from workflows.qa_common import ClockedWorkflow
    from workflows.qa_contracts import OPEN_CHILD_OF_CONCERN, OpenConcernInput, StartConcern

__all__ = ["ChildOfConcernWorkflow"]


@workflow.defn(name="ChildOfConcernWorkflow")
class ChildOfConcernWorkflow(ClockedWorkflow[ConcernState]):
    KIND = "childofconcern"
    STATE = ConcernState

    @workflow.run
    async def run(self, start: StartConcern) -> ConcernState:
        if start.resume is not None:
            self._state = start.resume
        else:
            self._state = await self._activity(
                OPEN_CHILD_OF_CONCERN,
                OpenConcernInput(
                    open=start.open,
                    key=f"{workflow.info().workflow_id}/opened",
                    today=self._today(),
                ),
            )
        self._publish()

        def history_too_long() -> bool:
            info = workflow.info()
            return (
                info.get_current_history_length() > start.history_limit
                or info.is_continue_as_new_suggested()
            )

        closed = await self._run_clocks(should_pause=history_too_long)
        # Let in-flight updates finish first: their results must reach the caller.
        await workflow.wait_condition(workflow.all_handlers_finished)
        if not closed:
            workflow.continue_as_new(
                StartConcern(open=start.open, resume=self._state, history_limit=start.history_limit)
            )
        return self._state

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
