"""``serve`` (what ``qa-engine web`` and ``qa-engine dev`` run): once uvicorn has started,
what start-up built is frozen out of the garbage collector's sight, so a full
collection no longer pauses a request for the whole heap (issue 12's inbox p95)."""

from __future__ import annotations

import asyncio
import gc
import socket
from pathlib import Path

import httpx

from qa_engine.config import Settings
from qa_engine.entry.web.server import serve


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_started_server_has_frozen_its_start_up_heap(tmp_path: Path) -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    settings = Settings(data_dir=tmp_path, web_host="127.0.0.1", web_port=_free_port())
    stop, started = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve(settings, stop=stop, started=started))
    try:
        await asyncio.wait_for(started.wait(), 60)
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the modules, models and routes start-up made
        async with httpx.AsyncClient() as http:  # and it serves
            r = await http.get(f"http://127.0.0.1:{settings.web_port}/sign-in")
        assert r.status_code == 200
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        gc.unfreeze()  # the rest of this test session as it was
