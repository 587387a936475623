"""What every application service shares: idempotent writes and readable history.

Every write carries an idempotency key. ``write_once`` loads the aggregate, and
if the key is already recorded returns its state untouched (a retried activity
appends nothing); otherwise it applies the change and saves, and if a concurrent
writer saved first (optimistic concurrency) it reloads, re-checks and tries again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from eventsourcing.persistence import RecordConflictError
from pydantic import BaseModel

__all__ = ["RETRIES", "HistoryEntry", "VerifyResult", "history_entry", "write_once"]

RETRIES = 5


class HistoryEntry(BaseModel):
    """One recorded fact, readable without knowing event classes."""

    version: int
    recorded_at: datetime
    event: str
    actor: dict[str, Any]
    data: dict[str, Any]
    hash: str


class VerifyResult(BaseModel):
    case_ref: str
    ok: bool
    records: int
    first_bad_version: int | None = None
    reason: str | None = None


#: An aggregate with ``applied_keys`` (key -> version) and ``state``.
A = TypeVar("A")


def write_once(
    load: Callable[[], A], save: Callable[[A], Any], key: str, act: Callable[[A], None]
) -> Any:
    """Apply ``act`` to a freshly loaded aggregate and save it, exactly once per ``key``."""
    for _attempt in range(RETRIES):
        aggregate = load()
        keyed: Any = aggregate
        if key in keyed.applied_keys:
            return keyed.state
        act(aggregate)
        try:
            save(aggregate)
        except RecordConflictError:
            continue  # someone else wrote first: reload, re-check, retry
        return keyed.state
    raise RuntimeError(f"could not record {key} after {RETRIES} concurrent conflicts")


_HIDDEN = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "actor",
        "key",
        "prev_hash",
        "hash",
        "originator_topic",
        "initial",
    }
)


def history_entry(ev: Any) -> HistoryEntry:
    state = vars(ev)
    return HistoryEntry(
        version=ev.originator_version,
        recorded_at=ev.timestamp,
        event=type(ev).__name__,
        actor=state.get("actor", {}),
        data={k: v for k, v in state.items() if k not in _HIDDEN},
        hash=state.get("hash", ""),
    )
