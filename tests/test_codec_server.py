"""The codec server as the Temporal UI calls it (PITFALLS 10): the query string on
the path, and CORS headers on every answer, errors included."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from qa_engine.entry.codec import EncryptionCodec, serve_codec

KEY = base64.b64encode(os.urandom(32)).decode()
UI = "http://localhost:8233"


@pytest.fixture
def server() -> Iterator[str]:
    srv = serve_codec(KEY, port=0, allowed_origins=[UI])
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def _post(url: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(
        url, data=body, method="POST", headers={"Origin": UI, "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_decode_with_the_uis_query_string(server: str) -> None:
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"stage": "lcspr"}')
    (sealed,) = asyncio.run(EncryptionCodec(KEY).encode([plain]))
    body = json_format.MessageToJson(Payloads(payloads=[sealed])).encode()
    status, headers, out = _post(f"{server}/decode?preserveStorageRefs=true", body)
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == UI
    (back,) = json_format.Parse(out, Payloads()).payloads
    assert back == plain


def test_errors_carry_cors_headers(server: str) -> None:
    status, headers, out = _post(f"{server}/decode", b"not json")
    assert status == 400 and headers["Access-Control-Allow-Origin"] == UI
    assert json.loads(out)["error"] == "payloads could not be transformed"
    status, headers, _ = _post(f"{server}/elsewhere", b"{}")
    assert status == 404 and headers["Access-Control-Allow-Origin"] == UI
