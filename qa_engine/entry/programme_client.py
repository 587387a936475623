"""Client side of the programme: one Temporal Schedule per entry (the real Schedules
API, no sleeping loop), kept in step with the recorded programme.

``sync`` makes every entry's schedule match the programme as recorded: fires at
09:00 London on the entry's day in each month still planned (skipped, opened and
done months drop out), paused while the entry is paused (the note says why:
see the programme's history for the recorded reason). It is idempotent: run it
after any decision, or again after a failure.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from domain.programme import ProgrammeEntry, ProgrammeState
from workflows.programme_contracts import (
    OCCURRENCE_WORKFLOW,
    StartOccurrence,
    occurrence_workflow_id,
    schedule_id,
)

__all__ = ["ProgrammeClient", "ScheduleRow", "schedule_of"]

#: the hour (London) an occurrence opens on its day
OPENING_HOUR = 9


class ScheduleRow(BaseModel):
    schedule_id: str
    entry_id: str
    months: list[int]
    paused: bool
    note: str | None = None
    next_runs: list[datetime] = []
    actions_taken: int = 0


def schedule_of(state: ProgrammeState, entry: ProgrammeEntry, task_queue: str) -> Schedule:
    """The Temporal Schedule an entry should have, from the programme as recorded."""
    months = entry.active_months()
    paused = entry.paused or not months
    note = (
        "paused by a recorded decision"
        if entry.paused
        else ("no planned month left" if not months else "in step with the programme")
    )
    return Schedule(
        action=ScheduleActionStartWorkflow(
            OCCURRENCE_WORKFLOW,
            StartOccurrence(
                partnership=state.partnership, year=state.year, entry_id=entry.entry_id
            ),
            id=occurrence_workflow_id(state.partnership, state.year, entry.entry_id),
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    second=[ScheduleRange(0)],
                    minute=[ScheduleRange(0)],
                    hour=[ScheduleRange(OPENING_HOUR)],
                    day_of_month=[ScheduleRange(entry.day)],
                    # an empty list would mean every month: a schedule with none is paused
                    month=[ScheduleRange(m) for m in (months or entry.months)],
                    year=[ScheduleRange(state.year)],
                    comment=f"{entry.kind.value} {entry.cadence.value}",
                )
            ],
            time_zone_name="Europe/London",
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=7)),
        state=ScheduleState(paused=paused, note=note),
    )


class ProgrammeClient:
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client, self.task_queue = client, task_queue

    async def sync(self, state: ProgrammeState) -> list[ScheduleRow]:
        """Create or update every entry's schedule to match the recorded programme."""
        rows = []
        for entry in state.entries.values():
            wanted = schedule_of(state, entry, self.task_queue)
            sid = schedule_id(state.partnership, state.year, entry.entry_id)
            try:
                await self.client.create_schedule(sid, wanted)
            except ScheduleAlreadyRunningError:

                def update(_: ScheduleUpdateInput, wanted: Schedule = wanted) -> ScheduleUpdate:
                    return ScheduleUpdate(schedule=wanted)

                handle = self.client.get_schedule_handle(sid)
                await handle.update(update)
                # pausing is part of the update's state only on create: apply it explicitly
                if wanted.state.paused:
                    await handle.pause(note=wanted.state.note)
                else:
                    await handle.unpause(note=wanted.state.note)
            rows.append(await self.describe(state, entry.entry_id))
        return rows

    async def describe(self, state: ProgrammeState, entry_id: str) -> ScheduleRow:
        sid = schedule_id(state.partnership, state.year, entry_id)
        desc = await self.client.get_schedule_handle(sid).describe()
        cal = desc.schedule.spec.calendars
        return ScheduleRow(
            schedule_id=sid,
            entry_id=entry_id.upper(),
            months=sorted(
                m
                for r in (cal[0].month if cal else [])
                for m in range(r.start, (r.end or r.start) + 1)
            ),
            paused=desc.schedule.state.paused,
            note=desc.schedule.state.note,
            next_runs=list(desc.info.next_action_times[:3]),
            actions_taken=desc.info.num_actions,
        )

    async def schedules(self, state: ProgrammeState) -> list[ScheduleRow]:
        """Every entry's schedule as Temporal holds it (entries without one are left out)."""
        rows = []
        for entry_id in state.entries:
            try:
                rows.append(await self.describe(state, entry_id))
            except RPCError as e:
                if e.status != RPCStatusCode.NOT_FOUND:
                    raise
        return rows

    async def trigger(self, state: ProgrammeState, entry_id: str) -> None:
        """Fire an entry's schedule now (operations: a missed run, or a test)."""
        handle = self.client.get_schedule_handle(
            schedule_id(state.partnership, state.year, entry_id)
        )
        await handle.trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL)
