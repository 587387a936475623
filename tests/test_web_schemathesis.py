"""schemathesis over the published OpenAPI document (bounded: a few examples per
operation): no 5xx but the documented 503, every status and body as documented.

The app runs against a real SQLite store with a signed-in business manager's bearer
token, twice: with Temporal deliberately unreachable (a closed port), where operations
that need it must answer their documented 503 problem, never a crash; and with the real
Temporal dev server and a worker up, where generated steps reach the workflows and
must answer as documented too (no 5xx at all)."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from qa_engine.accounts import AccountStore
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.entry.temporal import start_dev_server
from qa_engine.entry.web.app import create_app
from tests.conftest import sqlite_settings
from tests.web_support import add_people, report_body
from workers.main import build_worker

EXAMPLES = 3


@schemathesis.check
def no_server_error_but_temporal_down(ctx: Any, response: Any, case: schemathesis.Case) -> None:
    """No 5xx, except the documented 503 naming Temporal (unreachable on purpose here)."""
    if response.status_code < 500:
        return
    body = response.json() if response.status_code == 503 else {}
    if body.get("rule") != "service_available":
        raise AssertionError(f"server error {response.status_code}: {response.text[:300]}")


@schemathesis.check
def no_server_error(ctx: Any, response: Any, case: schemathesis.Case) -> None:
    """No 5xx at all (Temporal and the store are up)."""
    if response.status_code >= 500:
        raise AssertionError(f"server error {response.status_code}: {response.text[:300]}")


#: no 5xx but the documented 503; only documented statuses, media types and bodies
CHECKS = [
    no_server_error_but_temporal_down,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


#: the review the Temporal-up run opens first, so generated steps meet a real case
OPEN_REF = "GSCP-2025-001"


def _in_gscp(case: schemathesis.Case) -> schemathesis.Case:
    """The manager's own partnership in the path, so calls reach past the scope check."""
    if case.path_parameters and "p" in case.path_parameters:
        case.path_parameters["p"] = "GSCP"
    return case


def _on_the_open_case(case: schemathesis.Case) -> schemathesis.Case:
    """Also the open review's reference: steps reach its workflow (200, or 409/422
    refused by a rule), not only a 404."""
    case = _in_gscp(case)
    if case.path_parameters and "ref" in case.path_parameters:
        case.path_parameters["ref"] = OPEN_REF
    return case


def _every_operation(config: Settings, *, temporal_down: bool) -> dict[int, int]:
    """Run the checks over every operation; answer the statuses seen (failures raise)."""
    accounts = AccountStore(config)
    add_people(accounts)
    manager = accounts.account("manager")
    assert manager is not None
    app = create_app(config, accounts=accounts)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    checks = CHECKS if temporal_down else [no_server_error, *CHECKS[1:]]
    statuses: dict[int, int] = {}
    where = _in_gscp
    if not temporal_down:  # a real case first, opened as a person would
        # no ``with``: the app's lifespan (which closes its store) is schemathesis's
        opened = TestClient(app, base_url="https://testserver").post(
            "/partnerships/GSCP/reviews",
            json=report_body(OPEN_REF),
            headers={"Authorization": f"Bearer {accounts.issue_token(manager)[0]}"},
        )
        assert opened.status_code == 201, opened.text
        where = _on_the_open_case
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy().map(where))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            # a fresh token each call: POST /sign-out revokes the one it is sent with
            token = accounts.issue_token(manager)[0]
            answer = case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"}, checks=checks
            )
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        try:
            check()
        except (Exception, BaseExceptionGroup) as e:
            failures[operation.label] = f"{type(e).__name__}: {str(e)[:1500]}"
    accounts.close()
    assert operations > 60
    # the signed-in calls reached the handlers: answers past sign-in, not only refusals
    assert sum(statuses.values()) >= operations
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
    return statuses


def test_every_operation_answers_as_documented(tmp_path: Path) -> None:
    config = sqlite_settings(tmp_path, temporal_address=f"127.0.0.1:{_closed_port()}")
    statuses = _every_operation(config, temporal_down=True)
    assert {200, 403, 422} <= set(statuses), statuses


async def test_every_operation_answers_as_documented_with_temporal_up(tmp_path: Path) -> None:
    """The real dev server and a worker: generated opens and steps reach the workflows
    (or are refused by a rule: 409/422), and nothing answers 5xx."""
    port = _closed_port()
    config = sqlite_settings(
        tmp_path,
        temporal_address=f"127.0.0.1:{port}",
        dev_server_port=port,
        dev_server_ui_port=_closed_port(),
        temporal_task_queue="schemathesis",
    )
    env = await start_dev_server(config)
    services = bootstrap(config)
    try:
        with ThreadPoolExecutor(4) as pool:
            worker = build_worker(
                env.client, task_queue="schemathesis", services=services, executor=pool
            )
            async with worker:
                # schemathesis calls the app synchronously (its own event loop, its own
                # Temporal client): off this loop, so the worker here keeps polling
                statuses = await asyncio.to_thread(_every_operation, config, temporal_down=False)
    finally:
        services.close()
        await env.shutdown()
    assert {200, 403, 422} <= set(statuses), statuses
    # generated steps and openings reached the workflows: recorded, or refused by a rule
    assert {201, 409} & set(statuses), statuses
    assert 503 not in statuses, statuses
