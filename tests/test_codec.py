"""Temporal payloads encrypted by the payload codec; the codec server decodes for the UI."""

from __future__ import annotations

import base64
import json
import os
import socket
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
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
from workflows.contracts import StartReview
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
            ref, h = await start_case(env.client, queue, t0, child_refs=["C-99881"])
            state = await step(h, "record_panel_notification", notified_on=t0)
            # decrypted transparently for the client: the values that went in come back
            assert (state.case_ref, state.notified_on, state.child_count) == (ref, t0, 1)
            history = await h.fetch_history()
            assert await h.query(ReviewWorkflow.state) == state
        services.close()
        raw = history.to_json()
        assert "C-99881" not in raw and "Alex Morgan" not in raw
        started = history.events[0].workflow_execution_started_event_attributes
        stored = started.input.payloads[0]
        assert stored.metadata["encoding"] == b"binary/encrypted"
        assert b"C-99881" not in stored.data and b"Alex Morgan" not in stored.data
        # Unreadable without the key; with it, exactly the workflow input that was sent.
        with pytest.raises(ValueError):
            await EncryptionCodec(base64.b64encode(os.urandom(32)).decode()).decode([stored])
        (start,) = await data_converter(KEY).decode([stored], [StartReview])
        assert isinstance(start, StartReview)
        assert start.report.case_ref == ref and start.report.child_refs == ["C-99881"]
        assert start.report.actor.name == "Alex Morgan" and start.report.aware_on == t0
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


UI = "http://localhost:8233"


@pytest.fixture
def codec_url() -> Iterator[str]:
    port = _free_port()
    server = serve_codec(KEY, port=port, allowed_origins=[UI])
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()


def _body(*payloads: Payload) -> bytes:
    return json_format.MessageToJson(Payloads(payloads=list(payloads))).encode()


async def test_codec_server_decodes_for_the_ui_origin_only(codec_url: str) -> None:
    codec = EncryptionCodec(KEY)
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"case_ref":"X-1"}')
    encrypted = (await codec.encode([plain]))[0]
    assert b"X-1" not in encrypted.data and encrypted.metadata["encoding"] == b"binary/encrypted"
    body = _body(encrypted)
    status, headers, out = _post(f"{codec_url}/decode", body, UI)
    assert status == 200
    assert headers.get("Access-Control-Allow-Origin") == UI
    # The answer is Temporal's JSON form of the payloads, holding exactly what went in.
    answer = json.loads(out)
    (decoded_json,) = answer["payloads"]
    assert base64.b64decode(decoded_json["data"]) == b'{"case_ref":"X-1"}'
    assert base64.b64decode(decoded_json["metadata"]["encoding"]) == b"json/plain"
    assert json_format.Parse(out, Payloads()).payloads[0] == plain
    # Another origin gets no CORS grant (the browser drops the answer).
    status, headers, _ = _post(f"{codec_url}/decode", body, "http://evil.example")
    assert "Access-Control-Allow-Origin" not in headers
    status, _, _ = _post(f"{codec_url}/steal", body, UI)
    assert status == 404
    status, _, _ = _post(f"{codec_url}/decode", b"not json", UI)
    assert status == 400


async def test_codec_server_encodes_what_it_decodes_and_refuses_another_key(
    codec_url: str,
) -> None:
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"rationale":"neglect"}')
    status, _, encoded = _post(f"{codec_url}/encode", _body(plain), UI)
    assert status == 200
    (sealed,) = json_format.Parse(encoded, Payloads()).payloads
    assert b"neglect" not in sealed.data and sealed.metadata["encoding"] == b"binary/encrypted"
    status, _, decoded = _post(f"{codec_url}/decode", encoded, UI)
    assert status == 200 and list(json_format.Parse(decoded, Payloads()).payloads) == [plain]
    # A payload sealed under another key is refused, never answered with garbage.
    other = EncryptionCodec(base64.b64encode(os.urandom(32)).decode())
    foreign = (await other.encode([plain]))[0]
    status, _, out = _post(f"{codec_url}/decode", _body(foreign), UI)
    assert status == 400 and b"neglect" not in out


def test_codec_server_answers_the_preflight_for_the_ui_only(codec_url: str) -> None:
    def options(origin: str) -> tuple[int, dict[str, str]]:
        req = urllib.request.Request(
            f"{codec_url}/decode", method="OPTIONS", headers={"Origin": origin}
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers)

    status, headers = options(UI)
    assert status == 200 and headers["Access-Control-Allow-Origin"] == UI
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "x-namespace" in headers["Access-Control-Allow-Headers"]
    _, headers = options("http://evil.example")
    assert "Access-Control-Allow-Origin" not in headers


async def test_codec_server_decodes_the_path_the_ui_posts(codec_url: str) -> None:
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b"{}")
    encrypted = (await EncryptionCodec(KEY).encode([plain]))[0]
    status, headers, out = _post(
        f"{codec_url}/decode?preserveStorageRefs=true", _body(encrypted), UI
    )
    assert status == 200 and headers.get("Access-Control-Allow-Origin") == UI
    assert list(json_format.Parse(out, Payloads()).payloads) == [plain]


def test_codec_server_error_answers_carry_cors_headers(codec_url: str) -> None:
    status, headers, _ = _post(f"{codec_url}/decode", b"not json", UI)
    assert status == 400
    assert headers.get("Access-Control-Allow-Origin") == UI


def test_a_wrong_key_cannot_decode() -> None:
    import asyncio

    codec = EncryptionCodec(KEY)
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b"secret")
    encrypted = asyncio.run(codec.encode([plain]))
    assert asyncio.run(codec.decode(encrypted)) == [plain]
    again = asyncio.run(codec.encode([plain]))
    assert again[0].data != encrypted[0].data  # a fresh nonce each time
    assert b"secret" not in encrypted[0].data
    other = EncryptionCodec(base64.b64encode(os.urandom(32)).decode())
    with pytest.raises(ValueError):
        asyncio.run(other.decode(encrypted))
    # One flipped bit of ciphertext fails authentication instead of decoding wrongly.
    flipped = Payload()
    flipped.CopyFrom(encrypted[0])
    flipped.data = flipped.data[:-1] + bytes([flipped.data[-1] ^ 1])
    with pytest.raises(ValueError):
        asyncio.run(codec.decode([flipped]))
    with pytest.raises(ValueError, match="another key id"):
        asyncio.run(EncryptionCodec(KEY, key_id="rotated").decode(encrypted))
    # Payloads that were never encrypted pass through unchanged.
    assert asyncio.run(codec.decode([plain])) == [plain]
    with pytest.raises(ValueError, match="16, 24 or 32"):
        EncryptionCodec(base64.b64encode(b"short").decode())


def test_payloads_are_encrypted_by_default_with_a_key_made_once(tmp_path: Path) -> None:
    from pydantic import SecretStr

    from qa_engine.config import Settings
    from qa_engine.entry.temporal import codec_key

    settings = Settings(data_dir=tmp_path)
    made = codec_key(settings)
    assert made is not None and len(base64.b64decode(made)) == 32
    assert codec_key(Settings(data_dir=tmp_path)) == made  # every process on the directory
    assert (tmp_path / "temporal-codec.key").stat().st_mode & 0o777 == 0o600
    EncryptionCodec(made)  # a valid AES key
    assert codec_key(Settings(data_dir=tmp_path, temporal_codec_key=SecretStr(KEY))) == KEY
    assert codec_key(Settings(data_dir=tmp_path / "p", temporal_payloads="plain")) is None
    assert not (tmp_path / "p" / "temporal-codec.key").exists()
