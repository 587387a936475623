"""The ledger: keyed, anchored tamper evidence for the event store, in the persistence layer.

Every stored event record gets a row in ``qa_ledger``, written in the SAME transaction
as the event insert (same database, same PostgreSQL schema)::

    record_mac = HMAC(key, "record/v1" | prev record_mac of the same stream
                           | originator_id | originator_version | topic | state bytes)
    log_mac    = HMAC(key, "log/v1" | prev log_mac | notification_id | record_mac)

``state bytes`` are exactly what the recorder stores (after transcoding, compression
and encryption), so checking needs no decoding, no upcasting and no domain classes: a
``class_version`` bump, an upcaster or a moved class never affects it, and with the
cipher on it checks ciphertext. ``log_mac`` chains the whole notification log, so a
deleted row (event and ledger row) breaks the chain where it was.

After each committed write the newest ``(notification_id, log_mac)`` is written to
an **anchor file** outside the database (``<data_dir>/ledger-anchor.json``), MACed,
replaced atomically and only moved forwards under a file lock, one entry per store
location and one per store identity (the first sealed row's log MAC, so a copy
restored elsewhere finds its anchor); ``verify`` compares the log's head with it, so
truncating the tail of the log (events and ledger rows) is detected.

A store written before the ledger existed (events, no ledger rows) is **adopted** on
first start: each stream's legacy hash chain (the domain's ``prev_hash``/``hash``,
recomputed here from the stored records with the legacy algorithm) is checked, every
record sealed in notification order, and the adoption (when, how many, legacy breaks)
recorded, MACed, in ``qa_ledger_meta``: all in one transaction, once.

The recorders are selected through ``PERSISTENCE_MODULE`` (``LedgerSQLiteFactory``,
``LedgerPostgresFactory``); ``qa_engine.store.store_env`` sets it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    Cipher,
    Compressor,
    InternalError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
    Transcoder,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteFactory
from pydantic import BaseModel

__all__ = [
    "LEDGER_TABLE",
    "META_TABLE",
    "Anchor",
    "AnchorError",
    "LedgerConfig",
    "LedgerPostgresFactory",
    "LedgerProblem",
    "LedgerRecorder",
    "LedgerSQLiteFactory",
    "LogCheck",
    "StreamCheck",
    "legacy_hash",
    "load_or_create_key",
    "log_mac",
    "record_mac",
]

LEDGER_TABLE = "qa_ledger"
META_TABLE = "qa_ledger_meta"
#: eventsourcing environment names (set by ``qa_engine.store.store_env``)
ENV_KEY, ENV_ANCHOR, ENV_LOCATION = "LEDGER_KEY", "LEDGER_ANCHOR", "LEDGER_LOCATION"

_log = logging.getLogger(__name__)

GENESIS = bytes(32)
_RECORD, _LOG = b"qa-engine/ledger/record/v1", b"qa-engine/ledger/log/v1"
_META, _ANCHOR = b"qa-engine/ledger/meta/v1", b"qa-engine/ledger/anchor/v1"
_ADOPTION = "adoption"
_BATCH = 1000


# ------------------------------------------------------------------------ MACs


def _frame(*parts: bytes) -> bytes:
    """Length-prefixed concatenation: no two field sequences frame to the same bytes."""
    return b"".join(len(p).to_bytes(8, "big") + p for p in parts)


def _hmac(key: bytes, *parts: bytes) -> bytes:
    return hmac.new(key, _frame(*parts), hashlib.sha256).digest()


def _oid(originator_id: Any) -> str:
    return str(originator_id)


def record_mac(
    key: bytes, prev: bytes, originator_id: Any, version: int, topic: str, state: bytes
) -> bytes:
    """The seal of one stored record, chained to its stream's previous seal."""
    return _hmac(
        key,
        _RECORD,
        prev,
        _oid(originator_id).encode(),
        str(version).encode(),
        topic.encode(),
        bytes(state),
    )


def log_mac(key: bytes, prev: bytes, notification_id: int, rmac: bytes) -> bytes:
    """The link of one record in the whole notification log."""
    return _hmac(key, _LOG, prev, str(notification_id).encode(), rmac)


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def _same(a: str | None, b: bytes) -> bool:
    return a is not None and hmac.compare_digest(a, b.hex())


# ------------------------------------------------------------------------- key


def load_or_create_key(path: Path, make: Callable[[], str] | None = None) -> str:
    """The key in ``path``; made once (mode 0600, by ``make``: a random token by
    default) when absent, atomically, so every process on one data directory ends up
    with the same key."""
    with contextlib.suppress(FileNotFoundError):
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write((make() if make is not None else secrets.token_urlsafe(32)) + "\n")
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(tmp, path)  # fails if another process made it first: theirs wins
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()


# ---------------------------------------------------------------------- anchor


class AnchorError(Exception):
    """The anchor file exists but is not one this key wrote (altered or foreign)."""


class Anchor:
    """``{location: (notification_id, log_mac)}`` in a MACed JSON file outside the database.

    Moved only forwards, under an exclusive file lock, by atomic replace."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path, self._key = path, key
        self._lock_path = path.with_name(path.name + ".lock")

    def _mac(self, stores: dict[str, Any]) -> str:
        return _hmac(self._key, _ANCHOR, _canonical(stores)).hex()

    def _load(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except ValueError as e:
            raise AnchorError(f"anchor file {self.path} is not readable: {e}") from None
        stores = doc.get("stores") if isinstance(doc, dict) else None
        if not isinstance(stores, dict) or not _same(
            doc.get("mac"), bytes.fromhex(self._mac(stores))
        ):
            raise AnchorError(f"anchor file {self.path} was altered (its MAC does not match)")
        return stores

    def read(self, location: str) -> tuple[int, str] | None:
        entry = self._load().get(location)
        return None if entry is None else (int(entry["notification_id"]), str(entry["log_mac"]))

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def advance(self, location: str | Sequence[str], notification_id: int, mac_hex: str) -> bool:
        """Move the anchor of ``location`` (or of each of several names of one store) to
        ``notification_id`` unless it is already there or further, in one write. An
        altered anchor file is left as it is (evidence), not advanced."""
        names = [location] if isinstance(location, str) else list(location)
        with self._locked():
            try:
                stores = self._load()
            except AnchorError:
                return False
            behind = [
                n
                for n in names
                if stores.get(n) is None or int(stores[n]["notification_id"]) < notification_id
            ]
            if not behind:
                return False
            for name in behind:
                stores[name] = {
                    "notification_id": notification_id,
                    "log_mac": mac_hex,
                    "at": datetime.now(UTC).isoformat(),
                }
            doc = {"version": 1, "stores": stores, "mac": self._mac(stores)}
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            with open(tmp, "w") as f:
                json.dump(doc, f, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
            return True


# ------------------------------------------------------------- legacy chains


_LEGACY_SKIP = frozenset({"hash", "prev_hash", "originator_id", "class_version"})
LEGACY_GENESIS = "0" * 64


def _legacy_default(o: Any) -> Any:
    if isinstance(o, datetime | date):
        return o.isoformat()
    if isinstance(o, UUID):
        return o.hex
    raise TypeError(f"cannot hash {type(o).__name__}")


def legacy_hash(prev_hash: str, topic: str, version: int, state: dict[str, Any]) -> str:
    """The previous release's per-event hash (``domain.chain.event_hash``), recomputed from
    a decoded stored state: the state plus ``originator_version``, minus the hash fields."""
    content = {k: v for k, v in state.items() if k not in _LEGACY_SKIP}
    content["originator_version"] = version
    body = json.dumps(content, sort_keys=True, separators=(",", ":"), default=_legacy_default)
    return hashlib.sha256(f"{prev_hash}|{topic}|{body}".encode()).hexdigest()


@dataclass
class _LegacyStream:
    expected: int = 1
    prev: str = LEGACY_GENESIS
    broken: bool = False


def _legacy_step(s: _LegacyStream, version: int, topic: str, state: Any) -> str | None:
    """Check one record of a legacy chain; the break's reason, or None."""
    if not isinstance(state, dict):
        return "cannot be decrypted or decoded: the stored record was altered"
    if "hash" not in state:
        return None  # not a chained event
    if version != s.expected:
        return f"expected version {s.expected}: a record is missing or moved"
    if state.get("prev_hash") != s.prev:
        return "does not follow its predecessor (deleted, reordered or edited)"
    if legacy_hash(s.prev, topic, version, state) != state.get("hash"):
        return "content does not match its hash (edited)"
    s.prev, s.expected = str(state["hash"]), version + 1
    return None


# --------------------------------------------------------------------- results


class LedgerProblem(BaseModel):
    """One thing wrong, with where it is."""

    kind: str  # edited | deleted | unsealed | gap | truncated | rewritten | legacy | anchor | meta
    message: str
    originator_id: str | None = None
    version: int | None = None
    notification_id: int | None = None


class StreamCheck(BaseModel):
    originator_id: str
    records: int
    sealed: int
    problems: list[LedgerProblem] = []


class LogCheck(BaseModel):
    records: int
    sealed: int
    head: int | None
    anchor: int | None
    problems: list[LedgerProblem] = []
    notes: list[str] = []


@dataclass
class LedgerConfig:
    key: bytes
    location: str
    anchor: Anchor | None
    decode: Callable[[bytes], Any]
    adopt: bool = True


@dataclass
class _Row:
    notification_id: int
    originator_id: str
    version: int
    record_mac: str
    log_mac: str


class _Local(threading.local):
    """The head sealed by this thread's current insert, for the anchor after commit."""

    head: tuple[int, str] | None = None


# -------------------------------------------------------------------- recorder


class LedgerRecorder(ApplicationRecorder):
    """What both ledger recorders add to eventsourcing's application recorders."""

    ledger: LedgerConfig
    events_table_name: str
    datastore: Any
    _local: _Local
    _pg: bool

    # dialect ------------------------------------------------------------------

    @property
    def ledger_table(self) -> str:
        """``qa_ledger`` beside the main events table; ``<prefix>_ledger`` beside any
        other (the access log's ``qa_access_events`` shares the PostgreSQL schema)."""
        if self.events_table_name in ("stored_events", "qa_engine_events"):
            return LEDGER_TABLE
        return self.events_table_name.removesuffix("_events") + "_ledger"

    @property
    def meta_table(self) -> str:
        return self.ledger_table + "_meta"

    def _t(self, name: str) -> str:
        if self._pg:
            return f'"{self.datastore.schema}"."{name}"'
        return name

    def _sql(self, sql: str) -> str:
        sql = sql.format(
            ledger=self._t(self.ledger_table),
            meta=self._t(self.meta_table),
            events=self._t(self.events_table_name),
            nid="notification_id" if self._pg else "rowid",
        )
        return sql.replace("?", "%s") if self._pg else sql

    def _exec(self, c: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        c.execute(self._sql(sql), tuple(params))
        return c

    def _ledger_ddl(self) -> list[str]:
        big = "bigint" if self._pg else "INTEGER"
        return [
            f"CREATE TABLE IF NOT EXISTS {{ledger}} (notification_id {big} PRIMARY KEY, "
            f"originator_id TEXT NOT NULL, originator_version {big} NOT NULL, "
            "record_mac TEXT NOT NULL, log_mac TEXT NOT NULL)",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {self.ledger_table}_stream "
            "ON {ledger} (originator_id, originator_version)",
            "CREATE TABLE IF NOT EXISTS {meta} (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ]

    def _db_oid(self, originator_id: Any) -> Any:
        """An originator id as the events table holds it (SQLite: hex text)."""
        if self._pg:
            return originator_id
        return originator_id.hex if isinstance(originator_id, UUID) else originator_id

    # writes -------------------------------------------------------------------

    def _seal(self, c: Any, stored_events: Sequence[StoredEvent], ids: Sequence[int]) -> None:
        """Write the ledger rows of ``stored_events`` (inserted just now, in this
        transaction, as ``ids``). Inserts are serialised by the event table's write lock
        (SQLite's database write lock, PostgreSQL's EXCLUSIVE table lock), taken by the
        event insert before this runs, so the head read here is the log's head."""
        key = self.ledger.key
        head = self._exec(
            c,
            "SELECT notification_id, log_mac FROM {ledger} ORDER BY notification_id DESC LIMIT 1",
        ).fetchone()
        prev_log = bytes.fromhex(head["log_mac"]) if head else GENESIS
        pairs = sorted(zip(ids, stored_events, strict=True), key=lambda p: p[0])
        if head is not None and int(head["notification_id"]) >= pairs[0][0]:
            raise ProgrammingError(
                f"the ledger is ahead of the event log (ledger head {head['notification_id']}, "
                f"new record {pairs[0][0]}): records were deleted; run `qa-engine verify`"
            )
        prev_of: dict[str, bytes] = {}
        rows = []
        for nid, ev in pairs:
            oid = _oid(ev.originator_id)
            prev = prev_of.get(oid)
            if prev is None:
                found = self._exec(
                    c,
                    "SELECT record_mac FROM {ledger} WHERE originator_id = ? "
                    "AND originator_version < ? ORDER BY originator_version DESC LIMIT 1",
                    (oid, ev.originator_version),
                ).fetchone()
                prev = bytes.fromhex(found["record_mac"]) if found else GENESIS
            rmac = record_mac(key, prev, oid, ev.originator_version, ev.topic, ev.state)
            prev_log = log_mac(key, prev_log, nid, rmac)
            prev_of[oid] = rmac
            rows.append((nid, oid, ev.originator_version, rmac.hex(), prev_log.hex()))
        c.executemany(
            self._sql("INSERT INTO {ledger} VALUES (?, ?, ?, ?, ?)"), [tuple(r) for r in rows]
        )
        self._local.head = (pairs[-1][0], prev_log.hex())

    def _advance_anchor(self) -> None:
        """After commit: never raise (the write is done); a missed advance only leaves the
        anchor behind, which the next write or ``verify`` tolerates.

        The anchor is kept under the store's identity (``_identity``: the same for a
        copy restored or moved elsewhere) and under its location (which also covers a
        store emptied completely, when no identity is left to look up)."""
        head, self._local.head = self._local.head, None
        if head is not None and self.ledger.anchor is not None:
            try:
                names = [self.ledger.location]
                identity = self._identity_cached()
                if identity is not None:
                    names.append(identity)
                self.ledger.anchor.advance(names, *head)
            except (OSError, InternalError, OperationalError) as e:
                _log.warning("ledger anchor not advanced: %s", e)

    def _identity(self) -> str | None:
        """The store's name in the anchor file: its first sealed row's log MAC (keyed,
        written once, never changed: the same wherever a copy of the store lives);
        ``None`` while nothing is sealed."""
        with self.datastore.transaction(commit=False) as c:
            row = self._exec(
                c, "SELECT log_mac FROM {ledger} ORDER BY notification_id LIMIT 1"
            ).fetchone()
        return None if row is None else f"store:{str(row['log_mac'])[:32]}"

    def _identity_cached(self) -> str | None:
        identity: str | None = getattr(self, "_identity_memo", None)
        if identity is None:
            identity = self._identity()
            self._identity_memo = identity
        return identity

    # adoption -----------------------------------------------------------------

    def _meta_mac(self, value: dict[str, Any]) -> str:
        return _hmac(self.ledger.key, _META, _canonical(value)).hex()

    def _write_lock(self, c: Any) -> None:
        """Take the event store's write lock now (before reading), as an insert would."""
        if self._pg:
            self._exec(c, "LOCK TABLE {events} IN EXCLUSIVE MODE")
        else:  # any write statement takes SQLite's RESERVED lock
            self._exec(c, "DELETE FROM {meta} WHERE name = ?", ("-lock-",))

    def _create_ledger(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            for statement in self._ledger_ddl():
                self._exec(c, statement)
        if self.ledger.adopt:
            self._adopt()

    def _adopt(self) -> None:
        """Seal a store written before the ledger existed, once (idempotent)."""
        with self.datastore.transaction(commit=False) as c:
            if self._exec(c, "SELECT 1 FROM {meta} WHERE name = ?", (_ADOPTION,)).fetchone():
                return  # the usual start: nothing to do, nothing locked
        self._local.head = None
        with self.datastore.transaction(commit=True) as c:
            self._write_lock(c)
            if self._exec(c, "SELECT 1 FROM {meta} WHERE name = ?", (_ADOPTION,)).fetchone():
                return  # another process adopted first
            if self._exec(c, "SELECT 1 FROM {ledger} LIMIT 1").fetchone():
                return  # ledger rows but no adoption record: altered; verify reports it
            key = self.ledger.key
            prev_log, prev_of, legacy = GENESIS, dict[str, bytes](), dict[str, _LegacyStream]()
            breaks: list[dict[str, Any]] = []
            count, last = 0, 0
            while batch := self._exec(
                c,
                "SELECT {nid} AS nid, originator_id, originator_version, topic, state "
                "FROM {events} WHERE {nid} > ? ORDER BY {nid} LIMIT ?",
                (last, _BATCH),
            ).fetchall():
                rows = []
                for r in batch:
                    nid, oid = int(r["nid"]), _oid(self._uuid(r["originator_id"]))
                    version, topic, state = (
                        int(r["originator_version"]),
                        r["topic"],
                        bytes(r["state"]),
                    )
                    stream = legacy.setdefault(oid, _LegacyStream())
                    if not stream.broken:
                        reason = _legacy_step(stream, version, topic, self._decoded(state))
                        if reason is not None:
                            stream.broken = True
                            breaks.append(
                                {
                                    "originator_id": oid,
                                    "version": version,
                                    "notification_id": nid,
                                    "reason": reason,
                                }
                            )
                    rmac = record_mac(key, prev_of.get(oid, GENESIS), oid, version, topic, state)
                    prev_log = log_mac(key, prev_log, nid, rmac)
                    prev_of[oid] = rmac
                    rows.append((nid, oid, version, rmac.hex(), prev_log.hex()))
                    last = nid
                c.executemany(self._sql("INSERT INTO {ledger} VALUES (?, ?, ?, ?, ?)"), rows)
                count += len(rows)
            value = {
                "at": datetime.now(UTC).isoformat(),
                "records": count,
                "head": last,
                "legacy_breaks": breaks,
            }
            doc = json.dumps({"value": value, "mac": self._meta_mac(value)})
            self._exec(c, "INSERT INTO {meta} (name, value) VALUES (?, ?)", (_ADOPTION, doc))
            if count:
                self._local.head = (last, prev_log.hex())
        self._advance_anchor()

    def adoption(self) -> dict[str, Any] | None:
        """What adoption recorded (``None`` if absent); raises ``ValueError`` if altered."""
        with self.datastore.transaction(commit=False) as c:
            row = self._exec(c, "SELECT value FROM {meta} WHERE name = ?", (_ADOPTION,)).fetchone()
        if row is None:
            return None
        doc = json.loads(row["value"])
        value = doc.get("value")
        if not isinstance(value, dict) or not _same(
            doc.get("mac"), bytes.fromhex(self._meta_mac(value))
        ):
            raise ValueError("the ledger's adoption record was altered (its MAC does not match)")
        return value

    # reads --------------------------------------------------------------------

    def _uuid(self, raw: Any) -> Any:
        if isinstance(raw, UUID):
            return raw
        try:
            return UUID(str(raw))
        except ValueError:
            return raw

    def _decoded(self, state: bytes) -> Any:
        try:
            return self.ledger.decode(state)
        except Exception:  # undecodable: reported by the caller
            return None

    def decode_state(self, state: bytes) -> dict[str, Any] | None:
        """A stored state decoded with the transcoder (and cipher), no domain classes."""
        decoded = self._decoded(state)
        return decoded if isinstance(decoded, dict) else None

    def _rows(self, c: Any, where: str, params: Sequence[Any]) -> list[_Row]:
        return [
            _Row(
                int(r["notification_id"]),
                str(r["originator_id"]),
                int(r["originator_version"]),
                str(r["record_mac"]),
                str(r["log_mac"]),
            )
            for r in self._exec(
                c,
                "SELECT notification_id, originator_id, originator_version, record_mac, "
                f"log_mac FROM {{ledger}} {where}",
                params,
            ).fetchall()
        ]

    def _legacy_problems(self, originator_id: str | None) -> list[LedgerProblem]:
        try:
            adopted = self.adoption()
        except ValueError as e:
            return [LedgerProblem(kind="meta", message=str(e))]
        if adopted is None:
            return []
        return [
            LedgerProblem(
                kind="legacy",
                message=f"record {b['version']}: {b['reason']} (found by the legacy hash chain "
                f"when the ledger adopted this store on {str(adopted['at'])[:10]})",
                originator_id=b["originator_id"],
                version=b["version"],
                notification_id=b.get("notification_id"),
            )
            for b in adopted.get("legacy_breaks", [])
            if originator_id is None or b["originator_id"] == originator_id
        ]

    def _check_record(
        self, ev: StoredEvent, row: _Row, prev: bytes, problems: list[LedgerProblem]
    ) -> None:
        oid = _oid(ev.originator_id)
        expected = record_mac(self.ledger.key, prev, oid, ev.originator_version, ev.topic, ev.state)
        if _same(row.record_mac, expected):
            return
        why = "does not match its ledger seal (edited, moved or replaced)"
        if self.decode_state(ev.state) is None:
            why = "cannot be decrypted or decoded: the stored record was altered (edited)"
        problems.append(
            LedgerProblem(
                kind="edited",
                message=f"record {ev.originator_version} "
                f"(notification {row.notification_id}) {why}",
                originator_id=oid,
                version=ev.originator_version,
                notification_id=row.notification_id,
            )
        )

    def verify_stream(self, originator_id: Any) -> StreamCheck:
        """Check one stream's stored records against their ledger rows."""
        oid = _oid(originator_id)
        events = list(self.select_events(originator_id))  # events first, then ledger rows
        with self.datastore.transaction(commit=False) as c:
            rows = self._rows(c, "WHERE originator_id = ? ORDER BY originator_version", (oid,))
        problems: list[LedgerProblem] = []
        by_version = {r.version: r for r in rows}
        event_of = {e.originator_version: e for e in events}
        prev, expected_version = GENESIS, 1
        for version in sorted(set(by_version) | set(event_of)):
            row, ev = by_version.get(version), event_of.get(version)
            gap = version > expected_version
            if gap:
                missing = (
                    f"record {expected_version}"
                    if version == expected_version + 1
                    else f"records {expected_version} to {version - 1}"
                )
                problems.append(
                    LedgerProblem(
                        kind="deleted",
                        message=f"{missing} missing: deleted with its ledger row "
                        f"(found at record {version})",
                        originator_id=oid,
                        version=expected_version,
                    )
                )
            if row is None:
                assert ev is not None
                problems.append(
                    LedgerProblem(
                        kind="unsealed",
                        message=f"record {version} has no ledger row: "
                        "inserted behind the ledger's back",
                        originator_id=oid,
                        version=version,
                    )
                )
            elif ev is None:
                problems.append(
                    LedgerProblem(
                        kind="deleted",
                        message=f"record {version} (notification {row.notification_id}) "
                        "was deleted: its ledger row has no event",
                        originator_id=oid,
                        version=version,
                        notification_id=row.notification_id,
                    )
                )
            elif not gap:
                self._check_record(ev, row, prev, problems)
            if row is not None:
                prev = bytes.fromhex(row.record_mac)
            expected_version = version + 1
        problems.extend(self._legacy_problems(oid))
        return StreamCheck(
            originator_id=oid, records=len(events), sealed=len(rows), problems=problems
        )

    def _events_after(self, after: int, limit: int) -> list[tuple[int, StoredEvent]]:
        with self.datastore.transaction(commit=False) as c:
            rows = self._exec(
                c,
                "SELECT {nid} AS nid, originator_id, originator_version, topic, state "
                "FROM {events} WHERE {nid} > ? ORDER BY {nid} LIMIT ?",
                (after, limit),
            ).fetchall()
        return [
            (
                int(r["nid"]),
                StoredEvent(
                    originator_id=self._uuid(r["originator_id"]),
                    originator_version=int(r["originator_version"]),
                    topic=r["topic"],
                    state=bytes(r["state"]),
                ),
            )
            for r in rows
        ]

    def verify_log(self) -> LogCheck:
        """Check the whole notification log: every record against its seal, the log
        chain, rows without events and events without rows, and the head against the anchor."""
        problems: list[LedgerProblem] = []
        notes: list[str] = []
        anchor: tuple[int, str] | None = None
        if self.ledger.anchor is not None:  # the anchor first: it only ever trails the log
            try:
                identity = self._identity()
                anchor = (
                    self.ledger.anchor.read(identity) if identity is not None else None
                ) or self.ledger.anchor.read(self.ledger.location)
            except AnchorError as e:
                problems.append(LedgerProblem(kind="anchor", message=str(e)))
        with self.datastore.transaction(commit=False) as c:
            top = self._exec(c, "SELECT MAX(notification_id) AS m FROM {ledger}").fetchone()
        start_head = int(top["m"]) if top and top["m"] is not None else 0

        key = self.ledger.key
        prev_log, prev_row_id = GENESIS, None
        streams: dict[str, tuple[int, bytes]] = {}  # oid -> (last version, last record_mac)
        anchor_row: _Row | None = None
        records = sealed = 0
        last_row_id: int | None = None
        cursor = 0

        def check_row(row: _Row, ev: StoredEvent | None) -> None:
            nonlocal prev_log, prev_row_id, sealed, anchor_row, last_row_id
            sealed += 1
            last_row_id = row.notification_id
            if anchor is not None and row.notification_id == anchor[0]:
                anchor_row = row
            expected = log_mac(key, prev_log, row.notification_id, bytes.fromhex(row.record_mac))
            if not _same(row.log_mac, expected):
                where = (
                    f"between notifications {prev_row_id} and {row.notification_id}"
                    if prev_row_id is not None
                    else f"before notification {row.notification_id}"
                )
                problems.append(
                    LedgerProblem(
                        kind="gap",
                        message=f"the log chain breaks {where}: the record {where} is missing "
                        f"(deleted with its ledger row), or the ledger row at "
                        f"{row.notification_id} was rewritten",
                        originator_id=row.originator_id,
                        version=row.version,
                        notification_id=row.notification_id,
                    )
                )
            prev_log, prev_row_id = bytes.fromhex(row.log_mac), row.notification_id
            last_version, prev = streams.get(row.originator_id, (0, GENESIS))
            if row.version != last_version + 1:
                problems.append(
                    LedgerProblem(
                        kind="deleted",
                        message=f"record {last_version + 1} missing from its stream: deleted "
                        f"with its ledger row (found at record {row.version}, notification "
                        f"{row.notification_id})",
                        originator_id=row.originator_id,
                        version=last_version + 1,
                        notification_id=row.notification_id,
                    )
                )
            elif ev is not None:
                if (_oid(ev.originator_id), ev.originator_version) != (
                    row.originator_id,
                    row.version,
                ):
                    problems.append(
                        LedgerProblem(
                            kind="edited",
                            message=f"notification {row.notification_id} holds record "
                            f"{ev.originator_version} of {ev.originator_id}, but the ledger "
                            f"sealed record {row.version} of {row.originator_id} there (moved)",
                            originator_id=row.originator_id,
                            version=row.version,
                            notification_id=row.notification_id,
                        )
                    )
                else:
                    self._check_record(ev, row, prev, problems)
            if ev is None:
                problems.append(
                    LedgerProblem(
                        kind="deleted",
                        message=f"record {row.version} (notification {row.notification_id}) "
                        "was deleted: its ledger row has no event",
                        originator_id=row.originator_id,
                        version=row.version,
                        notification_id=row.notification_id,
                    )
                )
            streams[row.originator_id] = (row.version, bytes.fromhex(row.record_mac))

        while True:
            # events first, then the ledger rows up to the last of them: a record and its
            # ledger row commit together, so every event read has its row visible.
            events = self._events_after(cursor, _BATCH)
            upto = events[-1][0] if events else start_head
            with self.datastore.transaction(commit=False) as c:
                rows = self._rows(
                    c,
                    "WHERE notification_id > ? AND notification_id <= ? ORDER BY notification_id",
                    (cursor, upto),
                )
            by_id = {r.notification_id: r for r in rows}
            event_of = dict(events)
            for nid in sorted(set(by_id) | set(event_of)):
                row, ev = by_id.get(nid), event_of.get(nid)
                if ev is not None:
                    records += 1
                if row is not None:
                    check_row(row, ev)
                elif ev is not None:
                    problems.append(
                        LedgerProblem(
                            kind="unsealed",
                            message=f"record {ev.originator_version} (notification {nid}) has "
                            "no ledger row: inserted behind the ledger's back",
                            originator_id=_oid(ev.originator_id),
                            version=ev.originator_version,
                            notification_id=nid,
                        )
                    )
            if not events:
                break
            cursor = upto

        head = last_row_id
        if anchor is not None:
            if head is None or anchor[0] > head:
                problems.append(
                    LedgerProblem(
                        kind="truncated",
                        message=f"log truncated: anchor at notification {anchor[0]}, "
                        f"log ends at {head or 0}",
                        notification_id=anchor[0],
                    )
                )
            elif anchor_row is not None and not _same(anchor_row.log_mac, bytes.fromhex(anchor[1])):
                problems.append(
                    LedgerProblem(
                        kind="rewritten",
                        message=f"the ledger was rewritten: its row at notification {anchor[0]} "
                        "does not match the anchor",
                        notification_id=anchor[0],
                    )
                )
        elif self.ledger.anchor is not None and head is not None and not problems:
            notes.append(
                f"no anchor for this store in {self.ledger.anchor.path}: "
                "truncation of the log's tail cannot be checked here"
            )
        try:
            if self.adoption() is None and sealed:
                problems.append(
                    LedgerProblem(kind="meta", message="the ledger's adoption record was deleted")
                )
        except ValueError:
            pass  # reported by _legacy_problems
        problems.extend(self._legacy_problems(None))
        return LogCheck(
            records=records,
            sealed=sealed,
            head=head,
            anchor=anchor[0] if anchor else None,
            problems=problems,
            notes=notes,
        )


class LedgerSQLiteRecorder(LedgerRecorder, SQLiteApplicationRecorder):
    """SQLite: ledger rows written by ``_insert_events``, inside the insert's transaction."""

    def __init__(self, datastore: Any, *, ledger: LedgerConfig) -> None:
        SQLiteApplicationRecorder.__init__(self, datastore)
        self.ledger, self._local, self._pg = ledger, _Local(), False

    def create_table(self) -> None:
        super().create_table()
        self._create_ledger()

    def _insert_events(
        self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        if stored_events and ids:
            self._seal(c, stored_events, ids)
        return ids

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        self._local.head = None
        ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        self._advance_anchor()  # committed: move the anchor forwards
        return ids


class LedgerPostgresRecorder(LedgerRecorder, PostgresApplicationRecorder):
    """PostgreSQL: ledger rows written once the insert's notification ids are known,
    inside its transaction (after the EXCLUSIVE table lock)."""

    def __init__(self, datastore: Any, *, events_table_name: str, ledger: LedgerConfig) -> None:
        PostgresApplicationRecorder.__init__(self, datastore, events_table_name=events_table_name)
        self.ledger, self._local, self._pg = ledger, _Local(), True

    def create_table(self) -> None:
        super().create_table()
        self._create_ledger()

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if stored_events and ids:
            self._seal(curs, stored_events, ids)
        return ids

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if self.datastore.enable_db_functions:
            raise ProgrammingError("the ledger needs POSTGRES_ENABLE_DB_FUNCTIONS off")
        self._local.head = None
        ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        self._advance_anchor()
        return ids


# ------------------------------------------------------------------- factories


def _decoder(
    transcoder: Transcoder, cipher: Cipher | None, compressor: Compressor | None
) -> Callable[[bytes], Any]:
    def decode(state: bytes) -> Any:
        if cipher is not None:
            state = cipher.decrypt(state)
        if compressor is not None:
            state = compressor.decompress(state)
        return transcoder.decode(state)

    return decode


def _config(factory: Any) -> LedgerConfig:
    env = factory.env
    key_text = env.get(ENV_KEY) or ""
    if not key_text:
        raise ProgrammingError(f"the ledger needs {ENV_KEY} (see qa_engine.store.store_env)")
    key = key_text.encode()
    anchor_path = env.get(ENV_ANCHOR) or ""
    return LedgerConfig(
        key=key,
        location=env.get(ENV_LOCATION) or "",
        anchor=Anchor(Path(anchor_path), key) if anchor_path else None,
        decode=_decoder(factory.transcoder(), factory.cipher(), factory.compressor()),
        adopt=(env.get("LEDGER_ADOPT") or "y").lower() not in ("n", "no", "0", "false"),
    )


#: how many times a process starting up retries creating the tables
CREATE_ATTEMPTS = 8


def _create_tables(recorder: Any) -> None:
    """``CREATE ... IF NOT EXISTS`` as several processes start at once: PostgreSQL can
    refuse a concurrent catalog update ("tuple concurrently updated") and SQLite a
    schema change while another writer holds the lock ("database is locked"). Both
    are transient and the statements idempotent: retry with a jittered backoff."""
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            recorder.create_table()
            return
        except (InternalError, OperationalError):
            if attempt == CREATE_ATTEMPTS:
                raise
            time.sleep(random.uniform(0, 0.05 * 2**attempt))


class LedgerSQLiteFactory(SQLiteFactory):
    """eventsourcing's SQLite factory, with the ledger recorder."""

    def application_recorder(self) -> ApplicationRecorder:
        recorder = LedgerSQLiteRecorder(datastore=self.datastore, ledger=_config(self))
        if self.env_create_table():
            _create_tables(recorder)
        return recorder


class LedgerPostgresFactory(PostgresFactory):
    """eventsourcing's PostgreSQL factory, with the ledger recorder."""

    def application_recorder(self) -> ApplicationRecorder:
        prefix = self.env.name.lower() or "stored"
        recorder = LedgerPostgresRecorder(
            datastore=self.datastore, events_table_name=prefix + "_events", ledger=_config(self)
        )
        if self.env_create_table():
            _create_tables(recorder)
        return recorder
