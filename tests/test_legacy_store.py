"""Data written by an earlier release must load, verify, rebuild its read models and
carry on, whatever has changed in the code since.

``tests/legacy/store_v1.sqlite`` (and ``store_v1_cipher.sqlite``, encrypted at
rest with the test-only key in ``tests/legacy/keys.py``) were written at commit
2be70a3 by ``tests/legacy/make_v1_store.py``; ``manifest_v1.json`` records what
that release found in them. The committed files are never written: every test
works on a copy (SQLite) or on a copy of the stored records (PostgreSQL).

The assertions are about behaviour a model change must keep: each record's
stage, outcome, running clocks and number of stored events; every hash chain
intact; the read-model rows rebuilt from the log; the next step of a case
accepted. The event class names in the manifest are for information only.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from pydantic import SecretStr

from domain.action_plan import ACTION_PLAN_COMMANDS
from domain.audit import AUDIT_COMMANDS
from domain.child_of_concern import CONCERN_COMMANDS
from domain.review import COMMANDS
from projections.catalogue import build_runner
from projections.runner import ProjectionRunner
from qa_engine.bootstrap import Services, bootstrap
from qa_engine.config import Settings
from tests.conftest import postgres_settings
from tests.legacy.keys import LEGACY_CIPHER_KEY

LEGACY = Path(__file__).parent / "legacy"
MANIFEST: dict[str, Any] = json.loads((LEGACY / "manifest_v1.json").read_text())
RECORDS: list[dict[str, Any]] = MANIFEST["records"]
#: a review's partnership: a case reference is unique within its partnership
PARTNERSHIP_OF: dict[str, str] = {r["ref"]: r["partnership"] for r in RECORDS}
PROJECTIONS: dict[str, Any] = MANIFEST["projections"]
#: fixture -> (committed file, cipher key)
STORES: dict[str, tuple[str, str | None]] = {
    "plain": ("store_v1.sqlite", None),
    "cipher": ("store_v1_cipher.sqlite", LEGACY_CIPHER_KEY),
}
ACTOR = {"name": "Jo Legacy", "role": "partnership business manager"}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cipher(key: str | None) -> SecretStr | None:
    return SecretStr(key) if key else None


@pytest.fixture(params=sorted(STORES))
def legacy(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    """The services over a copy of a committed legacy store."""
    name, key = STORES[request.param]
    committed = LEGACY / name
    before = _digest(committed)
    copy = tmp_path / "events.sqlite3"
    shutil.copyfile(committed, copy)
    settings = Settings(
        data_dir=tmp_path, store="sqlite", sqlite_path=copy, cipher_key=_cipher(key)
    )
    services = bootstrap(settings)
    try:
        yield services
    finally:
        services.close()
    assert _digest(committed) == before, f"{name} was written: tests must use a copy"


# ------------------------------------------------------------------- checks


def _state(services: Services, kind: str, ref: str) -> Any:
    if kind == "review":
        return services.reviews.state(PARTNERSHIP_OF[ref], ref)
    return services.quality.state(PARTNERSHIP_OF[ref], kind, ref)  # type: ignore[arg-type]


def _history(services: Services, kind: str, ref: str) -> list[Any]:
    if kind == "review":
        return services.reviews.history(PARTNERSHIP_OF[ref], ref)
    return services.quality.history(PARTNERSHIP_OF[ref], kind, ref)  # type: ignore[arg-type]


def _clocks(state: Any) -> dict[str, Any]:
    """A record's clocks: a review's deadlines, a QA record's clocks."""
    return dict(getattr(state, "deadlines", None) or getattr(state, "clocks", {}))


def loaded(services: Services, kind: str, ref: str) -> dict[str, Any]:
    """What the services say about a record, in the manifest's terms."""
    state = _state(services, kind, ref)
    clocks = _clocks(state)
    return {
        "partnership": state.partnership,
        "stage": str(getattr(state.stage, "value", state.stage)),
        "outcome": state.outcome,
        "events": len(_history(services, kind, ref)),
        "open_clocks": sorted(k for k, c in clocks.items() if c.status == "open"),
        "paused_clocks": sorted(k for k, c in clocks.items() if getattr(c, "paused_on", None)),
    }


LOADED = ("partnership", "stage", "outcome", "events", "open_clocks", "paused_clocks")


def expected(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in LOADED}


def check_every_record_loads(services: Services) -> None:
    wrong = {}
    for r in RECORDS:
        got = loaded(services, r["kind"], r["ref"])
        if got != expected(r):
            wrong[f"{r['kind']}:{r['ref']}"] = (got, expected(r))
    assert not wrong, wrong


def check_every_chain_verifies(services: Services) -> None:
    results = [("review", r) for r in services.reviews.verify_all()]
    results += services.quality.verify_all()
    found = {(kind, r.case_ref): r for kind, r in results}
    assert set(found) == {(r["kind"], r["ref"]) for r in RECORDS}
    assert [k for k, r in found.items() if not r.ok] == []
    assert {k: r.records for k, r in found.items()} == {
        (r["kind"], r["ref"]): r["events"] for r in RECORDS
    }


def check_stored_event_counts(services: Services) -> None:
    recorder: Any = services.reviews.recorder
    counts = {r["ref"]: len(recorder.select_events(UUID(r["aggregate_id"]))) for r in RECORDS}
    assert counts == {r["ref"]: r["events"] for r in RECORDS}
    assert _notification_count(services) == MANIFEST["notifications"]


def _notification_count(services: Services) -> int:
    return sum(len(batch) for batch in _notifications(services))


def _notifications(services: Services) -> Iterator[list[Any]]:
    """The whole log, in bulk, straight from the recorder."""
    recorder: Any = services.reviews.recorder
    start = 0
    while batch := list(
        recorder.select_notifications(start=start, limit=500, inclusive_of_start=False)
    ):
        yield batch
        start = batch[-1].id


def rows(runner: ProjectionRunner) -> dict[str, Any]:
    """The read-model rows in the manifest's terms."""
    with runner.db.read() as cur:
        oversight = cur.execute("SELECT * FROM {oversight} ORDER BY kind, ref").fetchall()
        timeliness = cur.execute(
            "SELECT * FROM {timeliness_clocks} ORDER BY kind, ref, measure"
        ).fetchall()
        trail = cur.execute(
            "SELECT kind, ref, COUNT(*) AS n FROM {audit_trail} GROUP BY kind, ref"
        ).fetchall()
    return {
        # columns views gained since the manifest was written are checked on their own
        "oversight": _as_recorded(oversight, "oversight"),
        "timeliness": _as_recorded(timeliness, "timeliness"),
        "trail_counts": {f"{r['kind']}:{r['ref']}": int(r["n"]) for r in trail},
    }


def _as_recorded(found: list[Any], table: str) -> list[dict[str, Any]]:
    columns = list(PROJECTIONS[table][0])
    return [{c: row[c] for c in columns} for row in found]


def test_rebuilt_views_gain_the_agencies_of_each_record(legacy: Services) -> None:
    runner = build_runner(legacy.quality)
    runner.catch_up()
    with runner.db.read() as cur:
        found = {
            f"{r['kind']}:{r['ref']}": r["agencies"]
            for r in cur.execute("SELECT kind, ref, agencies FROM {oversight}").fetchall()
        }
    assert found["actionplan:GSCP-2025-R12-AP"] == "|ICB|POLICE|"
    assert all(v.startswith("|") and v.endswith("|") for v in found.values())


def check_rebuild(services: Services) -> None:
    runner = build_runner(services.quality, batch_size=50)
    for name in runner.projections:
        runner.rebuild(name)
    assert rows(runner) == PROJECTIONS
    assert {s.name: s.lag for s in runner.status()} == dict.fromkeys(runner.projections, 0)


# -------------------------------------------------------------------- SQLite


def test_the_manifest_covers_every_lifecycle_and_both_partnerships() -> None:
    kinds = {r["kind"] for r in RECORDS}
    assert kinds == {"review", "audit", "actionplan", "childofconcern"}
    assert {r["partnership"] for r in RECORDS} == {"GSCP", "WSCP"}
    review_stages = {r["stage"] for r in RECORDS if r["kind"] == "review"}
    assert review_stages == {
        "notification",
        "lac_death_notification",
        "rapid_review",
        "awaiting_panel_response",
        "lcspr",
        "publication",
        "closed",
    }
    audit_stages = {r["stage"] for r in RECORDS if r["kind"] == "audit"}
    assert audit_stages >= {"planned", "sampled", "returns", "moderated", "graded", "closed"}
    for name, _ in STORES.values():
        assert (LEGACY / name).stat().st_size < 2_000_000


def test_every_record_loads_with_its_stage_and_events(legacy: Services) -> None:
    check_every_record_loads(legacy)
    check_stored_event_counts(legacy)


def test_every_chain_is_intact(legacy: Services) -> None:
    check_every_chain_verifies(legacy)


def test_the_stored_read_models_are_current_and_rebuild_to_the_same_rows(
    legacy: Services,
) -> None:
    runner = build_runner(legacy.quality)
    # the views the release left had the old shape (keyed without the partnership):
    # the runner dropped them on start and rebuilds them from the log, to the same rows
    assert runner.catch_up() > 0
    assert rows(runner) == PROJECTIONS
    assert runner.catch_up() == 0
    check_rebuild(legacy)


def test_history_reads_as_at_a_past_instant(legacy: Services) -> None:
    """Timestamps were recorded: the past state can be rebuilt and read."""
    r12 = next(r for r in RECORDS if r["ref"] == "GSCP-2025-R12")
    before_publication = datetime(2025, 6, 1, tzinfo=UTC)
    past = legacy.reviews.state_as_at("GSCP", "GSCP-2025-R12", before_publication)
    assert str(past.stage.value) != "closed"
    history = legacy.reviews.history("GSCP", "GSCP-2025-R12")
    assert len(history) == r12["events"]
    assert [e.recorded_at for e in history] == sorted(e.recorded_at for e in history)
    readers = [e.actor for e in history if e.data.get("purpose")]
    assert readers and readers[-1]["role"] == "Ofsted inspector"


# -------------------------------------------------------- carrying on from v1


def _review_step(s: Services, ref: str, name: str, today: date, **fields: Any) -> None:
    command = COMMANDS[name].model_validate({"actor": ACTOR, **fields})
    s.reviews.record_step(
        PARTNERSHIP_OF[ref], ref, name, command, key=f"review-{ref}/v2-{name}", today=today
    )


QA_COMMANDS = {
    "audit": AUDIT_COMMANDS,
    "actionplan": ACTION_PLAN_COMMANDS,
    "childofconcern": CONCERN_COMMANDS,
}


def _qa_step(s: Services, kind: str, ref: str, name: str, today: date, **fields: Any) -> None:
    command = QA_COMMANDS[kind][name].model_validate({"actor": ACTOR, **fields})
    key = f"{kind}-{ref}/v2-{name}"
    record = {
        "audit": s.quality.record_audit_step,
        "actionplan": s.quality.record_plan_step,
        "childofconcern": s.quality.record_concern_step,
    }[kind]
    record(PARTNERSHIP_OF[ref], ref, name, command, key=key, today=today)


#: (kind, ref) -> (events added, stage after)
CARRIED_ON = {
    ("review", "GSCP-2025-R07"): (1, "lcspr"),
    ("review", "GSCP-2025-R08"): (2, "awaiting_panel_response"),
    ("review", "GSCP-2025-R10"): (1, "lcspr"),
    ("review", "GSCP-2025-R06"): (1, "rapid_review"),
    ("audit", "GSCP-AUD-25-04"): (2, "moderated"),
    ("audit", "GSCP-AUD-25-03"): (1, "returns"),
    ("childofconcern", "GSCP-AUD-25-07-S02"): (1, "assured"),
    ("actionplan", "GSCP-AUD-25-10-AP"): (2, "awaiting_impact_check"),
}


V2_DAY = date(2025, 12, 1)
#: (kind, ref, step, fields): the next step of a case at each kind of stage, as the
#: workflows would send it
NEXT_STEPS: list[tuple[str, str, str, dict[str, Any]]] = [
    # the Panel agrees with an LCSPR decision: the LCSPR clocks start
    ("review", "GSCP-2025-R07", "record_panel_response",
     {"response": "agrees", "received_on": "2025-07-01"}),
    # after the Panel's challenge: a revised decision and report go back to the Panel
    ("review", "GSCP-2025-R08", "record_rapid_review_decision",
     {"decision": "lcspr", "decided_on": "2025-08-20", "rationale": "revised after challenge"}),
    ("review", "GSCP-2025-R08", "submit_rapid_review_report", {"submitted_on": "2025-08-21"}),
    # the paused LCSPR resumes
    ("review", "GSCP-2025-R10", "resume_clock",
     {"resumed_on": "2025-09-01", "note": "verdict delivered"}),
    # the overdue return arrives; moderation follows
    ("audit", "GSCP-AUD-25-04", "record_audit_return",
     {"agency": "LA", "received_on": "2025-03-25"}),
    ("audit", "GSCP-AUD-25-04", "record_audit_moderation",
     {"held_on": "2025-03-26", "moderators": ["QA lead"]}),
    # the child of concern's next review: the Assistant Director is assured
    ("childofconcern", "GSCP-AUD-25-07-S02", "record_assistant_director_review",
     {"reviewed_on": "2025-07-31", "assured": True, "note": "plan agreed by all agencies"}),
    # the second-round action is evidenced and completed: the impact check is next
    ("actionplan", "GSCP-AUD-25-10-AP", "record_action_evidence",
     {"action_id": "A3", "received_on": "2025-08-15", "evidence": "supervision audit results"}),
    ("actionplan", "GSCP-AUD-25-10-AP", "complete_action",
     {"action_id": "A3", "completed_on": "2025-08-15"}),
]  # fmt: skip
#: a timer fires on an old record (after the due day): recorded at this instant
FIRED_AT = datetime(2025, 9, 20, 9, tzinfo=UTC)


def carry_on(s: Services) -> None:
    for kind, ref, name, fields in NEXT_STEPS:
        if kind == "review":
            _review_step(s, ref, name, V2_DAY, **fields)
        else:
            _qa_step(s, kind, ref, name, V2_DAY, **fields)
    # timers firing on old records: a breached agency summary, an overdue return
    s.reviews.record_breach(
        "GSCP",
        "GSCP-2025-R06",
        "agency_summary:ICB",
        key="review-GSCP-2025-R06/v2-breach",
        at=FIRED_AT,
    )
    s.quality.escalate(
        PARTNERSHIP_OF["GSCP-AUD-25-03"],
        "audit",
        "GSCP-AUD-25-03",
        "return:ICB",
        0,
        key="audit-GSCP-AUD-25-03/v2-esc",
        at=FIRED_AT,
    )


def _added(kind: str, ref: str) -> int:
    return CARRIED_ON.get((kind, ref), (0, ""))[0]


def check_carried_on(s: Services, runner: ProjectionRunner) -> None:
    by_key = {(r["kind"], r["ref"]): r for r in RECORDS}
    for (kind, ref), (added, stage) in CARRIED_ON.items():
        got = loaded(s, kind, ref)
        assert (got["events"], got["stage"]) == (by_key[kind, ref]["events"] + added, stage), ref
    # The old case's next step is recorded under today's rules: completion and
    # publication are two clocks (issue 8).
    assert loaded(s, "review", "GSCP-2025-R07")["open_clocks"] == [
        "lcspr_checkpoint",
        "lcspr_final_report",
        "publication",
    ]
    assert loaded(s, "review", "GSCP-2025-R10")["paused_clocks"] == []
    assert (
        loaded(s, "childofconcern", "GSCP-AUD-25-07-S02")["outcome"]
        == "Assistant Director assured an appropriate plan is in place"
    )
    # nothing else changed
    for key, r in by_key.items():
        if key not in CARRIED_ON:
            assert loaded(s, *key) == expected(r), key
    results = list(s.reviews.verify_all()) + [r for _, r in s.quality.verify_all()]
    assert len(results) == len(RECORDS) and all(r.ok for r in results)

    # the read models follow: the cases moved on, the other rows are as recorded
    runner.catch_up()
    after = rows(runner)
    moved = {f"{kind}:{ref}" for kind, ref in CARRIED_ON}
    for table in ("oversight", "timeliness"):
        unmoved = [r for r in after[table] if f"{r['kind']}:{r['ref']}" not in moved]
        recorded = [r for r in PROJECTIONS[table] if f"{r['kind']}:{r['ref']}" not in moved]
        assert unmoved == recorded, table
    assert after["trail_counts"] == {
        key: n + _added(*key.split(":", 1)) for key, n in PROJECTIONS["trail_counts"].items()
    }
    oversight = {f"{r['kind']}:{r['ref']}": r for r in after["oversight"]}
    assert oversight["review:GSCP-2025-R07"]["stage"] == "lcspr"
    assert oversight["review:GSCP-2025-R06"]["breached"] == 1
    assert oversight["audit:GSCP-AUD-25-03"]["breached"] == 1
    assert oversight["review:GSCP-2025-R10"]["paused"] == 0
    assert "childofconcern:GSCP-AUD-25-07-S02" not in oversight  # assured: closed


def test_records_carry_on_through_their_next_step(legacy: Services) -> None:
    runner = build_runner(legacy.quality)
    runner.catch_up()
    carry_on(legacy)
    check_carried_on(legacy, runner)
    # retried steps (the same idempotency keys) append nothing
    carry_on(legacy)
    check_carried_on(legacy, runner)


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture(params=sorted(STORES))
def legacy_on_postgres(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    """The stored records of a legacy SQLite store, copied into a fresh PostgreSQL schema:
    read in bulk with the SQLite recorder, inserted through the PostgreSQL recorder."""
    db = request.getfixturevalue("postgres_db")
    name, key = STORES[request.param]
    copy = tmp_path / "events.sqlite3"
    shutil.copyfile(LEGACY / name, copy)
    source = bootstrap(
        Settings(data_dir=tmp_path, store="sqlite", sqlite_path=copy, cipher_key=_cipher(key))
    )
    target = bootstrap(postgres_settings(db, cipher_key=_cipher(key)))
    try:
        recorder: Any = target.reviews.recorder
        for batch in _notifications(source):
            recorder.insert_events(
                [
                    StoredEvent(
                        originator_id=n.originator_id,
                        originator_version=n.originator_version,
                        topic=n.topic,
                        state=n.state,
                    )
                    for n in batch
                ]
            )
    finally:
        source.close()
    try:
        yield target
    finally:
        target.close()


@pytest.mark.postgres
def test_a_copy_on_postgres_loads_verifies_and_rebuilds(legacy_on_postgres: Services) -> None:
    check_stored_event_counts(legacy_on_postgres)
    check_every_record_loads(legacy_on_postgres)
    check_every_chain_verifies(legacy_on_postgres)
    check_rebuild(legacy_on_postgres)


@pytest.mark.postgres
def test_a_copy_on_postgres_carries_on(legacy_on_postgres: Services) -> None:
    runner = build_runner(legacy_on_postgres.quality)
    runner.catch_up()
    carry_on(legacy_on_postgres)
    check_carried_on(legacy_on_postgres, runner)
