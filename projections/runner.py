"""The projection runner: notification log → read-model tables, exactly once.

For each projection the runner reads the next batch of notifications after the
projection's tracking position (in bulk, straight from the recorder: the SQLite
recorder has no subscriptions and ``LocalNotificationLog`` caps a read at 10),
decodes them with the application's mapper, and then in ONE transaction

1. moves the tracking position from where it was read to the batch's last id
   (``UPDATE ... WHERE position = <expected>``: a second runner that read the same
   batch finds nothing to update and rolls back), and
2. writes the batch's view rows.

A crash anywhere before the commit leaves both untouched; after it, both are
written. So no event is lost or counted twice, and a restart resumes from the
tracked position. ``rebuild`` resets a projection's rows and position to zero in
one transaction and catches up again.

Projections at the same position that declare the same ``share_key`` are applied
together: one read and decode of the batch, ONE transaction moving every
position and writing every view, and ``apply_together`` folding each event once
for all of them (``projections.views``: the three read models share one fold).
``rebuild_all`` resets several at once so a full rebuild is one shared pass.

``run_forever`` on PostgreSQL does not wait out its poll interval: a trigger on the
events table notifies a channel after every insert (LISTEN/NOTIFY; no row is
written), so the views follow an append within moments. Polling stays as the
fallback (SQLite; or if the trigger cannot be made) and as a backstop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from projections.db import Cursor, ViewDB

if TYPE_CHECKING:  # a reader of views alone never loads the application layer
    from eventsourcing.application import Application

__all__ = [
    "Notified",
    "PositionConflict",
    "Projection",
    "ProjectionRunner",
    "ProjectionStatus",
]


class _Log:
    """structlog's logger, imported on first use: a process that only reads the views
    (``qa-engine oversight --no-catch-up``) never logs, nor imports structlog."""

    def __getattr__(self, name: str) -> Any:
        import structlog

        return getattr(structlog.get_logger("projections"), name)


log = _Log()

TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS {projection_tracking} ("
    "projection TEXT PRIMARY KEY, position BIGINT NOT NULL, updated_at TEXT NOT NULL)"
)
SCHEMA_DDL = (
    "CREATE TABLE IF NOT EXISTS {projection_schema} ("
    "projection TEXT PRIMARY KEY, version INTEGER NOT NULL)"
)


@dataclass(frozen=True)
class Notified:
    """One decoded notification: its position in the log and its domain event."""

    id: int
    topic: str
    originator_id: str
    version: int
    event: Any


class PositionConflict(RuntimeError):
    """Another runner moved the projection's position first; this batch is discarded."""


class Projection(ABC):
    """One read model. ``apply`` runs inside the runner's transaction."""

    name: str
    ddl: tuple[str, ...] = ()
    #: the tables this projection owns (dropped when its ``schema`` changes)
    tables: tuple[str, ...] = ()
    #: bump when the tables' shape changes: the runner drops them and rebuilds
    #: the view from the event log (views are derived data; the log is the record)
    schema: int = 1

    def setup(self, cur: Cursor) -> None:
        for statement in self.ddl:
            cur.execute(statement)

    @abstractmethod
    def reset(self, cur: Cursor) -> None:
        """Delete every row this projection wrote."""

    def forget(self, cur: Cursor) -> None:  # noqa: B027 - most projections keep none
        """Drop private state kept outside ``tables`` (before a schema rebuild)."""

    @abstractmethod
    def apply(self, cur: Cursor, batch: Sequence[Notified]) -> None:
        """Write the view rows for ``batch`` (in log order)."""

    def share_key(self) -> Hashable | None:
        """Projections with the same key can be applied together (``apply_together``);
        ``None``: this one always runs on its own."""
        return None

    @classmethod
    def apply_together(
        cls, cur: Cursor, projections: Sequence[Projection], batch: Sequence[Notified]
    ) -> None:
        """Write the view rows of every one of ``projections`` (same ``share_key``)."""
        for p in projections:
            p.apply(cur, batch)


class ProjectionStatus(BaseModel):
    name: str
    position: int
    head: int
    lag: int
    updated_at: datetime | None


class ProjectionRunner:
    """Keeps ``projections`` up to date with ``app``'s notification log."""

    def __init__(
        self, app: Application[Any], projections: Sequence[Projection], *, batch_size: int = 500
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.app = app
        self.db = ViewDB(app)
        self.projections = {p.name: p for p in projections}
        self.batch_size = batch_size
        self._last_read: tuple[int, list[Notified]] | None = None
        self.setup()

    # ------------------------------------------------------------------ tables

    def setup(self) -> None:
        """Create the tracking table and each projection's tables (idempotent)."""
        now = _now()
        with self.db.transaction() as cur:
            cur.execute(TRACKING_DDL)
            cur.execute(SCHEMA_DDL)
            for p in self.projections.values():
                self._migrate(cur, p, now)
                p.setup(cur)
                cur.execute(
                    "INSERT INTO {projection_tracking} (projection, position, updated_at) "
                    "VALUES (?, 0, ?) ON CONFLICT (projection) DO NOTHING",
                    (p.name, now),
                )

    def _migrate(self, cur: Cursor, p: Projection, now: str) -> None:
        """A view whose table shape changed is dropped and rebuilt from the log."""
        row = cur.execute(
            "SELECT version FROM {projection_schema} WHERE projection = ?", (p.name,)
        ).fetchone()
        tracked = cur.execute(
            "SELECT position FROM {projection_tracking} WHERE projection = ?", (p.name,)
        ).fetchone()
        # a view built before versions were recorded is version 1
        stored = int(row["version"]) if row else (1 if tracked else p.schema)
        if stored != p.schema:
            for table in p.tables:
                cur.execute(f"DROP TABLE IF EXISTS {{{table}}}")
            p.forget(cur)
            cur.execute(
                "UPDATE {projection_tracking} SET position = 0, updated_at = ? "
                "WHERE projection = ?",
                (now, p.name),
            )
        cur.execute(
            "INSERT INTO {projection_schema} (projection, version) VALUES (?, ?) "
            "ON CONFLICT (projection) DO UPDATE SET version = excluded.version",
            (p.name, p.schema),
        )

    # ---------------------------------------------------------------- running

    def position(self, name: str) -> int:
        with self.db.read() as cur:
            row = cur.execute(
                "SELECT position FROM {projection_tracking} WHERE projection = ?", (name,)
            ).fetchone()
        return int(row["position"]) if row else 0

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def run_batch(self, name: str) -> int:
        """Process the next batch for one projection; return how many events it covered."""
        projection = self.projections[name]
        start = self.position(name)
        batch = self._read(start)
        if not batch:
            return 0
        with self.db.transaction() as cur:
            moved = cur.execute(
                "UPDATE {projection_tracking} SET position = ?, updated_at = ? "
                "WHERE projection = ? AND position = ? RETURNING position",
                (batch[-1].id, _now(), name, start),
            ).fetchone()
            if moved is None:
                raise PositionConflict(f"{name}: position moved from {start} by another runner")
            projection.apply(cur, batch)
        return len(batch)

    def run_shared_batch(self, names: Sequence[str], start: int) -> int:
        """The next batch for projections all at ``start`` (same ``share_key``): read and
        decoded once, applied together in ONE transaction with every position moved."""
        if len(names) == 1:
            return self.run_batch(names[0])
        batch = self._read(start)
        if not batch:
            return 0
        projections = [self.projections[n] for n in names]
        with self.db.transaction() as cur:
            now = _now()
            for name in names:
                moved = cur.execute(
                    "UPDATE {projection_tracking} SET position = ?, updated_at = ? "
                    "WHERE projection = ? AND position = ? RETURNING position",
                    (batch[-1].id, now, name, start),
                ).fetchone()
                if moved is None:
                    raise PositionConflict(f"{name}: position moved from {start} by another runner")
            type(projections[0]).apply_together(cur, projections, batch)
        return len(batch)

    def _groups(self, names: Sequence[str]) -> list[tuple[int, list[str]]]:
        """``names`` grouped by position and ``share_key`` (unshareable ones alone)."""
        with self.db.read() as cur:
            rows = cur.execute("SELECT projection, position FROM {projection_tracking}").fetchall()
        positions = {r["projection"]: int(r["position"]) for r in rows}
        groups: dict[tuple[int, Hashable], list[str]] = {}
        for name in names:
            key = self.projections[name].share_key()
            pos = positions.get(name, 0)
            groups.setdefault((pos, name if key is None else ("shared", key)), []).append(name)
        return [(pos, group) for (pos, _), group in groups.items()]

    def catch_up(
        self,
        names: Sequence[str] | None = None,
        *,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> int:
        """Run batches until every named projection reaches the head; return events covered
        (counted once per projection)."""
        total = 0
        # Round robin, one batch per group: projections at the same position share one
        # read and decode of the batch, and those that can, one fold and transaction.
        pending = list(names or self.projections)
        while pending:
            for start, group in self._groups(pending):
                try:
                    n = self.run_shared_batch(group, start)
                except PositionConflict:
                    continue  # someone else advanced it: read on from the new position
                if n == 0:
                    for name in group:
                        pending.remove(name)
                    continue
                total += n * len(group)
                if progress is not None:
                    head = self.head()
                    for name in group:
                        progress(name, self.position(name), head)
        self._last_read = None
        return total

    def rebuild(self, name: str, *, progress: Callable[[str, int, int], None] | None = None) -> int:
        """Rows and position back to zero in one transaction, then catch up from the start."""
        return self.rebuild_all([name], progress=progress)

    def rebuild_all(
        self,
        names: Sequence[str] | None = None,
        *,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> int:
        """Every named projection (default: all) back to zero in ONE transaction, then
        caught up together: a full rebuild reads, decodes and folds the log once."""
        names = self.reset_all(names)
        return self.catch_up(names, progress=progress)

    def reset_all(self, names: Sequence[str] | None = None) -> list[str]:
        """Every named projection (default: all) back to zero, in ONE transaction: no
        rows, position 0 (``rebuild_all`` then catches them up)."""
        names = list(names or self.projections)
        with self.db.transaction() as cur:
            for name in names:
                self.projections[name].reset(cur)
                cur.execute(
                    "UPDATE {projection_tracking} SET position = 0, updated_at = ? "
                    "WHERE projection = ?",
                    (_now(), name),
                )
        self._last_read = None
        return names

    def status(self) -> list[ProjectionStatus]:
        head = self.head()
        with self.db.read() as cur:
            rows = {
                r["projection"]: r
                for r in cur.execute(
                    "SELECT projection, position, updated_at FROM {projection_tracking}"
                ).fetchall()
            }
        out = []
        for name in self.projections:
            row = rows.get(name)
            pos = int(row["position"]) if row else 0
            out.append(
                ProjectionStatus(
                    name=name,
                    position=pos,
                    head=head,
                    lag=max(head - pos, 0),
                    updated_at=datetime.fromisoformat(row["updated_at"]) if row else None,
                )
            )
        return out

    async def run_forever(
        self, stop: asyncio.Event, *, poll_seconds: float = 1.0, listen: bool = True
    ) -> None:
        """Follow the log until ``stop`` is set: woken by each append on PostgreSQL
        (LISTEN/NOTIFY; ``listen=False`` polls only), polling every ``poll_seconds``
        otherwise (SQLite has no subscriptions) and as a backstop."""
        listener = None
        if listen and self.db.dialect == "postgres":
            listener = await asyncio.to_thread(self.listen)
        log.info(
            "projections started",
            projections=list(self.projections),
            follows="notify" if listener is not None else "poll",
        )
        awoken, next_poll = True, 0.0
        try:
            while not stop.is_set():
                if awoken or time.monotonic() >= next_poll:
                    next_poll = time.monotonic() + poll_seconds
                    try:
                        n = await asyncio.to_thread(self.catch_up)
                        if n:
                            log.info("projections caught up", applied=n)  # events x views
                    except Exception:
                        log.exception("projection batch failed; retrying after the interval")
                if listener is not None:
                    # short waits, so that ``stop`` is seen within a second
                    wait = min(1.0, max(0.0, next_poll - time.monotonic()))
                    awoken = await asyncio.to_thread(_await_notify, listener, wait)
                else:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), poll_seconds)
        finally:
            if listener is not None:
                listener.close()
            log.info("projections stopped")

    def notify_channel(self) -> str:
        """The channel appends to this store's events table are announced on."""
        where = f"{self.db.schema}.{self.db.events_table}"
        return "qa_events_" + hashlib.sha256(where.encode()).hexdigest()[:16]

    def listen(self) -> Any | None:
        """PostgreSQL: make (once, idempotently) the trigger that notifies
        ``notify_channel()`` after each insert into the events table, and return a
        connection LISTENing on it; ``None`` if that cannot be done (then poll)."""
        channel = self.notify_channel()
        events = self.db.table(self.db.events_table)
        function = self.db.table(channel)  # schema-qualified like the views
        try:
            with self.db.transaction() as cur:
                # one maker at a time: concurrent CREATE OR REPLACE can collide
                cur.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (channel,))
                cur.execute(
                    f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger "
                    f"LANGUAGE plpgsql AS $fn$ BEGIN PERFORM pg_notify('{channel}', ''); "
                    "RETURN NULL; END $fn$"
                )
                cur.execute(
                    f"CREATE OR REPLACE TRIGGER {channel} AFTER INSERT ON {events} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
                )
            import psycopg  # PostgreSQL only: a SQLite reader never loads the driver

            params = dict(self.db.connection_kwargs())
            params.pop("row_factory", None)
            conn = psycopg.connect(**params, autocommit=True)
            conn.execute(f'LISTEN "{channel}"')
        except Exception:
            log.exception("cannot listen for appends; polling instead")
            return None
        return conn

    # ------------------------------------------------------------------ reading

    def _read(self, start: int) -> list[Notified]:
        """The batch after ``start``, decoded once and shared by projections at the same place."""
        if self._last_read is not None and self._last_read[0] == start:
            return self._last_read[1]
        recorder: Any = self.app.recorder
        notifications = recorder.select_notifications(
            start=start, limit=self.batch_size, inclusive_of_start=False
        )
        to_event = self.app.mapper.to_domain_event
        batch = [
            Notified(
                id=n.id,
                topic=n.topic,
                originator_id=str(n.originator_id),
                version=n.originator_version,
                event=to_event(n),
            )
            for n in notifications
        ]
        self._last_read = (start, batch)
        return batch


def _await_notify(conn: Any, timeout: float) -> bool:
    """Wait up to ``timeout`` s for an append's notification, then take every one
    already queued (one catch-up serves them all); whether one came."""
    came = any(True for _ in conn.notifies(timeout=timeout, stop_after=1))
    if came:
        for _ in conn.notifies(timeout=0.01):
            pass
    return came


def _now() -> str:
    return datetime.now(UTC).isoformat()
