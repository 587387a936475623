"""The occurrence workflow a programme entry's Temporal Schedule starts at its time.

One short run per firing: it records the period's occurrence on the programme
(idempotent by a key from partnership, entry and period), then, for an audit
entry, starts the audit's own workflow (``audit-<P>-<ENTRY>-<YYYY>-<MM>``) as a
child that outlives it. A schedule firing twice in a period (a retry, a manual
trigger, a catch-up) opens one occurrence and one audit: the second run finds the
occurrence opened and the audit's workflow id taken.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow
from temporalio.common import SearchAttributeKey, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from domain.calendar import LONDON
    from workflows.common import execute, london_today
    from workflows.programme_contracts import (
        OPEN_PROGRAMME_OCCURRENCE,
        OccurrenceOpening,
        OpenOccurrenceInput,
        StartOccurrence,
        occurrence_key,
    )
    from workflows.qa_contracts import StartAudit, audit_workflow_id

__all__ = ["ProgrammeOccurrenceWorkflow"]

#: set by Temporal on every run a schedule starts: the firing's nominal time
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


@workflow.defn(name="ProgrammeOccurrenceWorkflow")
class ProgrammeOccurrenceWorkflow:
    @workflow.run
    async def run(self, start: StartOccurrence) -> OccurrenceOpening:
        when = self._fired_at().astimezone(LONDON)
        opening = await execute(
            OPEN_PROGRAMME_OCCURRENCE,
            OpenOccurrenceInput(
                partnership=start.partnership,
                year=start.year,
                entry_id=start.entry_id,
                period_year=when.year,
                month=when.month,
                key=occurrence_key(start.partnership, start.year, start.entry_id, when.month),
                today=london_today(),
            ),
            OccurrenceOpening,
        )
        if opening.plan_audit is not None:
            plan = opening.plan_audit
            try:
                await workflow.start_child_workflow(
                    "AuditWorkflow",
                    StartAudit(plan=plan),
                    id=audit_workflow_id(plan.partnership, plan.audit_ref),
                    parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                )
            except WorkflowAlreadyStartedError:
                workflow.logger.info("audit already started", extra={"ref": plan.audit_ref})
        return opening

    def _fired_at(self) -> datetime:
        """The schedule's nominal time for this firing (a late or catch-up run still
        opens its own period); the workflow's time when started by hand."""
        fired = workflow.info().typed_search_attributes.get(SCHEDULED_START)
        return fired if fired is not None else workflow.now()
