"""Hash-chained aggregates: tamper evidence for every case's event stream.

Each event carries ``prev_hash`` (its predecessor's hash) and ``hash`` (SHA-256 of
the predecessor's hash and the event's own canonical content). Editing, deleting
or reordering a stored record breaks the chain at that record, which
``verify_chain`` names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

__all__ = [
    "GENESIS",
    "ChainBreak",
    "ChainedAggregate",
    "KeyedAggregate",
    "event_hash",
    "verify_chain",
    "verify_records",
]

GENESIS = "0" * 64
_SKIP = {"hash", "prev_hash", "originator_id"}


def _default(o: Any) -> Any:
    if isinstance(o, datetime | date):
        return o.isoformat()
    if isinstance(o, UUID):
        return o.hex
    raise TypeError(f"cannot hash {type(o).__name__}")


def event_hash(prev_hash: str, topic: str, state: Mapping[str, Any]) -> str:
    """SHA-256 over the predecessor's hash, the event's type and its content."""
    content = {k: v for k, v in state.items() if k not in _SKIP}
    body = json.dumps(content, sort_keys=True, separators=(",", ":"), default=_default)
    return hashlib.sha256(f"{prev_hash}|{topic}|{body}".encode()).hexdigest()


def _topic(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


class ChainedAggregate(Aggregate):
    """An aggregate whose events form a hash chain."""

    chain_head = GENESIS

    class Event(Aggregate.Event):
        prev_hash: str
        hash: str

        def apply(self, aggregate: Any) -> None:
            aggregate.chain_head = self.hash

    class Created(Event, Aggregate.Created):
        pass

    @classmethod
    def _create(cls, event_class: Any, *, id: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("timestamp", event_class.create_timestamp())
        state = dict(kwargs, originator_topic=_topic(cls), originator_version=cls.INITIAL_VERSION)
        kwargs["prev_hash"] = GENESIS
        kwargs["hash"] = event_hash(GENESIS, _topic(event_class), state)
        return super()._create(event_class, id=id, **kwargs)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        kwargs.setdefault("timestamp", event_class.create_timestamp())
        kwargs.setdefault("originator_version", self.version + 1)
        kwargs["prev_hash"] = self.chain_head
        kwargs["hash"] = event_hash(self.chain_head, _topic(event_class), kwargs)
        kwargs.pop("originator_version")
        super().trigger_event(event_class, **kwargs)


class KeyedAggregate(ChainedAggregate):
    """A chained aggregate whose every event records who acted (``actor``) and the
    idempotency key of the step that caused it (``key``), so a retry is recognised."""

    class Event(ChainedAggregate.Event):
        key: str
        actor: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            aggregate.applied_keys[self.key] = self.originator_version
            aggregate.state.version = self.originator_version


class ChainBreak(Exception):
    """The chain is broken at ``version``."""

    def __init__(self, version: int, reason: str) -> None:
        super().__init__(f"record {version}: {reason}")
        self.version, self.reason = version, reason


def verify_chain(events: Iterable[Any]) -> int:
    """Check a stream of (not yet stored) events in order; return how many were verified.

    Raises ``ChainBreak`` naming the first bad record.
    """
    return verify_records(
        (ev.originator_version, _topic(type(ev)), dict(vars(ev))) for ev in events
    )


def verify_records(records: Iterable[tuple[int, str, dict[str, Any]]]) -> int:
    """Check a stream as stored: ``(version, stored topic, stored state)`` in order.

    The state is the record's own stored content (decrypted and decoded, never
    upcast), and the topic the one it was stored under, so an upcast or a moved
    class never changes what is checked. Raises ``ChainBreak`` naming the first
    bad record; returns how many were verified.
    """
    prev, expected_version, count = GENESIS, 1, 0
    for version, topic, stored in records:
        if version != expected_version:
            raise ChainBreak(
                version, f"expected version {expected_version}: a record is missing or moved"
            )
        # the hash covered the event's fields and version, not the stored class_version
        state = {k: v for k, v in stored.items() if k != "class_version"}
        state["originator_version"] = version
        if state.get("prev_hash") != prev:
            raise ChainBreak(
                version, "does not follow its predecessor (deleted, reordered or edited)"
            )
        if event_hash(prev, topic, state) != state.get("hash"):
            raise ChainBreak(version, "content does not match its hash (edited)")
        prev, expected_version, count = state["hash"], expected_version + 1, count + 1
    return count
