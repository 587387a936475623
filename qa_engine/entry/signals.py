"""How a long-running ``qa-engine`` process learns it should stop.

Shared by the runtime (worker, dev) and ``projections run``; it sits below both.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

__all__ = ["stop_event"]


def stop_event() -> asyncio.Event:
    """An event set on SIGINT or SIGTERM (where the loop supports signal handlers)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop
