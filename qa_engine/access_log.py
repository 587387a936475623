"""The access log service: records every read of a record's history, apart from it.

Each record read gets a stream of its own in the access store (``ACCESS_STORE``:
a table of its own on PostgreSQL, a file of its own on SQLite). Recording a read
never loads or appends to the record's own stream, so it cannot conflict with,
or queue behind, the record's writes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import RecordConflictError
from pydantic import BaseModel

from domain.access_log import AccessLog, access_log_id
from domain.errors import CaseNotFound
from qa_engine.recording import (
    RETRIES,
    HistoryEntry,
    VerifyResult,
    aggregates_in_log,
    topic_prefix,
    verify_stored,
)
from qa_engine.recording import verify_log as verify_whole_log
from qa_engine.store import ACCESS_STORE

__all__ = ["AccessEntry", "AccessLogService", "describe_read"]


class AccessEntry(BaseModel):
    """One recorded read, as auditors see it beside the record."""

    version: int
    recorded_at: datetime
    actor: dict[str, Any]
    view: str
    purpose: str
    as_at: datetime | None = None
    as_of: date | None = None


class AccessLogService(Application[UUID]):
    """Who read which record, when and why."""

    name = ACCESS_STORE

    def record_read(
        self,
        *,
        record_id: UUID,
        kind: str,
        ref: str,
        partnership: str,
        actor: dict[str, Any],
        view: str,
        purpose: str,
        as_at: datetime | None = None,
        as_of: date | None = None,
    ) -> AccessEntry:
        """Append one read to the record's access log (created on its first read)."""
        for _attempt in range(RETRIES):
            try:
                log: AccessLog = self.repository.get(access_log_id(record_id))
            except AggregateNotFoundError:
                log = AccessLog.start(
                    record_id=record_id, kind=kind, ref=ref, partnership=partnership
                )
            log.record_read(actor=actor, view=view, purpose=purpose, as_at=as_at, as_of=as_of)
            read = log.pending_events[-1]
            try:
                self.save(log)
            except RecordConflictError:
                continue  # another read of the same record landed first: reload and append
            return _entry(read)
        raise RuntimeError(f"could not record a read of {kind} {ref} after {RETRIES} conflicts")

    def reads_with_legacy(self, record_id: UUID, history: list[HistoryEntry]) -> list[AccessEntry]:
        """Every recorded read of a record: the reads earlier releases wrote into the
        record's own stream (``HistoryRead`` in its ``history``), then the access log's."""
        legacy = [
            AccessEntry(
                version=0,
                recorded_at=e.recorded_at,
                actor=e.actor,
                view="history",
                purpose=str(e.data.get("purpose", "")),
                as_at=e.data.get("as_at"),
            )
            for e in history
            if e.event == "HistoryRead"
        ]
        return legacy + self.reads(record_id)

    def reads(self, record_id: UUID) -> list[AccessEntry]:
        """Every recorded read of the record, oldest first ([] if never read)."""
        return [
            _entry(ev)
            for ev in self.events.get(access_log_id(record_id))
            if isinstance(ev, AccessLog.ReadRecorded)
        ]

    def verify(self, record_id: UUID, ref: str) -> VerifyResult | None:
        """Check the access log's chain (``None`` when the record was never read).

        Asks the ledger, not the events: a log whose every read was deleted still
        has its sealed rows, so it is reported, never taken for "never read"."""
        try:
            return verify_stored(self, access_log_id(record_id), f"{ref} (access log)", _no_ref)
        except CaseNotFound:
            return None

    def verify_all(self) -> list[VerifyResult]:
        """Check every access log's chain (found from the access store's own log)."""
        logs = aggregates_in_log(self, {topic_prefix(AccessLog): "access"})
        return [verify_stored(self, i, None, _log_name) for i in logs]

    def verify_log(self) -> VerifyResult:
        """Check the access store's whole notification log against its anchor: a read
        deleted (even every read of a record, or the newest ones) is reported."""
        return verify_whole_log(self, _log_name)


def _entry(ev: Any) -> AccessEntry:
    return AccessEntry(
        version=ev.originator_version,
        recorded_at=ev.timestamp,
        actor=ev.actor,
        view=ev.view,
        purpose=ev.purpose,
        as_at=ev.as_at,
        as_of=ev.as_of,
    )


def _no_ref(_first: dict[str, Any]) -> str | None:
    return None


def _log_name(first: dict[str, Any]) -> str | None:
    if first.get("ref"):
        return f"of {first.get('kind', '')} {first['ref']} ({first.get('partnership')})"
    return None


def describe_read(entry: AccessEntry) -> str:
    """A read in plain words, for the trail shown beside the record."""
    what = "Case history" if entry.view == "history" else "Audit trail"
    as_at = f" as it stood at {entry.as_at.isoformat()}" if entry.as_at else ""
    as_of = f" as of {entry.as_of.isoformat()}" if entry.as_of else ""
    return f"{what} read{as_at}{as_of} (purpose: {entry.purpose})"
