"""A year of the QA timetable on Temporal's time-skipping test server: every audit,
meeting and report of seed 002's programme opened once, each firing made twice.

The time-skipping server does not run Schedules (it has no scheduler), so this test
plays the scheduler's part, from the very ``Schedule`` each entry would be given
(``schedule_of``): it reads the firing times off the schedule's calendar spec
(09:00 London on the entry's day of each planned month), skips the server's clock
to each one and starts the schedule's action as written (workflow type, argument,
id prefix, task queue) - twice, as a retried or caught-up firing would. The
occurrence workflow then takes its period from the workflow's clock (a schedule's
run takes it from ``TemporalScheduledStartTime``; the dev-server test in
``test_programme_schedules.py`` covers that path and a real ``trigger``). The
audits it opens run as real ``AuditWorkflow`` children on the same worker, through
the skipped year.

The programme is next year's: the test server's clock starts at the wall clock and
only moves forward.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

from temporalio.client import ScheduleActionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from domain.calendar import LONDON
from domain.programme import OpenProgramme, occurrence_ref
from domain.programme.template import TEMPLATES
from domain.subgroup import FormSubgroup
from qa_engine.bootstrap import bootstrap
from qa_engine.entry.programme_client import schedule_of
from tests.conftest import actor, sqlite_settings
from workers.main import build_worker
from workflows.programme_contracts import OccurrenceOpening

QUEUE = "programme-year"


def _firings(spec_calendars: list[object], year: int) -> Iterator[datetime]:
    """Every time a calendar spec fires in ``year`` (London): the spec's own ranges."""
    for cal in spec_calendars:

        def values(ranges: list[object]) -> list[int]:
            return [
                v
                for r in ranges
                for v in range(r.start, (r.end or r.start) + 1, r.step or 1)  # type: ignore[attr-defined]
            ]

        assert values(cal.year) == [year]  # type: ignore[attr-defined]
        for month in values(cal.month):  # type: ignore[attr-defined]
            for day in values(cal.day_of_month):  # type: ignore[attr-defined]
                for hour in values(cal.hour):  # type: ignore[attr-defined]
                    yield datetime(year, month, day, hour, tzinfo=LONDON)


async def test_a_year_of_the_timetable_opens_every_audit_meeting_and_report_once(
    ts_env: WorkflowEnvironment, tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    client = ts_env.client
    now = await ts_env.get_current_time()
    year = now.astimezone(LONDON).year + 1
    services = bootstrap(sqlite_settings(tmp_path, temporal_task_queue=QUEUE))
    svc = services.programme
    today = now.astimezone(LONDON).date()
    entries = TEMPLATES["seed-002"]()
    state = svc.open_programme(
        OpenProgramme.model_validate(
            {
                "actor": actor(),
                "partnership": "GSCP",
                "year": year,
                "decided_on": today,
                "entries": [e.model_dump() for e in entries],
            }
        ),
        key="open",
    )
    svc.form_subgroup(
        FormSubgroup(
            actor=actor(),
            group_ref="QIIP",
            partnership="GSCP",
            name="Quality and Improvement in Practice",
            chair="Designated Nurse",
            members=["LA", "POLICE", "ICB"],
            formed_on=today,
        ),
        key="qiip",
    )

    # the scheduler's part: each entry's schedule, its firing times and its action
    plan: list[tuple[datetime, str, ScheduleActionStartWorkflow]] = []
    for entry in state.entries.values():
        schedule = schedule_of(state, entry, QUEUE)
        assert not schedule.state.paused
        action = schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert action.task_queue == QUEUE
        for when in _firings(list(schedule.spec.calendars), year):
            plan.append((when, entry.entry_id, action))
    plan.sort(key=lambda p: (p[0], p[1]))
    planned = {
        (e.entry_id, m) for e in state.entries.values() for m in e.occurrences
    }  # every month the programme plans
    assert {(entry_id, when.month) for when, entry_id, _ in plan} == planned
    assert len(plan) == sum(len(e.months) for e in entries) == 74

    results: list[tuple[str, int, OccurrenceOpening]] = []
    async with build_worker(client, task_queue=QUEUE, services=services, executor=executor):
        # the clock moves only when the test says: waiting for a result must not skip
        # ahead to the next timer of an audit already opened (years away)
        with ts_env.auto_time_skipping_disabled():
            for when, entry_id, action in plan:
                current = await ts_env.get_current_time()
                if when > current:
                    await ts_env.sleep(when - current)
                for firing in (1, 2):  # a schedule firing twice in its period
                    handle = await client.start_workflow(
                        action.workflow,
                        *action.args,
                        id=f"{action.id}-{when:%Y-%m-%dT%H:%M}-{firing}",
                        task_queue=action.task_queue,
                        result_type=OccurrenceOpening,
                    )
                    results.append((entry_id, when.month, await handle.result()))
            # the year's last firing's audits start their own clocks before the reading
            await ts_env.sleep(timedelta(days=1))

    # every planned occurrence: opened by its first firing, found opened by the second
    by_occurrence: dict[tuple[str, int], list[str]] = {}
    for entry_id, month, opening in results:
        by_occurrence.setdefault((entry_id, month), []).append(opening.status)
        assert opening.record_ref == occurrence_ref(entry_id, year, month)
    assert set(by_occurrence) == planned
    assert all(s == ["opened", "already_opened"] for s in by_occurrence.values())

    # the record: one OccurrenceOpened per planned occurrence, each on its own day
    history = svc.history("GSCP", "programme", f"QAP-{year}")
    opened = [e for e in history if e.event == "OccurrenceOpened"]
    assert Counter((e.data["entry_id"], e.data["month"]) for e in opened) == Counter(planned)
    for e in opened:
        entry = state.entries[e.data["entry_id"]]
        assert str(e.data["opened_on"]) == date(year, e.data["month"], entry.day).isoformat()
    final = svc.programme("GSCP", year)
    assert all(o.status == "opened" for e in final.entries.values() for o in e.occurrences.values())

    # what was opened, by kind: every audit planned once, every meeting and report once
    kinds = Counter(e.data["record_kind"] for e in opened)
    expected = Counter(
        final.entries[entry_id].opens for entry_id, _ in planned
    )  # audit / meeting / report / ...
    assert kinds == expected and kinds["audit"] == 32 and kinds["meeting"] and kinds["report"]
    for entry_id, month in sorted(planned):
        if final.entries[entry_id].opens == "audit":
            audit = services.quality.history("GSCP", "audit", occurrence_ref(entry_id, year, month))
            assert [e.event for e in audit].count("Planned") == 1, (entry_id, month)
            ref = occurrence_ref(entry_id, year, month)
            handle = client.get_workflow_handle(f"audit-GSCP-{ref}")
            started, *_ = [e async for e in handle.fetch_history_events()]
            attrs = started.workflow_execution_started_event_attributes
            assert attrs.workflow_type.name == "AuditWorkflow", ref  # once, under its own id
    group = svc.subgroup("GSCP", "QIIP")
    assert sorted(group.meetings) == sorted(
        occurrence_ref("QIIP", year, m) for m in final.entries["QIIP"].months
    )
    services.close()
