"""The fast read paths of issue 12 give what the slow ones gave, on real stores.

- ``history`` decodes each stored record once without building event objects: on the
  committed v1 stores (plain and encrypted at rest) every record's entries equal those
  built from the upcast domain events, as before.
- Records are kept replayed in memory (eventsourcing's aggregate cache, fast-forwarded
  by the events stored since): a step recorded by another process is seen by the next
  step here, and a refused step leaves the kept record untouched.
- ``domain.trusted`` builds a model without validating, and refuses a partial one.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from domain.errors import RuleViolation
from domain.trusted import trusted, trusted_maker
from qa_engine.bootstrap import Services, bootstrap
from qa_engine.config import Settings
from qa_engine.recording import HistoryEntry, history_entry, stored_history
from qa_engine.reviews import ReviewService
from tests.review_data import cmd, path_to_lcspr, report
from tests.test_legacy_store import RECORDS, legacy  # noqa: F401 - the fixture

D = date(2025, 4, 11)


def test_history_equals_the_event_objects_path_on_the_committed_stores(
    legacy: Services,  # noqa: F811
) -> None:
    app = legacy.reviews
    for r in RECORDS:
        oid = UUID(r["aggregate_id"])
        slow = [history_entry(ev) for ev in app.events.get(oid)]
        fast = stored_history(app, oid)
        assert fast == slow, f"{r['kind']} {r['ref']}"
        assert [e.model_dump() for e in fast] == [e.model_dump() for e in slow]
        assert len(fast) == r["events"]
        # as at a past instant: the same cut
        cut = slow[len(slow) // 2].recorded_at
        assert stored_history(app, oid, cut) == [e for e in slow if e.recorded_at <= cut]


def test_history_of_every_lifecycle_today_equals_the_event_objects_path(
    settings: Settings,
) -> None:
    """Records of today's shape take the one-pass path (``_fast_entry``); every record
    the national data generator writes (reviews, audits, plans, concerns, with their
    reminders and breaches) reads the same through it as through its event objects."""
    from benchmarks.generate import Volumes, generate
    from qa_engine.recording import _fast_entry

    services = bootstrap(settings)
    try:
        generate(services, partnerships=1, years=1, volumes=Volumes(reviews=2, audits=3))
        app = services.reviews
        ids = {n.originator_id for n in app.recorder.select_notifications(start=1, limit=10_000)}
        fast_path = 0
        for oid in ids:
            slow = [history_entry(ev) for ev in app.events.get(oid)]
            assert stored_history(app, oid) == slow
            for row in app.recorder.select_events(oid):
                cls = type(app.mapper.to_domain_event(row))
                fast_path += _fast_entry(row.originator_version, cls, row.state) is not None
        events = app.recorder.max_notification_id()
        assert len(ids) >= 10 and events is not None
        assert fast_path == events  # every record of today's shape takes the one pass
    finally:
        services.close()


@pytest.mark.parametrize("sealed", [False, True], ids=["plain", "encrypted"])
def test_the_inbox_from_the_views_folded_states_equals_the_inbox_from_the_event_store(
    settings: Settings, sealed: bool
) -> None:
    """The inbox reads each record's clocks from the state the oversight view keeps (one
    query); with those states gone it loads every record from the event store instead.
    Both give the same tasks, for a business manager and for an agency's lead."""
    from benchmarks.generate import Volumes, generate
    from domain.tenancy import Principal, Role
    from projections.catalogue import build_runner
    from qa_engine.entry.web.pages import inbox_items

    if sealed:
        from eventsourcing.cipher import AESCipher
        from pydantic import SecretStr

        settings = settings.model_copy(update={"cipher_key": SecretStr(AESCipher.create_key(16))})
    services = bootstrap(settings)
    try:
        generate(services, partnerships=2, years=1, volumes=Volumes(reviews=4, audits=6))
        runner = build_runner(services.reviews)
        runner.catch_up()
        who = [
            Principal(subject="bm", name="BM", partnership=p, roles=(Role.BUSINESS_MANAGER,))
            for p in {r.partnership for r, _ in _open(runner, services)}
        ]
        assert who
        who += [
            Principal(
                subject="lead",
                name="Lead",
                partnership=m.partnership,
                roles=(Role.AGENCY_LEAD,),
                agencies=(agency,),
            )
            for m in who
            for agency in ("POLICE", "HEALTH", "LA")
        ]
        today = date(2025, 9, 1)
        read = lambda p: inbox_items(  # noqa: E731
            services,
            runner,
            p,
            today=today,
            calendar=services.reviews.calendar,
            amber_working_days=3,
        )
        from_states = [read(p) for p in who]
        tasks = sum(len(mine) + len(others) for mine, others in from_states)
        assert tasks >= 10 and any(mine for mine, _ in from_states)
        if sealed:  # what the view keeps of a record is encrypted at rest
            with runner.db.read() as cur:
                stored = cur.execute("SELECT state FROM {projection_state}").fetchall()
            assert stored and all(r["state"].startswith("aes:") for r in stored)
        with runner.db.transaction() as cur:  # the states gone: every record from the store
            cur.execute("DELETE FROM {projection_state}")
        assert all(state is None for _, state in _open(runner, services))
        assert [read(p) for p in who] == from_states
    finally:
        services.close()


def _open(runner: Any, services: Services) -> list[Any]:
    from projections import queries

    return queries.oversight_with_states(
        runner.db,
        runner.projections["oversight"],
        today=date(2025, 9, 1),
        calendar=services.reviews.calendar,
        amber_working_days=3,
    )


def test_a_step_recorded_elsewhere_is_seen_by_the_next_step_here(settings: Settings) -> None:
    here, there = bootstrap(settings), bootstrap(settings)  # two processes' services
    try:
        a, b = here.reviews, there.reviews
        a.report_incident(report(aware=D), key="wf/reported", today=D)
        steps = path_to_lcspr(D)
        a.record_step("GSCP", "GSCP-2025-001", *steps[0], key="wf/0", today=D)
        assert a.state("GSCP", "GSCP-2025-001").version == 2  # kept in a's memory now
        b.record_step("GSCP", "GSCP-2025-001", *steps[1], key="wf/1", today=D)
        state = a.record_step("GSCP", "GSCP-2025-001", *steps[2], key="wf/2", today=D)
        assert state.version == 4
        assert [e.version for e in a.history("GSCP", "GSCP-2025-001")] == [1, 2, 3, 4]
        assert a.state("GSCP", "GSCP-2025-001") == b.state("GSCP", "GSCP-2025-001")
    finally:
        here.close()
        there.close()


def test_a_refused_step_leaves_the_kept_record_untouched(service: ReviewService) -> None:
    service.report_incident(report(aware=D), key="wf/reported", today=D)
    before = service.state("GSCP", "GSCP-2025-001")
    late = cmd("record_panel_notification", notified_on=D.replace(day=1))  # before aware
    with pytest.raises(RuleViolation):
        service.record_step(
            "GSCP", "GSCP-2025-001", "record_panel_notification", late, key="wf/x", today=D
        )
    assert service.state("GSCP", "GSCP-2025-001") == before
    assert len(service.history("GSCP", "GSCP-2025-001")) == 1


def test_a_record_handed_out_is_a_deep_copy_of_the_kept_one(service: ReviewService) -> None:
    """Whatever a step does to the record it was handed (down to a nested clock), the
    record kept in memory is not changed: the next load hands out what was stored."""
    service.report_incident(report(aware=D), key="wf/reported", today=D)
    steps = path_to_lcspr(D)
    service.record_step("GSCP", "GSCP-2025-001", *steps[0], key="wf/0", today=D)
    first = service._load("GSCP", "GSCP-2025-001")
    kept = first.state.model_dump()
    deadline = next(iter(first.state.deadlines.values()))
    deadline.status = "cancelled"
    first.state.deadlines.clear()
    first.applied_keys["wf/forged"] = 99
    again = service._load("GSCP", "GSCP-2025-001")
    assert again is not first
    assert again.state.model_dump() == kept
    assert "wf/forged" not in again.applied_keys
    assert again.version == first.version == 2


def test_trusted_builds_without_validating_and_refuses_a_partial_model() -> None:
    values = {
        "version": 1,
        "recorded_at": "not checked",
        "happened_on": "not checked either",
        "event": "E",
        "actor": {},
        "data": {},
        "hash": "h",
    }
    entry = trusted(HistoryEntry, dict(values))
    assert entry.recorded_at == "not checked" and entry.model_fields_set == set(values)
    with pytest.raises(TypeError, match="needs exactly"):
        trusted(HistoryEntry, {"version": 1})
    # for many rows: the first row checked in full, the rest by their number of fields
    make = trusted_maker(HistoryEntry)
    with pytest.raises(TypeError, match="needs exactly"):
        make({**values, "hash": None, "extra": 1})
    make = trusted_maker(HistoryEntry)
    rows = [make(dict(values, version=n)) for n in range(3)]
    assert [r.version for r in rows] == [0, 1, 2]
    assert all(r.model_fields_set == set(values) for r in rows)
    rows[0].model_fields_set.add("x")  # each row's own set, as pydantic keeps it
    assert "x" not in rows[1].model_fields_set
    with pytest.raises(TypeError, match="needs exactly"):
        make({"version": 1})


def test_rows_read_by_position_leave_the_cursor_as_it_was(settings: Settings) -> None:
    """``Cursor.tuples`` (the oversight query's read) names each column's position; on
    PostgreSQL it fetches tuples and then gives the cursor back its dict rows."""
    from projections.catalogue import build_runner

    services = bootstrap(settings)
    try:
        services.reviews.report_incident(report("GSCP-9"), key="r/9", today=D)
        runner = build_runner(services.reviews)
        runner.catch_up()
        with runner.db.read() as cur:
            columns, rows = cur.tuples(
                "SELECT kind, ref FROM {oversight} WHERE ref = ?", ["GSCP-9"]
            )
            assert columns == {"kind": 0, "ref": 1}
            assert [(r[0], r[1]) for r in rows] == [("review", "GSCP-9")]
            assert cur.tuples("SELECT kind FROM {oversight} WHERE ref = ?", ["none"]) == ({}, [])
            after = cur.execute("SELECT kind, ref FROM {oversight}").fetchone()
            assert after == {"kind": "review", "ref": "GSCP-9"}
    finally:
        services.close()
