"""The newest record of a stream deleted (the tampering a chain alone cannot see) is
reported with its location, on SQLite and PostgreSQL, beyond the review cases that
``test_ledger.py`` covers: a quality-assurance record, ``qa-engine verify REF``, and the
access log (its own store: its own file on SQLite, its own table on PostgreSQL)."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from domain.qa.record import record_id
from domain.review.aggregate import review_id
from qa_engine.bootstrap import Services, bootstrap
from qa_engine.config import Settings
from qa_engine.entry import cli_common, cli_read
from tests.lifecycle import full_lifecycle, report
from tests.test_ledger import raw_db
from tests.test_projections_quality import AUDIT, audit_to_returns, plan_audit

AUDITOR = {"name": "Ivy Inspector", "role": "independent scrutineer"}


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    s = bootstrap(settings)
    yield s
    s.close()


def _verify_all(
    settings: Settings, capsys: pytest.CaptureFixture[str], **ns: Any
) -> tuple[int, str]:
    args = argparse.Namespace(ref=None, json=False, partnership=None, **ns)
    code = asyncio.run(cli_read.cmd_verify(args, settings, cli_common.Output(False)))
    return code, capsys.readouterr().out


def test_the_newest_event_of_an_audit_deleted_is_located(
    settings: Settings, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    qa = services.quality
    plan_audit(qa)
    audit_to_returns(qa)
    report(services.reviews, "AFTER-1")  # the audit's last record is not the log's last
    newest = len(qa.history("GSCP", "audit", AUDIT))
    assert newest >= 3 and qa.verify("GSCP", "audit", AUDIT).ok
    with raw_db(settings) as db:
        oid = record_id("audit", "GSCP", AUDIT)
        oid = oid if db.pg else oid.hex
        ((nid,),) = db.run(
            "SELECT {nid} FROM {events} WHERE originator_id = ? AND originator_version = ?",
            (oid, newest),
        )
        db.run(
            "DELETE FROM {events} WHERE originator_id = ? AND originator_version = ?",
            (oid, newest),
        )
    # What is left still loads and chains: only the ledger knows a record is missing.
    assert len(qa.history("GSCP", "audit", AUDIT)) == newest - 1
    result = qa.verify("GSCP", "audit", AUDIT)
    assert (result.ok, result.first_bad_version) == (False, newest)
    assert result.reason is not None and "deleted" in result.reason
    assert result.problems[0].notification_id == int(nid)
    code, out = _verify_all(settings, capsys)
    assert code == cli_common.EXIT_REJECTED
    assert f"audit {AUDIT}: TAMPERED at record {newest}" in out
    assert "review AFTER-1: chain intact" in out


def test_verify_of_one_case_names_its_deleted_newest_record(
    settings: Settings, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    n = len(list(full_lifecycle(services.reviews, "NEWEST-1")))
    with raw_db(settings) as db:
        db.delete_event("NEWEST-1", n)
    auditor = settings.model_copy(
        update={"actor_name": "Ivy Inspector", "actor_role": "auditor", "partnership": "GSCP"}
    )
    ns = argparse.Namespace(ref="NEWEST-1", json=False)
    code = asyncio.run(cli_read.cmd_verify(ns, auditor, cli_common.Output(False)))
    out = capsys.readouterr().out
    assert code == cli_common.EXIT_REJECTED, out
    assert f"NEWEST-1: TAMPERED at record {n}" in out and "deleted" in out


# ------------------------------------------------------------------ access log


class RawAccess:
    """The access store's tables, through the database's own driver."""

    def __init__(self, settings: Settings, conn: Any) -> None:
        self.pg = settings.store == "postgres"
        self.conn = conn
        schema = settings.postgres_schema
        self.events = f'"{schema}".qa_access_events' if self.pg else "stored_events"

    def delete_newest(self, stream: Any) -> int:
        """Delete the stream's newest record (its ledger row stays); its version."""
        p = "%s" if self.pg else "?"
        oid = stream if self.pg else stream.hex
        (version,) = self.conn.execute(
            f"SELECT MAX(originator_version) FROM {self.events} WHERE originator_id = {p}", (oid,)
        ).fetchone()
        self.conn.execute(
            f"DELETE FROM {self.events} WHERE originator_id = {p} AND originator_version = {p}",
            (oid, version),
        )
        return int(version)


@contextmanager
def raw_access(settings: Settings) -> Iterator[RawAccess]:
    if settings.store == "postgres":
        with psycopg.connect(
            host=settings.postgres_host,
            port=settings.postgres_port,
            user=settings.postgres_user,
            dbname=settings.postgres_db,
            autocommit=True,
        ) as conn:
            yield RawAccess(settings, conn)
    else:
        path = settings.sqlite_file
        access = path.with_name(f"{path.stem}-access{path.suffix}")
        assert access.exists(), f"no access store at {access}"
        conn = sqlite3.connect(access, isolation_level=None)
        try:
            yield RawAccess(settings, conn)
        finally:
            conn.close()


def _read_twice(services: Services, ref: str) -> None:
    report(services.reviews, ref)
    for purpose in ("scrutiny", "annual assurance"):
        services.reviews.read_history("GSCP", ref, actor=AUDITOR, purpose=purpose)


def test_the_newest_read_deleted_from_the_access_log_is_located(
    settings: Settings, services: Services
) -> None:
    from domain.access_log import access_log_id

    _read_twice(services, "READ-1")
    case = review_id("GSCP", "READ-1")
    before = services.access.verify(case, "READ-1")
    assert before is not None and before.ok and before.records == 3
    with raw_access(settings) as raw:
        newest = raw.delete_newest(access_log_id(case))
    assert [r.purpose for r in services.reviews.reads("GSCP", "READ-1")] == ["scrutiny"]
    after = services.access.verify(case, "READ-1")
    assert after is not None, "the access log of a read case is reported"
    assert (after.ok, after.first_bad_version) == (False, newest)
    assert after.reason is not None and "deleted" in after.reason


def test_every_read_of_a_case_deleted_from_the_access_log_is_reported(
    settings: Settings, services: Services
) -> None:
    from domain.access_log import access_log_id

    _read_twice(services, "READ-2")
    case = review_id("GSCP", "READ-2")
    with raw_access(settings) as raw:
        while raw.delete_newest(access_log_id(case)) > 1:
            pass
    after = services.access.verify(case, "READ-2")
    assert after is not None and not after.ok


def test_qa_engine_verify_reports_a_read_deleted_from_the_access_log(
    settings: Settings, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    from domain.access_log import access_log_id

    _read_twice(services, "READ-3")
    with raw_access(settings) as raw:
        raw.delete_newest(access_log_id(review_id("GSCP", "READ-3")))
    code, out = _verify_all(settings, capsys)
    assert code == cli_common.EXIT_REJECTED, out
