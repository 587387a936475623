"""The access log: who read which record's history or trail, when, and why.

Every read of a case's history by a person is itself a fact an auditor must see,
but it is not a fact about the case: it lives in a stream of its own (one per
record read, hash-chained like every stream), in a store of its own, so page
views never queue behind the case's writes and never change the case's record.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.chain import ChainedAggregate

__all__ = ["AccessLog", "access_log_id"]


def access_log_id(record_id: UUID) -> UUID:
    """The access log of the record with aggregate id ``record_id``."""
    return uuid5(NAMESPACE_URL, f"qa-engine:access-log:{record_id}")


class AccessLog(ChainedAggregate):
    """The reads of one record (a review case, an audit, a plan, a concern)."""

    reads: ClassVar[int]

    class Event(ChainedAggregate.Event):
        class_version: ClassVar[int] = 1

    class Started(Event, ChainedAggregate.Created):
        """The first read of a record: which record this log is for."""

        record_id: str  # the record's aggregate id (a UUID, stored as its string)
        kind: str
        ref: str
        partnership: str

        def apply(self, aggregate: Any) -> None:
            aggregate.reads = 0
            super().apply(aggregate)

    class ReadRecorded(Event):
        """A person read the record's history or trail (``view``), for ``purpose``.

        ``as_at`` (the record as it stood at that recording time) and ``as_of``
        (what had happened by that date) say which past state was asked for.
        """

        actor: dict[str, Any]
        view: str
        purpose: str
        as_at: datetime | None
        as_of: date | None

        def apply(self, aggregate: Any) -> None:
            aggregate.reads += 1
            super().apply(aggregate)

    @classmethod
    def start(cls, *, record_id: UUID, kind: str, ref: str, partnership: str) -> AccessLog:
        log: AccessLog = cls._create(
            cls.Started,
            id=access_log_id(record_id),
            record_id=str(record_id),
            kind=kind,
            ref=ref,
            partnership=partnership,
        )
        return log

    def record_read(
        self,
        *,
        actor: dict[str, Any],
        view: str,
        purpose: str,
        as_at: datetime | None = None,
        as_of: date | None = None,
    ) -> None:
        self.trigger_event(
            self.ReadRecorded, actor=actor, view=view, purpose=purpose, as_at=as_at, as_of=as_of
        )
