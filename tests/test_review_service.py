"""The review application service on real SQLite and PostgreSQL event stores."""

from __future__ import annotations

import base64
import os
import sqlite3
import threading
from datetime import date, timedelta

import psycopg
import pytest
from pydantic import SecretStr

from domain.errors import CaseAlreadyExists, CaseNotFound, OutOfOrder
from domain.review import Stage
from domain.review.aggregate import review_id
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.reviews import ReviewService
from tests.review_data import cmd, path_to_lcspr, report

D = date(2025, 4, 11)


def test_a_case_survives_a_restart(settings: Settings, service: ReviewService) -> None:
    service.report_incident(report(aware=D), key="wf/reported", today=D)
    for i, (step, c) in enumerate(path_to_lcspr(D)):
        service.record_step("GSCP", "GSCP-2025-001", step, c, key=f"wf/{i}", today=D)
    before = service.state("GSCP", "GSCP-2025-001")
    reopened = bootstrap(settings)
    try:
        assert reopened.reviews.state("GSCP", "GSCP-2025-001") == before
        assert before.stage is Stage.LCSPR
    finally:
        reopened.close()


def test_retried_step_appends_nothing_twice(service: ReviewService) -> None:
    service.report_incident(report(aware=D), key="wf/reported", today=D)
    again = service.report_incident(report(aware=D), key="wf/reported", today=D)
    step = cmd("record_panel_notification", notified_on=D)
    first = service.record_step(
        "GSCP", "GSCP-2025-001", "record_panel_notification", step, key="wf/u1", today=D
    )
    second = service.record_step(
        "GSCP", "GSCP-2025-001", "record_panel_notification", step, key="wf/u1", today=D
    )
    assert first == second and again.version == 1
    assert [e.event for e in service.history("GSCP", "GSCP-2025-001")] == [
        "IncidentReported",
        "PanelNotified",
    ]


def test_a_reused_case_ref_is_rejected(service: ReviewService) -> None:
    service.report_incident(report(aware=D), key="wf-a/reported", today=D)
    with pytest.raises(CaseAlreadyExists) as err:
        service.report_incident(report(aware=D), key="wf-b/reported", today=D)
    assert err.value.field == "case_ref"


def test_rejected_step_records_nothing(service: ReviewService) -> None:
    service.report_incident(report(aware=D), key="wf/reported", today=D)
    with pytest.raises(OutOfOrder):
        service.record_step(
            "GSCP",
            "GSCP-2025-001",
            "record_final_report",
            cmd("record_final_report", completed_on=D),
            key="wf/x",
            today=D,
        )
    assert len(service.history("GSCP", "GSCP-2025-001")) == 1


def test_unknown_case_is_not_found(service: ReviewService) -> None:
    with pytest.raises(CaseNotFound):
        service.state("GSCP", "NOPE-404")


def test_concurrent_writers_lose_nothing_and_duplicate_nothing(
    settings: Settings, service: ReviewService
) -> None:
    service.report_incident(report(aware=D), key="wf/reported", today=D)
    for i, (step, c) in enumerate(path_to_lcspr(D)[:3]):
        service.record_step("GSCP", "GSCP-2025-001", step, c, key=f"wf/{i}", today=D)
    agencies = ["POLICE", "ICB", "EDUCATION", "PROBATION"]
    service.record_step(
        "GSCP",
        "GSCP-2025-001",
        "request_agency_summaries",
        cmd(
            "request_agency_summaries",
            requested_on=D,
            requests=[{"agency": a, "due_on": D + timedelta(days=3)} for a in agencies],
        ),
        key="wf/req",
        today=D,
    )
    # one connection per pool: five processes at the default size would need 120
    small = settings.model_copy(update={"postgres_pool_size": 1})
    processes = [bootstrap(small) for _ in agencies]
    others = [p.reviews for p in processes]
    errors: list[BaseException] = []

    def receive(svc: ReviewService, agency: str) -> None:
        try:
            for _ in range(2):  # each writer also retries its own step
                svc.record_step(
                    "GSCP",
                    "GSCP-2025-001",
                    "record_agency_summary",
                    cmd("record_agency_summary", agency=agency, received_on=D),
                    key=f"wf/sum-{agency}",
                    today=D,
                )
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [
        threading.Thread(target=receive, args=(s, a)) for s, a in zip(others, agencies, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in processes:
        p.close()
    assert not errors
    history = service.history("GSCP", "GSCP-2025-001")
    received = [e for e in history if e.event == "AgencySummaryReceived"]
    assert sorted(e.data["agency"] for e in received) == sorted(agencies)
    assert all(v is not None for v in service.state("GSCP", "GSCP-2025-001").agencies.values())


def test_state_as_at_rebuilds_the_past_from_the_store(service: ReviewService) -> None:
    service.report_incident(report(aware=D), key="wf/reported", today=D)
    service.record_step(
        "GSCP",
        "GSCP-2025-001",
        "record_panel_notification",
        cmd("record_panel_notification", notified_on=D),
        key="wf/1",
        today=D,
    )
    history = service.history("GSCP", "GSCP-2025-001")
    first_at = history[0].recorded_at
    assert service.state_as_at("GSCP", "GSCP-2025-001", first_at).notified_on is None
    assert service.state_as_at("GSCP", "GSCP-2025-001", history[1].recorded_at).notified_on == D
    with pytest.raises(CaseNotFound):
        service.state_as_at("GSCP", "GSCP-2025-001", first_at - timedelta(seconds=1))


def test_reading_history_is_itself_recorded(service: ReviewService) -> None:
    service.report_incident(report(aware=D), key="wf/reported", today=D)
    auditor = {"name": "Ivy Inspector", "role": "independent scrutineer"}
    entries = service.read_history("GSCP", "GSCP-2025-001", actor=auditor, purpose="scrutiny")
    assert [e.event for e in entries] == ["IncidentReported"]  # the case's stream is untouched
    (read,) = service.reads("GSCP", "GSCP-2025-001")
    assert read.actor == auditor and read.purpose == "scrutiny"
    assert service.verify("GSCP", "GSCP-2025-001").ok
    access = service.access.verify(review_id("GSCP", "GSCP-2025-001"), "GSCP-2025-001")
    assert access is not None and access.ok and access.records == 2


def _stored_states(settings: Settings) -> list[bytes]:
    if settings.store == "sqlite":
        with sqlite3.connect(settings.sqlite_file) as conn:
            return [bytes(r[0]) for r in conn.execute("SELECT state FROM stored_events")]
    with psycopg.connect(
        host=settings.postgres_host,
        port=settings.postgres_port,
        user=settings.postgres_user,
        dbname=settings.postgres_db,
    ) as conn:
        rows = conn.execute(
            f'SELECT state FROM "{settings.postgres_schema}".qa_engine_events'
        ).fetchall()
        return [bytes(r[0]) for r in rows]


def test_events_are_encrypted_at_rest_when_a_key_is_configured(settings: Settings) -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    encrypted = settings.model_copy(update={"cipher_key": SecretStr(key)})
    services = bootstrap(encrypted)
    try:
        svc = services.reviews
        svc.report_incident(report(aware=D, child_refs=["C-77777"]), key="wf/r", today=D)
        assert svc.state("GSCP", "GSCP-2025-001").child_count == 1
    finally:
        services.close()
    states = _stored_states(encrypted)
    assert states and all(b"C-77777" not in s and b"GSCP" not in s for s in states)


def test_timestamps_are_utc_aware(service: ReviewService) -> None:
    service.report_incident(report(aware=D), key="wf/reported", today=D)
    at = service.history("GSCP", "GSCP-2025-001")[0].recorded_at
    assert at.tzinfo is not None and at.utcoffset() == timedelta(0)
