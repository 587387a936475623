"""The read models: one projection per view.

- ``OversightProjection``  → ``oversight``: one row per open case of any lifecycle
- ``AuditTrailProjection`` → ``audit_trail``: per case, every fact in plain words
- ``TimelinessProjection`` → ``timeliness_clocks``: the statutory clocks a quarterly
  assurance report counts

Each folds the events of the lifecycles it is given into a per-case state kept in
``projection_state`` (private to the projection, written in the same transaction
as its rows), so a batch only loads the cases it touches.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Hashable, Sequence
from typing import Any

from projections.db import Cursor
from projections.lifecycles import Lifecycle, by_topic
from projections.runner import Notified, Projection

__all__ = [
    "AuditTrailProjection",
    "FoldingProjection",
    "OversightProjection",
    "Sealer",
    "TimelinessProjection",
    "agencies_column",
]

STATE_DDL = (
    "CREATE TABLE IF NOT EXISTS {projection_state} ("
    "projection TEXT NOT NULL, originator_id TEXT NOT NULL, kind TEXT NOT NULL, "
    "state TEXT NOT NULL, PRIMARY KEY (projection, originator_id))"
)
_CHUNK = 400


#: a folded state stored compressed (zlib, base64); a row without it is the plain JSON
_PACKED = "z1:"


def pack_state(data: str) -> str:
    """A folded state as stored: its JSON compressed (a record's state is a few kB of
    repetitive JSON, rewritten for each projection in every batch that touches it: most
    of the bytes a catch-up writes)."""
    return _PACKED + base64.b64encode(zlib.compress(data.encode(), 1)).decode()


def unpack_state(stored: str) -> str:
    """The JSON of a stored state, packed or (written before states were packed) plain."""
    if stored.startswith(_PACKED):
        return zlib.decompress(base64.b64decode(stored[len(_PACKED) :])).decode()
    return stored


class Sealer:
    """Encrypts what views hold of a record with the event store's cipher, when one is set.

    The reasons recorded for decisions can describe a child's circumstances, and the
    trail names people: they are encrypted at rest in the events, so they stay
    encrypted in the views too (the trail's who, what and why, and each projection's
    folded per-record state). A row written before it was sealed reads as it is.
    """

    PREFIX = "aes:"

    def __init__(self, cipher: Any | None) -> None:
        self.cipher = cipher

    def seal(self, text: str | None) -> str | None:
        if text is None or self.cipher is None:
            return text
        return self.PREFIX + base64.b64encode(self.cipher.encrypt(text.encode())).decode()

    def unseal(self, text: str | None) -> str | None:
        if text is None or not text.startswith(self.PREFIX):
            return text
        if self.cipher is None:
            return "[encrypted: configure QA_CIPHER_KEY to read]"
        return str(self.cipher.decrypt(base64.b64decode(text[len(self.PREFIX) :])).decode())


class FoldingProjection(Projection):
    """Folds each lifecycle's events into per-case states, then writes rows from them."""

    def __init__(self, lifecycles: Sequence[Lifecycle]) -> None:
        self.lifecycles = list(lifecycles)
        self._by_kind = {lc.kind: lc for lc in self.lifecycles}
        #: seals the folded states in ``projection_state`` (they hold child
        #: references, names and text): ``projections.catalogue`` sets the store's
        self.state_sealer = Sealer(None)

    def setup(self, cur: Cursor) -> None:
        cur.execute(STATE_DDL)
        super().setup(cur)

    def reset(self, cur: Cursor) -> None:
        cur.execute("DELETE FROM {projection_state} WHERE projection = ?", (self.name,))
        self.reset_rows(cur)

    def forget(self, cur: Cursor) -> None:
        cur.execute(STATE_DDL)
        cur.execute("DELETE FROM {projection_state} WHERE projection = ?", (self.name,))

    def begin(self) -> None:
        """Called before each batch: forget anything buffered (a failed batch must not
        leak rows into the next one)."""

    def share_key(self) -> Hashable | None:
        """Folding projections over the same lifecycles share one fold per event, unless
        a subclass changes how a batch is applied."""
        if type(self).apply is not FoldingProjection.apply:
            return None
        return ("fold", tuple(type(lc) for lc in self.lifecycles))

    def apply(self, cur: Cursor, batch: Sequence[Notified]) -> None:
        self.apply_together(cur, [self], batch)

    @classmethod
    def apply_together(
        cls, cur: Cursor, projections: Sequence[Projection], batch: Sequence[Notified]
    ) -> None:
        """Fold each event ONCE and hand the state to every projection's hooks.

        The per-case states are loaded from the first projection's rows (projections at
        the same position have folded the same events) and written for each of them.
        """
        folding = [p for p in projections if isinstance(p, FoldingProjection)]
        if len(folding) != len(projections):
            raise TypeError("apply_together takes folding projections only")
        first = folding[0]
        for p in folding:
            p.begin()
        lifecycles = first.lifecycles
        mine = [(lc, n) for n in batch if (lc := by_topic(lifecycles, n.topic)) is not None]
        if mine:
            states = first._load(cur, sorted({n.originator_id for _, n in mine}))
            touched: dict[str, Lifecycle] = {}
            for lc, n in mine:
                state = lc.fold(states.get(n.originator_id), n.event)
                states[n.originator_id] = state
                touched[n.originator_id] = lc
                for p in folding:
                    p.on_event(cur, lc, state, n)
            for oid, lc in touched.items():
                for p in folding:
                    p.on_case(cur, lc, oid, states[oid])
            seal = first.state_sealer.seal
            dumped = [
                (oid, lc.kind, seal(pack_state(lc.dump(states[oid]))))
                for oid, lc in touched.items()
            ]
            cur.executemany(
                "INSERT INTO {projection_state} (projection, originator_id, kind, state) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (projection, originator_id) "
                "DO UPDATE SET state = excluded.state",
                [(p.name, oid, kind, data) for p in folding for oid, kind, data in dumped],
                bulk=True,  # one row per projection and record
            )
        for p in folding:
            p.flush(cur)

    def _load(self, cur: Cursor, ids: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            rows = cur.execute(
                "SELECT originator_id, kind, state FROM {projection_state} "
                f"WHERE projection = ? AND originator_id IN ({','.join('?' * len(chunk))})",
                (self.name, *chunk),
            ).fetchall()
            for r in rows:
                state = self.stored_state(r["kind"], r["state"])
                if state is not None:
                    out[r["originator_id"]] = state
        return out

    def stored_state(self, kind: str | None, stored: str | None) -> Any | None:
        """A folded state as ``projection_state`` holds it (sealed, packed), loaded;
        ``None`` for none, or for a kind this projection no longer folds."""
        lc = self._by_kind.get(kind) if kind is not None else None
        if lc is None or stored is None:
            return None
        return lc.load(unpack_state(str(self.state_sealer.unseal(stored))))

    # hooks
    def reset_rows(self, cur: Cursor) -> None:
        for table in self.tables:
            cur.execute(f"DELETE FROM {{{table}}}")

    tables: tuple[str, ...] = ()

    def on_event(self, cur: Cursor, lc: Lifecycle, state: Any, n: Notified) -> None:
        """Called for each event, with the state after it."""

    def on_case(self, cur: Cursor, lc: Lifecycle, originator_id: str, state: Any) -> None:
        """Called once per touched case per batch, with its latest state."""

    def flush(self, cur: Cursor) -> None:
        """Called at the end of the batch (write buffered rows in bulk)."""


def agencies_column(agencies: Sequence[str]) -> str:
    """``|LA|POLICE|``: each agency between bars, so ``LIKE '%|LA|%'`` finds one exactly."""
    return "|" + "".join(f"{a.upper()}|" for a in sorted(set(agencies)))


class OversightProjection(FoldingProjection):
    """Every open case, whatever its lifecycle (``kind``): stage, next deadline, owner."""

    name = "oversight"
    tables = ("oversight",)
    #: 2: keyed by partnership too (two partnerships may share a case reference);
    #: 3: the agencies each record involves (``|LA|POLICE|``), for an agency's scope
    schema = 3
    ddl = (
        "CREATE TABLE IF NOT EXISTS {oversight} ("
        "kind TEXT NOT NULL, ref TEXT NOT NULL, partnership TEXT NOT NULL, "
        "stage TEXT NOT NULL, owner TEXT NOT NULL, next_key TEXT, next_label TEXT, "
        "next_due_on TEXT, breached INTEGER NOT NULL, breached_labels TEXT NOT NULL, "
        "paused INTEGER NOT NULL, originator_id TEXT NOT NULL, agencies TEXT NOT NULL, "
        "PRIMARY KEY (kind, partnership, ref))",
        # the filters people use (a partnership's rows, by owner or stage), in due order;
        # indexes only: the rows keep their shape, so no schema bump or rebuild
        "CREATE INDEX IF NOT EXISTS oversight_by_partnership "
        "ON {oversight} (partnership, next_due_on)",
        "CREATE INDEX IF NOT EXISTS oversight_by_owner ON {oversight} (owner, next_due_on)",
        "CREATE INDEX IF NOT EXISTS oversight_by_stage ON {oversight} (stage, next_due_on)",
    )

    def __init__(self, lifecycles: Sequence[Lifecycle]) -> None:
        super().__init__(lifecycles)
        self._upserts: list[tuple[Any, ...]] = []
        self._deletes: list[tuple[str, str, str]] = []

    def on_case(self, cur: Cursor, lc: Lifecycle, originator_id: str, state: Any) -> None:
        item = lc.oversight(state)
        if item is None:
            self._deletes.append((lc.kind, lc.partnership(state), lc.ref(state)))
            return
        self._upserts.append(
            (
                item.kind,
                item.ref,
                item.partnership,
                item.stage,
                item.owner,
                item.next_key,
                item.next_label,
                item.next_due_on.isoformat() if item.next_due_on else None,
                int(item.breached),
                "; ".join(item.breached_labels),
                item.paused,
                originator_id,
                agencies_column(item.agencies),
            )
        )

    def flush(self, cur: Cursor) -> None:
        upserts, deletes = self._upserts, self._deletes
        self._upserts, self._deletes = [], []
        # one row per key, the last one: what upserting them one after another leaves
        upserts = list({(u[0], u[2], u[1]): u for u in upserts}.values())
        cur.executemany(
            "DELETE FROM {oversight} WHERE kind = ? AND partnership = ? AND ref = ?", deletes
        )
        cur.executemany(
            "INSERT INTO {oversight} (kind, ref, partnership, stage, owner, next_key, "
            "next_label, next_due_on, breached, breached_labels, paused, originator_id, "
            "agencies) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (kind, partnership, ref) DO UPDATE SET stage = excluded.stage, "
            "owner = excluded.owner, next_key = excluded.next_key, "
            "next_label = excluded.next_label, next_due_on = excluded.next_due_on, "
            "breached = excluded.breached, breached_labels = excluded.breached_labels, "
            "paused = excluded.paused, originator_id = excluded.originator_id, "
            "agencies = excluded.agencies",
            upserts,
            bulk=True,
        )

    def begin(self) -> None:
        # Buffers belong to one transaction: a failed batch must not leak into the next.
        self._upserts, self._deletes = [], []


class AuditTrailProjection(FoldingProjection):
    """Per case, every recorded fact: when, who (name and role), what, and why."""

    name = "audit_trail"
    tables = ("audit_trail",)
    schema = 2  # 2: partnership column, in the key
    ddl = (
        "CREATE TABLE IF NOT EXISTS {audit_trail} ("
        "kind TEXT NOT NULL, partnership TEXT NOT NULL, ref TEXT NOT NULL, "
        "version INTEGER NOT NULL, "
        "recorded_at TEXT NOT NULL, who_name TEXT NOT NULL, who_role TEXT NOT NULL, "
        "what TEXT NOT NULL, why TEXT, event_hash TEXT, notification_id BIGINT NOT NULL, "
        "PRIMARY KEY (kind, partnership, ref, version))",
    )

    def __init__(self, lifecycles: Sequence[Lifecycle], sealer: Sealer) -> None:
        super().__init__(lifecycles)
        self.sealer = sealer
        self._rows: list[tuple[Any, ...]] = []

    def on_event(self, cur: Cursor, lc: Lifecycle, state: Any, n: Notified) -> None:
        item = lc.describe(state, n.event)
        self._rows.append(
            (
                lc.kind,
                lc.partnership(state),
                lc.ref(state),
                n.version,
                item.when.isoformat(),
                self.sealer.seal(item.who_name),
                item.who_role,
                self.sealer.seal(item.what),
                self.sealer.seal(item.why),
                getattr(n.event, "hash", None),
                n.id,
            )
        )

    def begin(self) -> None:
        self._rows = []

    def flush(self, cur: Cursor) -> None:
        rows, self._rows = self._rows, []
        # A plain INSERT: processing an event twice would violate the primary key.
        cur.executemany(
            "INSERT INTO {audit_trail} (kind, partnership, ref, version, recorded_at, "
            "who_name, who_role, what, why, event_hash, notification_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
            bulk=True,
        )


class TimelinessProjection(FoldingProjection):
    """The statutory clocks of every case, for quarterly timeliness figures."""

    name = "timeliness"
    tables = ("timeliness_clocks",)
    schema = 2  # 2: keyed by partnership too
    ddl = (
        "CREATE TABLE IF NOT EXISTS {timeliness_clocks} ("
        "kind TEXT NOT NULL, ref TEXT NOT NULL, measure TEXT NOT NULL, "
        "partnership TEXT NOT NULL, clock_start TEXT NOT NULL, due_on TEXT NOT NULL, "
        "status TEXT NOT NULL, met_on TEXT, breached INTEGER NOT NULL, "
        "PRIMARY KEY (kind, partnership, ref, measure))",
    )

    def __init__(self, lifecycles: Sequence[Lifecycle]) -> None:
        super().__init__(lifecycles)
        self._rows: list[tuple[Any, ...]] = []

    def begin(self) -> None:
        self._rows = []

    def on_case(self, cur: Cursor, lc: Lifecycle, originator_id: str, state: Any) -> None:
        ref = lc.ref(state)
        for c in lc.clocks(state):
            self._rows.append(
                (
                    lc.kind,
                    ref,
                    c.measure,
                    c.partnership,
                    c.clock_start.isoformat(),
                    c.due_on.isoformat(),
                    c.status,
                    c.met_on.isoformat() if c.met_on else None,
                    int(c.breached),
                )
            )

    def flush(self, cur: Cursor) -> None:
        rows, self._rows = self._rows, []
        # one row per key, the last one: what upserting them one after another leaves
        rows = list({(r[0], r[3], r[1], r[2]): r for r in rows}.values())
        cur.executemany(
            "INSERT INTO {timeliness_clocks} (kind, ref, measure, partnership, clock_start, "
            "due_on, status, met_on, breached) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (kind, partnership, ref, measure) DO UPDATE SET "
            "clock_start = excluded.clock_start, due_on = excluded.due_on, "
            "status = excluded.status, met_on = excluded.met_on, breached = excluded.breached",
            rows,
            bulk=True,
        )
