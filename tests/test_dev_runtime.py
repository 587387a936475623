"""``qa-engine dev``: the all-in-one runtime starts, seeds the demo and stops; a worker
that cannot start stops it with the error instead of leaving it waiting."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from qa_engine.config import Settings
from qa_engine.entry.runtime import run_dev

pytestmark = pytest.mark.integration


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _settings(tmp_path: Path, **extra: object) -> Settings:
    port = _port()
    return Settings(
        data_dir=tmp_path,
        dev_server_port=port,
        dev_server_ui_port=_port(),
        temporal_address=f"127.0.0.1:{port}",
        web_port=_port(),
        codec_server_port=_port(),
        **extra,  # type: ignore[arg-type]
    )


async def test_dev_starts_seeds_the_demo_and_stops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _settings(tmp_path)
    await asyncio.wait_for(run_dev(settings, demo=True, stop_after=0.1), timeout=120)
    out = capsys.readouterr().out
    assert "qa-engine is running." in out
    for ref in ("DEMO-001", "DEMO-002", "DEMO-003", "DEMO-004", "DEMO-A01", "DEMO-A02-AP"):
        assert ref in out
    assert "auditor" in out  # a demo account per role, with its one-time secrets
    assert (tmp_path / "temporal-codec.key").exists()  # payloads encrypted by default


async def test_a_worker_that_cannot_start_stops_dev_with_its_error(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-file"
    blocked.mkdir()  # the event store's file is a directory: the worker cannot open it
    settings = _settings(tmp_path, sqlite_path=blocked)
    with pytest.raises(Exception) as raised:
        await asyncio.wait_for(run_dev(settings, demo=False, stop_after=0.1), timeout=120)
    assert not isinstance(raised.value, asyncio.TimeoutError)
