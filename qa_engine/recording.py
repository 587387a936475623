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
from uuid import UUID

from eventsourcing.persistence import RecordConflictError
from pydantic import BaseModel

from domain.chain import ChainBreak, verify_records
from domain.errors import CaseNotFound

__all__ = [
    "RETRIES",
    "HistoryEntry",
    "VerifyResult",
    "aggregates_in_log",
    "history_entry",
    "topic_prefix",
    "verify_stored",
    "write_once",
]

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


#: Names a record from the state of its first event.
RefOf = Callable[[dict[str, Any]], str | None]

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


def verify_stored(app: Any, aggregate_id: UUID, ref: str | None, ref_of: RefOf) -> VerifyResult:
    """Check one aggregate's hash chain from its stored records, naming the first bad one.

    A record that cannot be decoded (edited ciphertext fails authentication; an
    edited topic or mangled payload fails too) is tampering, reported, never raised.
    ``ref_of`` names the record from its first event when ``ref`` is not known.
    """
    stored = app.recorder.select_events(aggregate_id)
    if not stored:
        raise CaseNotFound(f"no record {ref or aggregate_id}", field="ref", rule="exists")
    records: list[tuple[int, str, dict[str, Any]]] = []
    undecodable: int | None = None
    for record in stored:
        try:
            records.append((record.originator_version, record.topic, stored_state(app, record)))
        except Exception:  # any undecodable record is reported, not raised
            undecodable = record.originator_version
            break
    if ref is None:
        try:  # the reference people use, from the (upcast) opening event
            first = dict(vars(app.mapper.to_domain_event(stored[0]))) if records else {}
        except Exception:  # an unreadable first record is reported below, by version
            first = {}
        ref = ref_of(first) or f"aggregate {aggregate_id}"
    try:
        count = verify_records(records)
        if undecodable is not None:
            raise ChainBreak(
                undecodable, "cannot be decrypted or decoded: the stored record was altered"
            )
    except ChainBreak as e:
        return VerifyResult(
            case_ref=ref,
            ok=False,
            records=len(stored),
            first_bad_version=e.version,
            reason=e.reason,
        )
    return VerifyResult(case_ref=ref, ok=True, records=count)


def stored_state(app: Any, record: Any) -> dict[str, Any]:
    """A record's state exactly as stored: decrypted and decoded, never upcast."""
    data = record.state
    if app.mapper.cipher:
        data = app.mapper.cipher.decrypt(data)
    if app.mapper.compressor:
        data = app.mapper.compressor.decompress(data)
    state: dict[str, Any] = app.mapper.transcoder.decode(data)
    return state


K = TypeVar("K")


def aggregates_in_log(app: Any, prefixes: dict[str, K]) -> dict[UUID, K]:
    """Aggregate id -> label of every aggregate whose event topics start with a prefix,
    read from the notification log itself (not from a view), in log order."""
    found: dict[UUID, K] = {}
    start = 0
    while batch := app.recorder.select_notifications(
        start=start, limit=1000, inclusive_of_start=False
    ):
        for n in batch:
            label = next((k for p, k in prefixes.items() if n.topic.startswith(p)), None)
            if label is not None:
                found.setdefault(UUID(str(n.originator_id)), label)
        start = batch[-1].id
    return found


def topic_prefix(cls: type) -> str:
    """The topic prefix shared by every event nested in aggregate class ``cls``."""
    return f"{cls.__module__}:{cls.__qualname__}."
