"""Tamper evidence: rows edited, deleted or reordered directly in the database
(plain sqlite3 / psycopg, bypassing qa-engine) are detected by the ledger
(``qa_engine.ledger``), naming the first bad record. More in ``test_ledger``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import psycopg
import pytest
from eventsourcing.cipher import AESCipher
from pydantic import SecretStr

from domain.chain import event_hash
from domain.review.aggregate import review_id
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.entry import cli_common, cli_read
from qa_engine.reviews import ReviewService
from tests.lifecycle import full_lifecycle, report


class Raw:
    """The event table, reached with the database's own driver."""

    def __init__(self, settings: Settings, conn: Any) -> None:
        self.pg = settings.store == "postgres"
        self.conn = conn
        self.table = (
            f'"{settings.postgres_schema}".qa_engine_events' if self.pg else "stored_events"
        )

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        sql = sql.replace("{events}", self.table)
        if self.pg:
            sql = sql.replace("?", "%s")
        cur = self.conn.execute(sql, params)
        return list(cur.fetchall()) if cur.description else []

    def oid(self, ref: str) -> Any:
        return review_id("GSCP", ref) if self.pg else review_id("GSCP", ref).hex

    def state(self, ref: str, version: int) -> bytes:
        (row,) = self.run(
            "SELECT state FROM {events} WHERE originator_id = ? AND originator_version = ?",
            (self.oid(ref), version),
        )
        return bytes(row[0])

    def set_state(self, ref: str, version: int, state: bytes) -> None:
        self.run(
            "UPDATE {events} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (state, self.oid(ref), version),
        )


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


def _case(svc: ReviewService, ref: str = "TAMPER-1") -> int:
    return len(list(full_lifecycle(svc, ref)))


def test_an_untouched_chain_verifies(settings: Settings, service: ReviewService) -> None:
    n = _case(service)
    result = service.verify("GSCP", "TAMPER-1")
    assert (result.ok, result.records, result.first_bad_version) == (True, n, None)


def test_an_edited_row_is_named(settings: Settings, service: ReviewService) -> None:
    _case(service)
    with raw_db(settings) as db:
        state = json.loads(db.state("TAMPER-1", 2))
        state["notified_on"]["_data_"] = "2025-01-07"  # backdate the Panel notification
        db.set_state("TAMPER-1", 2, orjson.dumps(state))
    result = service.verify("GSCP", "TAMPER-1")
    assert not result.ok
    assert result.first_bad_version == 2
    assert result.reason is not None and "edited" in result.reason


def test_an_edit_with_a_recomputed_hash_is_named(
    settings: Settings, service: ReviewService
) -> None:
    _case(service)
    with raw_db(settings) as db:
        topic = db.run(
            "SELECT topic FROM {events} WHERE originator_id = ? AND originator_version = 9",
            (db.oid("TAMPER-1"),),
        )[0][0]
        state = json.loads(db.state("TAMPER-1", 9))
        state["rationale"] = "no learning identified"
        content = {
            k: v["_data_"] if isinstance(v, dict) and "_data_" in v else v
            for k, v in state.items()
            if k != "class_version"
        }
        content["originator_version"] = 9
        state["hash"] = event_hash(state["prev_hash"], topic, content)
        db.set_state("TAMPER-1", 9, orjson.dumps(state))
    result = service.verify("GSCP", "TAMPER-1")
    assert not result.ok
    # the legacy hash is recomputable by anyone; the ledger's MAC is keyed
    assert result.first_bad_version == 9
    assert result.reason is not None and "edited" in result.reason


def test_a_deleted_row_is_detected(settings: Settings, service: ReviewService) -> None:
    _case(service)
    with raw_db(settings) as db:
        db.run(
            "DELETE FROM {events} WHERE originator_id = ? AND originator_version = 9",
            (db.oid("TAMPER-1"),),
        )
    result = service.verify("GSCP", "TAMPER-1")
    assert not result.ok
    assert result.first_bad_version == 9
    assert result.reason is not None and "record 9" in result.reason and "deleted" in result.reason


def test_reordered_rows_are_detected(settings: Settings, service: ReviewService) -> None:
    _case(service)
    with raw_db(settings) as db:
        oid = db.oid("TAMPER-1")
        swap = (
            "UPDATE {events} SET originator_version = ? "
            "WHERE originator_id = ? AND originator_version = ?"
        )
        db.run(swap, (-1, oid, 5))
        db.run(swap, (5, oid, 6))
        db.run(swap, (6, oid, -1))
    result = service.verify("GSCP", "TAMPER-1")
    assert not result.ok
    assert result.first_bad_version == 5
    assert result.reason is not None and "moved" in result.reason
    assert [p.version for p in result.problems] == [5, 6]


def test_swapped_contents_are_detected(settings: Settings, service: ReviewService) -> None:
    _case(service)
    with raw_db(settings) as db:
        a, b = db.state("TAMPER-1", 12), db.state("TAMPER-1", 13)
        db.set_state("TAMPER-1", 12, b)
        db.set_state("TAMPER-1", 13, a)
    result = service.verify("GSCP", "TAMPER-1")
    assert (result.ok, result.first_bad_version) == (False, 12)


def test_edited_ciphertext_is_reported_as_tampering(settings: Settings) -> None:
    encrypted = settings.model_copy(update={"cipher_key": SecretStr(AESCipher.create_key(16))})
    services = bootstrap(encrypted)
    try:
        svc = services.reviews
        _case(svc)
        with raw_db(encrypted) as db:
            assert b"neglect" not in db.state("TAMPER-1", 4)  # encrypted at rest
            blob = bytearray(db.state("TAMPER-1", 4))
            blob[-1] ^= 0x01
            db.set_state("TAMPER-1", 4, bytes(blob))
        result = svc.verify("GSCP", "TAMPER-1")
        assert (result.ok, result.first_bad_version) == (False, 4)
        assert result.reason is not None and "decrypted" in result.reason
    finally:
        services.close()


def test_verify_all_names_only_the_tampered_case(
    settings: Settings, service: ReviewService, capsys: pytest.CaptureFixture[str]
) -> None:
    _case(service, "TAMPER-1")
    report(service, "TAMPER-2")
    _case(service, "TAMPER-3")
    with raw_db(settings) as db:
        db.run(
            "DELETE FROM {events} WHERE originator_id = ? AND originator_version = 3",
            (db.oid("TAMPER-3"),),
        )
    results = {r.case_ref: r for r in service.verify_all()}
    assert set(results) == {"TAMPER-1", "TAMPER-2", "TAMPER-3"}
    assert results["TAMPER-1"].ok and results["TAMPER-2"].ok
    assert (results["TAMPER-3"].ok, results["TAMPER-3"].first_bad_version) == (False, 3)

    # `qa-engine verify` with no REF: every case, exit code 1 when any is tampered
    ns = argparse.Namespace(ref=None, json=False)
    code = asyncio.run(cli_read.cmd_verify(ns, settings, cli_common.Output(False)))
    out = capsys.readouterr().out
    assert code == cli_common.EXIT_REJECTED
    assert "TAMPER-3: TAMPERED at record 3" in out and "1 TAMPERED" in out
