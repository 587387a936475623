"""Temporal payload encryption (AES-256-GCM) and the codec server the UI uses to read it.

With ``QA_TEMPORAL_CODEC_KEY`` set, every workflow input, update argument, activity
input and result leaves this process encrypted: the Temporal server and its
database only ever hold ciphertext. Operations staff read payloads in the UI
through the codec server (``qa-engine codec-server``; started by ``qa-engine dev``),
which decrypts only for a browser on an allowed origin.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from Crypto.Cipher import AES
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import DataConverter, PayloadCodec

from workflows.payloads import QaPayloadConverter

__all__ = ["EncryptionCodec", "data_converter", "serve_codec"]

ENCODING = b"binary/encrypted"


class EncryptionCodec(PayloadCodec):
    """AES-GCM over the whole serialized payload (metadata included)."""

    def __init__(self, key_b64: str, key_id: str = "qa-engine") -> None:
        key = base64.b64decode(key_b64)
        if len(key) not in (16, 24, 32):
            raise ValueError("QA_TEMPORAL_CODEC_KEY must be base64 of 16, 24 or 32 bytes")
        self._key, self.key_id = key, key_id.encode()

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decrypt(p) for p in payloads]

    def _encrypt(self, payload: Payload) -> Payload:
        cipher = AES.new(self._key, AES.MODE_GCM)
        data, tag = cipher.encrypt_and_digest(payload.SerializeToString())
        return Payload(
            metadata={"encoding": ENCODING, "encryption-key-id": self.key_id},
            data=cipher.nonce + tag + data,
        )

    def _decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        if payload.metadata.get("encryption-key-id") != self.key_id:
            raise ValueError("payload encrypted with another key id")
        nonce, tag, data = payload.data[:16], payload.data[16:32], payload.data[32:]
        cipher = AES.new(self._key, AES.MODE_GCM, nonce=nonce)
        decoded = Payload()
        decoded.ParseFromString(cipher.decrypt_and_verify(data, tag))
        return decoded


def data_converter(codec_key: str | None) -> DataConverter:
    """Pydantic payloads, encrypted when a key is configured."""
    converter = DataConverter(payload_converter_class=QaPayloadConverter)
    if not codec_key:
        return converter
    return dataclasses.replace(converter, payload_codec=EncryptionCodec(codec_key))


def _transform(codec: EncryptionCodec, body: bytes, decode: bool) -> bytes:
    payloads = json_format.Parse(body, Payloads())
    func = codec.decode if decode else codec.encode
    result = asyncio.run(func(list(payloads.payloads)))
    return json_format.MessageToJson(Payloads(payloads=result)).encode()


def serve_codec(
    codec_key: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8081,
    allowed_origins: Sequence[str] = ("http://localhost:8233",),
) -> ThreadingHTTPServer:
    """Start the codec server (Temporal's /encode and /decode protocol) in a thread."""
    codec = EncryptionCodec(codec_key)
    origins = set(allowed_origins)

    class Handler(BaseHTTPRequestHandler):
        def _cors(self) -> None:
            origin = self.headers.get("Origin")
            if origin in origins:
                self.send_header("Access-Control-Allow-Origin", origin)
                self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", "content-type,x-namespace")

        def do_OPTIONS(self) -> None:
            self.send_response(200)
            self._cors()
            self.end_headers()

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            # CORS headers on every answer, errors too: the UI reads the error's status
            self.send_response(status)
            self._cors()
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            # The UI posts to /decode?preserveStorageRefs=true: match the path alone.
            path = urlsplit(self.path).path.rstrip("/")
            if path not in ("/encode", "/decode"):
                self._answer(404, b'{"error": "not found"}', "application/json")
                return
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                out = _transform(codec, body, decode=path == "/decode")
            except Exception:
                self._answer(
                    400, b'{"error": "payloads could not be transformed"}', "application/json"
                )
                return
            self._answer(200, out, "application/json")

        def log_message(self, format: str, *args: Any) -> None:
            return  # payload bodies and paths are not logged

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="codec-server", daemon=True).start()
    return server
