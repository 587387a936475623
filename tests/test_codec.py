"""Temporal payloads encrypted by the payload codec; the codec server decodes for the UI."""

from __future__ import annotations

import base64
import json
import os
import socket
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.testing import WorkflowEnvironment

from qa_engine.bootstrap import bootstrap
from qa_engine.entry.codec import EncryptionCodec, data_converter, serve_codec
from tests.conftest import _bin, sqlite_settings
from tests.wf_helpers import start_case, step, today_of
from workers.main import build_worker
from workflows.review import ReviewWorkflow

KEY = base64.b64encode(os.urandom(32)).decode()


async def test_workflow_payloads_are_ciphertext_on_the_server(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest

    from workflows.contracts import SEARCH_ATTRIBUTES

    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_bin("temporal-test-server"), data_converter=data_converter(KEY)
    )
    try:
        await env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=env.client.namespace,
                search_attributes={
                    k.name: IndexedValueType.ValueType(k.indexed_value_type)
                    for k in SEARCH_ATTRIBUTES
                },
            )
        )
        services = bootstrap(sqlite_settings(tmp_path))
        queue = f"q-{uuid.uuid4().hex[:8]}"
        async with build_worker(env.client, task_queue=queue, services=services, executor=executor):
            t0 = await today_of(env)
            _, h = await start_case(env.client, queue, t0, child_refs=["C-99881"])
            state = await step(h, "record_panel_notification", notified_on=t0)
            assert state.notified_on == t0  # decrypted transparently for the client
            history = await h.fetch_history()
            assert (await h.query(ReviewWorkflow.state)) is not None
        services.close()
        raw = history.to_json()
        assert "C-99881" not in raw and "Alex Morgan" not in raw
        started = history.events[0].workflow_execution_started_event_attributes
        assert started.input.payloads[0].metadata["encoding"] == b"binary/encrypted"
    finally:
        await env.shutdown()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, body: bytes, origin: str) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Origin": origin},
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), b""


async def test_codec_server_decodes_for_the_ui_origin_only() -> None:
    codec = EncryptionCodec(KEY)
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"case_ref":"X-1"}')
    encrypted = (await codec.encode([plain]))[0]
    assert b"X-1" not in encrypted.data
    port = _free_port()
    server = serve_codec(KEY, port=port, allowed_origins=["http://localhost:8233"])
    try:
        body = json_format.MessageToJson(Payloads(payloads=[encrypted])).encode()
        status, headers, out = _post(
            f"http://127.0.0.1:{port}/decode", body, "http://localhost:8233"
        )
        assert status == 200
        assert headers.get("Access-Control-Allow-Origin") == "http://localhost:8233"
        decoded = json_format.Parse(out, Payloads()).payloads[0]
        assert decoded == plain
        status, headers, _ = _post(f"http://127.0.0.1:{port}/decode", body, "http://evil.example")
        assert "Access-Control-Allow-Origin" not in headers
        status, _, _ = _post(f"http://127.0.0.1:{port}/steal", body, "http://localhost:8233")
        assert status == 404
        status, _, _ = _post(
            f"http://127.0.0.1:{port}/decode", b"not json", "http://localhost:8233"
        )
        assert status == 400
    finally:
        server.shutdown()


def test_a_wrong_key_cannot_decode() -> None:
    import asyncio

    other = EncryptionCodec(base64.b64encode(os.urandom(32)).decode())
    encrypted = asyncio.run(EncryptionCodec(KEY).encode([Payload(data=b"secret")]))
    with pytest.raises(ValueError):
        asyncio.run(other.decode(encrypted))
    with pytest.raises(ValueError, match="16, 24 or 32"):
        EncryptionCodec(base64.b64encode(b"short").decode())
    _ = json
