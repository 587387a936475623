"""The ledger (``qa_engine.ledger``): keyed seals over the records as stored, a chain over
the whole notification log, an anchor outside the database, adoption of stores written
before it. Tampering is done with the database's own driver, bypassing qa-engine, by
someone who can write the database but does not hold the ledger key."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from uuid import UUID

import orjson
import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import _topic_cache, register_topic

from domain.review.aggregate import review_id
from qa_engine.access_log import AccessLogService
from qa_engine.bootstrap import bootstrap
from qa_engine.calendar import england_and_wales
from qa_engine.config import Settings
from qa_engine.ledger import LedgerRecorder, legacy_hash, log_mac, record_mac
from qa_engine.partnerships import PartnershipService
from qa_engine.recording import LOG_REF
from qa_engine.reviews import ReviewService
from qa_engine.store import ACCESS_STORE, EVENT_STORE, store_env
from tests.lifecycle import AWARE, full_lifecycle, report, step

WRONG_KEY = b"not the ledger key"


class Raw:
    """The event store's tables, reached with the database's own driver."""

    def __init__(self, settings: Settings, conn: Any) -> None:
        self.pg = settings.store == "postgres"
        self.conn = conn
        schema = settings.postgres_schema
        self.tables = {
            "events": f'"{schema}".qa_engine_events' if self.pg else "stored_events",
            "ledger": f'"{schema}".qa_ledger' if self.pg else "qa_ledger",
            "meta": f'"{schema}".qa_ledger_meta' if self.pg else "qa_ledger_meta",
            "nid": "notification_id" if self.pg else "rowid",
        }

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        sql = sql.format(**self.tables)
        if self.pg:
            sql = sql.replace("?", "%s")
        cur = self.conn.execute(sql, params)
        return list(cur.fetchall()) if cur.description else []

    def oid(self, ref: str) -> Any:
        return review_id("GSCP", ref) if self.pg else review_id("GSCP", ref).hex

    def record(self, ref: str, version: int) -> tuple[int, str, bytes]:
        (row,) = self.run(
            "SELECT {nid}, topic, state FROM {events} "
            "WHERE originator_id = ? AND originator_version = ?",
            (self.oid(ref), version),
        )
        return int(row[0]), str(row[1]), bytes(row[2])

    def set_state(self, ref: str, version: int, state: bytes) -> None:
        self.run(
            "UPDATE {events} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (state, self.oid(ref), version),
        )

    def delete_event(self, ref: str, version: int) -> int:
        nid = self.record(ref, version)[0]
        self.run(
            "DELETE FROM {events} WHERE originator_id = ? AND originator_version = ?",
            (self.oid(ref), version),
        )
        return nid

    def delete_ledger_row(self, nid: int) -> None:
        self.run("DELETE FROM {ledger} WHERE notification_id = ?", (nid,))

    def max_nid(self) -> int:
        return int(self.run("SELECT MAX({nid}) FROM {events}")[0][0])


@contextmanager
def raw_db(settings: Settings) -> Iterator[Raw]:
    if settings.store == "postgres":
        with psycopg.connect(
            host=settings.postgres_host,
            port=settings.postgres_port,
            user=settings.postgres_user,
            dbname=settings.postgres_db,
            autocommit=True,
        ) as conn:
            yield Raw(settings, conn)
    else:
        conn = sqlite3.connect(settings.sqlite_file, isolation_level=None)
        try:
            yield Raw(settings, conn)
        finally:
            conn.close()


def _case(svc: ReviewService, ref: str) -> int:
    return len(list(full_lifecycle(svc, ref)))


def _ledger(svc: Any) -> LedgerRecorder:
    recorder = svc.recorder
    assert isinstance(recorder, LedgerRecorder)
    return recorder


def _kinds(result: Any) -> list[str]:
    return [p.kind for p in result.problems]


# ----------------------------------------------------------------- the basics


def test_every_record_is_sealed_in_the_same_database(
    settings: Settings, service: ReviewService
) -> None:
    n = _case(service, "LEDGER-1")
    report(service, "LEDGER-2")
    with raw_db(settings) as db:
        events = db.run("SELECT {nid}, originator_version FROM {events} ORDER BY {nid}")
        rows = db.run("SELECT notification_id, originator_version FROM {ledger} ORDER BY 1")
    assert [tuple(r) for r in rows] == [tuple(r) for r in events]
    assert len(rows) == n + 1 + 1  # and the partnership's registration
    assert service.verify("GSCP", "LEDGER-1").ok
    log = service.verify_log()
    assert (log.ok, log.records, log.head, log.anchor) == (True, n + 2, n + 2, n + 2)
    key_file = settings.data_dir / "ledger.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    anchor = json.loads((settings.data_dir / "ledger-anchor.json").read_text())
    # one store, two names: its location and its identity (the first row's log MAC)
    assert len(anchor["stores"]) == 2 and any(k.startswith("store:") for k in anchor["stores"])
    for entry in anchor["stores"].values():
        assert entry["notification_id"] == n + 2  # + the registration


def test_the_key_is_made_once_and_shared(settings: Settings) -> None:
    first = bootstrap(settings)
    key = (settings.data_dir / "ledger.key").read_text()
    second = bootstrap(settings)  # another process on the same data directory
    try:
        report(first.reviews, "LEDGER-K1")
        report(second.reviews, "LEDGER-K2")
        assert (settings.data_dir / "ledger.key").read_text() == key
        assert (
            second.reviews.verify("GSCP", "LEDGER-K1").ok
            and first.reviews.verify("GSCP", "LEDGER-K2").ok
        )
        assert first.reviews.verify_log().ok
    finally:
        first.close()
        second.close()


def test_a_configured_key_is_used_and_a_wrong_key_fails_everything(settings: Settings) -> None:
    from pydantic import SecretStr

    keyed = settings.model_copy(update={"ledger_key": SecretStr("k" * 40)})
    services = bootstrap(keyed)
    try:
        report(services.reviews, "LEDGER-K3")
        assert services.reviews.verify("GSCP", "LEDGER-K3").ok
    finally:
        services.close()
    assert not (settings.data_dir / "ledger.key").exists() or settings.store == "postgres"
    other = bootstrap(settings.model_copy(update={"ledger_key": SecretStr("x" * 40)}))
    try:
        result = other.reviews.verify("GSCP", "LEDGER-K3")
        assert (result.ok, result.first_bad_version) == (False, 1)
    finally:
        other.close()


# ------------------------------------------------------------------- tampering


def test_an_edit_with_every_hash_recomputed_without_the_key_is_located(
    settings: Settings, service: ReviewService
) -> None:
    _case(service, "LEDGER-E")
    with raw_db(settings) as db:
        nid, topic, blob = db.record("LEDGER-E", 9)
        state = json.loads(blob)
        state["rationale"] = "no learning identified"
        content = {**state, "timestamp": state["timestamp"]["_data_"]}
        state["hash"] = legacy_hash(state["prev_hash"], topic, 9, content)
        new = orjson.dumps(state)
        db.set_state("LEDGER-E", 9, new)
        # ... and the ledger row too, with the algorithm but not the key
        (prev,) = db.run(
            "SELECT record_mac FROM {ledger} WHERE originator_id = ? AND originator_version = 8",
            (str(review_id("GSCP", "LEDGER-E")),),
        )[0]
        (prev_log,) = db.run("SELECT log_mac FROM {ledger} WHERE notification_id = ?", (nid - 1,))[
            0
        ]
        rmac = record_mac(
            WRONG_KEY, bytes.fromhex(prev), review_id("GSCP", "LEDGER-E"), 9, topic, new
        )
        lmac = log_mac(WRONG_KEY, bytes.fromhex(prev_log), nid, rmac)
        db.run(
            "UPDATE {ledger} SET record_mac = ?, log_mac = ? WHERE notification_id = ?",
            (rmac.hex(), lmac.hex(), nid),
        )
    result = service.verify("GSCP", "LEDGER-E")
    assert (result.ok, result.first_bad_version) == (False, 9)
    assert result.reason is not None and "edited" in result.reason
    assert result.problems[0].notification_id == nid
    log = service.verify_log()
    assert not log.ok
    messages = [p.message for p in log.problems]
    assert any("LEDGER-E: record 9" in m and "edited" in m for m in messages), messages
    assert any(f"between notifications {nid - 1} and {nid}" in m for m in messages), messages


def test_the_newest_event_of_a_case_deleted_is_found_by_the_case_check(
    settings: Settings, service: ReviewService
) -> None:
    n = _case(service, "LEDGER-N")
    report(service, "LEDGER-OTHER")
    with raw_db(settings) as db:
        nid = db.delete_event("LEDGER-N", n)  # the event only: its ledger row stays
    result = service.verify("GSCP", "LEDGER-N")
    assert (result.ok, result.first_bad_version) == (False, n)
    assert result.reason is not None and "deleted" in result.reason
    assert result.problems[0].notification_id == nid
    log = service.verify_log()
    assert "deleted" in _kinds(log) and not log.ok


def test_the_newest_event_and_its_ledger_row_deleted_are_found_by_the_log_check(
    settings: Settings, service: ReviewService
) -> None:
    n = _case(service, "LEDGER-N2")
    report(service, "LEDGER-AFTER")  # the deleted record is not the log's last
    with raw_db(settings) as db:
        nid = db.delete_event("LEDGER-N2", n)
        db.delete_ledger_row(nid)
    assert service.verify("GSCP", "LEDGER-N2").ok  # the case alone cannot tell
    log = service.verify_log()
    assert not log.ok
    assert any(
        f"between notifications {nid - 1} and {nid + 1}" in p.message for p in log.problems
    ), log.problems


def test_the_tail_of_the_log_deleted_is_found_by_the_anchor(
    settings: Settings, service: ReviewService
) -> None:
    _case(service, "LEDGER-T")
    with raw_db(settings) as db:
        last = db.max_nid()
        db.run("DELETE FROM {events} WHERE {nid} > ?", (last - 5,))
        db.run("DELETE FROM {ledger} WHERE notification_id > ?", (last - 5,))
    assert service.verify("GSCP", "LEDGER-T").ok  # nothing left that disagrees
    log = service.verify_log()
    assert not log.ok
    assert [p.message for p in log.problems] == [
        f"log truncated: anchor at notification {last}, log ends at {last - 5}"
    ]


def test_a_whole_case_deleted_is_noticed(settings: Settings, service: ReviewService) -> None:
    _case(service, "LEDGER-W1")
    n = _case(service, "LEDGER-W2")
    report(service, "LEDGER-W3")
    with raw_db(settings) as db:
        db.run("DELETE FROM {events} WHERE originator_id = ?", (db.oid("LEDGER-W2"),))
    assert {r.case_ref for r in service.verify_all()} == {"LEDGER-W1", "LEDGER-W3"}
    log = service.verify_log()
    deleted = [p for p in log.problems if p.kind == "deleted"]
    assert len(deleted) == n and {p.originator_id for p in deleted} == {
        str(review_id("GSCP", "LEDGER-W2"))
    }
    # the rows too: the log chain breaks where the case was
    with raw_db(settings) as db:
        db.run(
            "DELETE FROM {ledger} WHERE originator_id = ?", (str(review_id("GSCP", "LEDGER-W2")),)
        )
    log = service.verify_log()
    assert "gap" in _kinds(log) and not log.ok


def test_an_event_appended_with_a_fabricated_ledger_row_is_detected(
    settings: Settings, service: ReviewService
) -> None:
    n = _case(service, "LEDGER-F")
    with raw_db(settings) as db:
        _, topic, blob = db.record("LEDGER-F", n)
        last = db.max_nid()
        db.run(
            "INSERT INTO {events} (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            (db.oid("LEDGER-F"), n + 1, topic, blob),
        )
        new_nid = db.max_nid()
        (prev_log,) = db.run("SELECT log_mac FROM {ledger} WHERE notification_id = ?", (last,))[0]
        rmac = record_mac(WRONG_KEY, bytes(32), review_id("GSCP", "LEDGER-F"), n + 1, topic, blob)
        lmac = log_mac(WRONG_KEY, bytes.fromhex(prev_log), new_nid, rmac)
        db.run(
            "INSERT INTO {ledger} VALUES (?, ?, ?, ?, ?)",
            (new_nid, str(review_id("GSCP", "LEDGER-F")), n + 1, rmac.hex(), lmac.hex()),
        )
    result = service.verify("GSCP", "LEDGER-F")
    assert (result.ok, result.first_bad_version) == (False, n + 1)
    log = service.verify_log()
    assert {"edited", "gap"} <= set(_kinds(log))


def test_an_event_inserted_without_a_ledger_row_is_detected(
    settings: Settings, service: ReviewService
) -> None:
    n = _case(service, "LEDGER-I")
    with raw_db(settings) as db:
        _, topic, blob = db.record("LEDGER-I", n)
        db.run(
            "INSERT INTO {events} (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            (db.oid("LEDGER-I"), n + 1, topic, blob),
        )
    result = service.verify("GSCP", "LEDGER-I")
    assert (result.ok, result.first_bad_version) == (False, n + 1)
    assert result.reason is not None and "behind the ledger's back" in result.reason
    assert _kinds(service.verify_log()) == ["unsealed"]


def test_an_altered_anchor_is_reported_and_not_overwritten(
    settings: Settings, service: ReviewService
) -> None:
    report(service, "LEDGER-A")
    path = settings.data_dir / "ledger-anchor.json"
    doc = json.loads(path.read_text())
    for entry in doc["stores"].values():
        entry["notification_id"] = 1000
    path.write_text(json.dumps(doc))
    step(service, "LEDGER-A", "record_panel_notification", AWARE, notified_on=AWARE)
    assert json.loads(path.read_text())["stores"] == doc["stores"]  # left as evidence
    assert "anchor" in _kinds(service.verify_log())


# ------------------------------------------------- upcasts and moved classes


class WidgetV1(Aggregate):
    """As a past release wrote it, from a module that no longer exists."""

    TOPIC = "qa_gone.widgets:Widget"

    class Created(Aggregate.Created):
        TOPIC = "qa_gone.widgets:Widget.Created"

    class Noted(Aggregate.Event):
        TOPIC = "qa_gone.widgets:Widget.Noted"
        text: str

    @event(Created)
    def __init__(self) -> None:
        self.notes: list[str] = []

    @event(Noted)
    def note(self, text: str) -> None:
        self.notes.append(text)


class Widget(Aggregate):
    """Today's class: moved here, and its event upcast to class_version 2."""

    class Created(Aggregate.Created):
        pass

    class Noted(Aggregate.Event):
        class_version = 2
        text: str
        urgent: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["urgent"] = False

    @event(Created)
    def __init__(self) -> None:
        self.notes: list[str] = []

    @event(Noted)
    def note(self, text: str, urgent: bool) -> None:
        self.notes.append(f"{text}{'!' if urgent else ''}")


class Widgets(Application[UUID]):
    name = EVENT_STORE


def _register_widget_topics(aggregate: Any) -> None:
    """Point the old topics at ``aggregate`` and its events (as a release would)."""
    for suffix, obj in (
        ("", aggregate),
        (".Created", aggregate.Created),
        (".Noted", aggregate.Noted),
    ):
        _topic_cache.pop(f"qa_gone.widgets:Widget{suffix}", None)
        register_topic(f"qa_gone.widgets:Widget{suffix}", obj)


def test_upcasts_and_moved_classes_never_affect_verification(settings: Settings) -> None:
    _register_widget_topics(WidgetV1)
    old = Widgets(env=store_env(settings))
    widget = WidgetV1()
    widget.note("first")
    widget.note("second")
    old.save(widget)
    old.close()
    # a later release: the old topics resolve to the moved class, which upcasts them
    _register_widget_topics(Widget)
    try:
        new = Widgets(env=store_env(settings))
        loaded = new.repository.get(widget.id)
        assert isinstance(loaded, Widget) and loaded.notes == ["first", "second"]
        loaded.note("third", urgent=True)
        new.save(loaded)
        check = _ledger(new).verify_stream(widget.id)
        assert (check.records, check.problems) == (4, [])
        log = _ledger(new).verify_log()
        assert (log.records, log.problems) == (4, [])
        new.close()
    finally:
        _register_widget_topics(WidgetV1)


# -------------------------------------------------------------------- adoption


def _previous_release(settings: Settings) -> ReviewService:
    """The event store as the previous release wrote it: no ledger recorder, no rows."""
    env = store_env(settings)
    env["PERSISTENCE_MODULE"] = (
        "eventsourcing.postgres" if settings.store == "postgres" else "eventsourcing.sqlite"
    )
    return ReviewService(
        env,
        calendar=england_and_wales(),
        access=AccessLogService(env=store_env(settings, ACCESS_STORE)),
        partnerships=PartnershipService(env, defaults=settings.partnership_defaults),
    )


def test_a_store_from_the_previous_release_is_adopted(settings: Settings) -> None:
    before = _previous_release(settings)
    n = _case(before, "OLD-1")
    m = _case(before, "OLD-2")
    report(before, "OLD-3")
    before.close()
    with raw_db(settings) as db:
        # an edit made before the upgrade: only the legacy chain can tell
        _, _, blob = db.record("OLD-2", 4)
        state = json.loads(blob)
        state["harm"] = "died"
        db.set_state("OLD-2", 4, orjson.dumps(state))
        assert db.run("SELECT COUNT(*) FROM {events}")[0][0] == n + m + 1 + 1  # + registration

    services = bootstrap(settings)  # first start of the new release: adopts the store
    again = bootstrap(settings)  # and another process: adopts nothing twice
    try:
        svc = services.reviews
        adopted = _ledger(svc).adoption()
        assert adopted is not None and adopted["records"] == n + m + 2  # + registration
        assert [(b["version"], b["reason"]) for b in adopted["legacy_breaks"]] == [
            (4, "content does not match its hash (edited)")
        ]
        with raw_db(settings) as db:
            assert db.run("SELECT COUNT(*) FROM {ledger}")[0][0] == n + m + 2
        assert svc.verify("GSCP", "OLD-1").ok and svc.verify("GSCP", "OLD-3").ok
        old2 = svc.verify("GSCP", "OLD-2")
        assert (old2.ok, old2.first_bad_version) == (False, 4)
        assert old2.reason is not None and "legacy hash chain" in old2.reason

        # the adopted store carries on: new records sealed, chained to the adopted ones
        step(again.reviews, "OLD-3", "record_panel_notification", AWARE, notified_on=AWARE)
        assert svc.verify("GSCP", "OLD-3").ok
        log = svc.verify_log()
        assert [p.kind for p in log.problems] == ["legacy"]
        assert "OLD-2" in log.problems[0].message
        assert (log.records, log.anchor) == (n + m + 3, n + m + 3)

        # after adoption, a record without a ledger row was inserted behind its back
        with raw_db(settings) as db:
            _, topic, blob = db.record("OLD-1", n)
            db.run(
                "INSERT INTO {events} (originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?)",
                (db.oid("OLD-1"), n + 1, topic, blob),
            )
        assert "unsealed" in _kinds(svc.verify("GSCP", "OLD-1"))
    finally:
        services.close()
        again.close()


def test_an_encrypted_store_from_the_previous_release_is_adopted(settings: Settings) -> None:
    from eventsourcing.cipher import AESCipher
    from pydantic import SecretStr

    encrypted = settings.model_copy(update={"cipher_key": SecretStr(AESCipher.create_key(16))})
    before = _previous_release(encrypted)
    n = _case(before, "OLD-C")
    before.close()
    services = bootstrap(encrypted)
    try:
        adopted = _ledger(services.reviews).adoption()
        assert adopted is not None
        assert (adopted["records"], adopted["legacy_breaks"]) == (n + 1, [])  # + registration
        assert services.reviews.verify("GSCP", "OLD-C").ok and services.reviews.verify_log().ok
    finally:
        services.close()


def test_the_legacy_algorithm_matches_todays_domain_hashes(
    settings: Settings, service: ReviewService
) -> None:
    """Adoption's legacy check is ``domain.chain.event_hash``, reimplemented on stored records."""
    from domain.chain import event_hash

    report(service, "LEGACY-1")
    for ev in service.events.get(review_id("GSCP", "LEGACY-1")):
        state = dict(vars(ev))
        topic = f"{type(ev).__module__}:{type(ev).__qualname__}"
        stored = dict(state)
        stored.pop("originator_version")
        assert (
            legacy_hash(state["prev_hash"], topic, ev.originator_version, stored)
            == event_hash(state["prev_hash"], topic, state)
            == state["hash"]
        )


# ----------------------------------------------------------------- concurrency


def test_concurrent_writers_keep_one_consistent_log_chain(settings: Settings) -> None:
    processes = [bootstrap(settings), bootstrap(settings)]  # two pools, as two processes
    errors: list[BaseException] = []

    def work(i: int) -> None:
        svc = processes[i % 2].reviews
        ref = f"CONC-{i}"
        try:
            report(svc, ref)
            d = AWARE + timedelta(days=2)
            step(svc, ref, "record_panel_notification", d, notified_on=d)
            step(svc, ref, "record_partners_informed", d, informed_on=d)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors, errors
        log = processes[0].reviews.verify_log()
        assert log.ok, log.problems
        assert log.records == 24 + 1 and log.head == log.anchor  # + the registration
        with raw_db(settings) as db:
            assert db.max_nid() == log.head
    finally:
        for p in processes:
            p.close()


def test_the_cli_names_every_problem_of_the_log(
    settings: Settings, service: ReviewService, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse
    import asyncio

    from qa_engine.entry import cli_common, cli_read

    n = _case(service, "LEDGER-C1")
    report(service, "LEDGER-C2")
    with raw_db(settings) as db:
        db.delete_event("LEDGER-C1", n)
        last = db.max_nid()
        db.run("DELETE FROM {events} WHERE {nid} = ?", (last,))
        db.run("DELETE FROM {ledger} WHERE notification_id = ?", (last,))
    ns = argparse.Namespace(ref=None, json=False)
    code = asyncio.run(cli_read.cmd_verify(ns, settings, cli_common.Output(False)))
    out = capsys.readouterr().out
    assert code == cli_common.EXIT_REJECTED
    assert f"review LEDGER-C1: TAMPERED at record {n}" in out
    assert "notification log: TAMPERED, 2 problems" in out
    assert f"log truncated: anchor at notification {last}, log ends at {last - 1}" in out
    assert f"LEDGER-C1: record {n} (notification {last - 1}) was deleted" in out
    assert LOG_REF == "notification log"
