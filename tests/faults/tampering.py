"""The tampering set: edits made to a copy of a SQLite store with plain ``sqlite3``,
behind qa-engine's back, as someone with database access but without the ledger key
would make them. Each takes the open database and a seeded ``random.Random`` and
returns what it did (for the failure message)."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from uuid import UUID

from qa_engine.ledger import LEDGER_TABLE, log_mac, record_mac

EVENTS = "stored_events"
#: an attacker's key: anything but the ledger's
FORGED_KEY = b"recomputed without the ledger key"

Tamper = Callable[[sqlite3.Connection, random.Random], str]


def _rows(db: sqlite3.Connection) -> list[tuple[int, str, int, str, bytes]]:
    return [
        (r[0], r[1], r[2], r[3], bytes(r[4]))
        for r in db.execute(
            "SELECT rowid, originator_id, originator_version, topic, state "
            f"FROM {EVENTS} ORDER BY rowid"
        )
    ]


def _streams(db: sqlite3.Connection) -> dict[str, int]:
    return dict(
        db.execute(f"SELECT originator_id, MAX(originator_version) FROM {EVENTS} GROUP BY 1")
    )


def _pick_stream(db: sqlite3.Connection, rng: random.Random, min_len: int = 2) -> tuple[str, int]:
    streams = sorted((o, n) for o, n in _streams(db).items() if n >= min_len)
    return rng.choice(streams)


def edit_event(db: sqlite3.Connection, rng: random.Random) -> str:
    nid, oid, v, _, state = rng.choice(_rows(db))
    i = rng.randrange(len(state))
    edited = state[:i] + bytes([state[i] ^ 0x01]) + state[i + 1 :]
    db.execute(f"UPDATE {EVENTS} SET state = ? WHERE rowid = ?", (edited, nid))
    return f"flipped a bit of notification {nid} ({oid} v{v})"


def delete_event(db: sqlite3.Connection, rng: random.Random) -> str:
    oid, n = _pick_stream(db, rng, 3)
    v = rng.randrange(2, n)
    db.execute(f"DELETE FROM {EVENTS} WHERE originator_id = ? AND originator_version = ?", (oid, v))
    return f"deleted {oid} v{v} of {n}"


def delete_newest_event(db: sqlite3.Connection, rng: random.Random) -> str:
    oid, n = _pick_stream(db, rng)
    db.execute(f"DELETE FROM {EVENTS} WHERE originator_id = ? AND originator_version = ?", (oid, n))
    return f"deleted the newest event of {oid} (v{n})"


def delete_newest_with_its_seal(db: sqlite3.Connection, rng: random.Random) -> str:
    oid, n = _pick_stream(db, rng)
    (nid,) = db.execute(
        f"SELECT rowid FROM {EVENTS} WHERE originator_id = ? AND originator_version = ?", (oid, n)
    ).fetchone()
    db.execute(f"DELETE FROM {EVENTS} WHERE rowid = ?", (nid,))
    db.execute(f"DELETE FROM {LEDGER_TABLE} WHERE notification_id = ?", (nid,))
    return f"deleted the newest event of {oid} (v{n}) and its ledger row"


def delete_last_five(db: sqlite3.Connection, rng: random.Random) -> str:
    ids = [r[0] for r in _rows(db)][-5:]
    db.execute(f"DELETE FROM {EVENTS} WHERE rowid >= ?", (ids[0],))
    return f"deleted the last 5 events (notifications {ids[0]}-{ids[-1]})"


def truncate_log_tail(db: sqlite3.Connection, rng: random.Random) -> str:
    k = rng.randint(1, 8)
    ids = [r[0] for r in _rows(db)][-k:]
    db.execute(f"DELETE FROM {EVENTS} WHERE rowid >= ?", (ids[0],))
    db.execute(f"DELETE FROM {LEDGER_TABLE} WHERE notification_id >= ?", (ids[0],))
    return f"truncated the log and the ledger after notification {ids[0] - 1} ({k} records)"


def delete_case(db: sqlite3.Connection, rng: random.Random) -> str:
    oid, n = _pick_stream(db, rng)
    db.execute(f"DELETE FROM {EVENTS} WHERE originator_id = ?", (oid,))
    if rng.random() < 0.5:
        db.execute(f"DELETE FROM {LEDGER_TABLE} WHERE originator_id = ?", (str(UUID(oid)),))
        return f"deleted the whole case {oid} ({n} events) and its ledger rows"
    return f"deleted the whole case {oid} ({n} events)"


def _last_seals(db: sqlite3.Connection, oid: str) -> tuple[bytes, bytes, int]:
    """The stream's newest record MAC, the log's newest MAC and notification id."""
    (rmac,) = db.execute(
        f"SELECT record_mac FROM {LEDGER_TABLE} WHERE originator_id = ? "
        "ORDER BY originator_version DESC LIMIT 1",
        (str(UUID(oid)),),
    ).fetchone()
    nid, lmac = db.execute(
        f"SELECT notification_id, log_mac FROM {LEDGER_TABLE} ORDER BY notification_id DESC LIMIT 1"
    ).fetchone()
    return bytes.fromhex(rmac), bytes.fromhex(lmac), nid


def append_forged(db: sqlite3.Connection, rng: random.Random) -> str:
    """A new event at the end of a case, its seals recomputed with a guessed key."""
    oid, n = _pick_stream(db, rng)
    topic, state = db.execute(
        f"SELECT topic, state FROM {EVENTS} WHERE originator_id = ? AND originator_version = ?",
        (oid, n),
    ).fetchone()
    prev_r, prev_l, _ = _last_seals(db, oid)
    cur = db.execute(
        f"INSERT INTO {EVENTS} (originator_id, originator_version, topic, state) "
        "VALUES (?, ?, ?, ?)",
        (oid, n + 1, topic, state),
    )
    nid = cur.lastrowid
    assert nid is not None
    rmac = record_mac(FORGED_KEY, prev_r, UUID(oid), n + 1, topic, bytes(state))
    lmac = log_mac(FORGED_KEY, prev_l, nid, rmac)
    db.execute(
        f"INSERT INTO {LEDGER_TABLE} VALUES (?, ?, ?, ?, ?)",
        (nid, str(UUID(oid)), n + 1, rmac.hex(), lmac.hex()),
    )
    return f"appended {oid} v{n + 1} (notification {nid}) with forged seals"


def insert_forged(db: sqlite3.Connection, rng: random.Random) -> str:
    """An event slipped into the middle of a case (later versions moved up by one)."""
    oid, n = _pick_stream(db, rng, 3)
    k = rng.randrange(1, n)
    for v in range(n, k, -1):
        db.execute(
            f"UPDATE {EVENTS} SET originator_version = ? "
            "WHERE originator_id = ? AND originator_version = ?",
            (v + 1, oid, v),
        )
    topic, state = db.execute(
        f"SELECT topic, state FROM {EVENTS} WHERE originator_id = ? AND originator_version = ?",
        (oid, k),
    ).fetchone()
    db.execute(
        f"INSERT INTO {EVENTS} (originator_id, originator_version, topic, state) "
        "VALUES (?, ?, ?, ?)",
        (oid, k + 1, topic, state),
    )
    return f"inserted a copy of {oid} v{k} as v{k + 1}, moving {n - k} later events up"


def rewrite_forged(db: sqlite3.Connection, rng: random.Random) -> str:
    """An event rewritten, and every seal from it on recomputed with a guessed key."""
    rows = _rows(db)
    nid, oid, v, _, state = rng.choice(rows)
    i = rng.randrange(len(state))
    edited = state[:i] + bytes([state[i] ^ 0x01]) + state[i + 1 :]
    db.execute(f"UPDATE {EVENTS} SET state = ? WHERE rowid = ?", (edited, nid))
    prev_stream: dict[str, bytes] = {}
    prev_log = bytes(32)
    for r_nid, r_oid, r_v, r_topic, r_state in _rows(db):
        blob = edited if r_nid == nid else r_state
        rmac = record_mac(
            FORGED_KEY, prev_stream.get(r_oid, bytes(32)), UUID(r_oid), r_v, r_topic, blob
        )
        prev_stream[r_oid] = rmac
        prev_log = log_mac(FORGED_KEY, prev_log, r_nid, rmac)
        db.execute(
            f"UPDATE {LEDGER_TABLE} SET record_mac = ?, log_mac = ? WHERE notification_id = ?",
            (rmac.hex(), prev_log.hex(), r_nid),
        )
    return f"rewrote notification {nid} ({oid} v{v}) and recomputed every seal"


def swap_events(db: sqlite3.Connection, rng: random.Random) -> str:
    oid, n = _pick_stream(db, rng, 3)
    a, b = sorted(rng.sample(range(2, n + 1), 2))
    sa, sb = (
        db.execute(
            f"SELECT state FROM {EVENTS} WHERE originator_id = ? AND originator_version = ?",
            (oid, v),
        ).fetchone()[0]
        for v in (a, b)
    )
    for v, s in ((a, sb), (b, sa)):
        db.execute(
            f"UPDATE {EVENTS} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (s, oid, v),
        )
    return f"swapped the contents of {oid} v{a} and v{b}"


TAMPERING: dict[str, Tamper] = {
    "edit an event": edit_event,
    "delete an event": delete_event,
    "delete the newest event": delete_newest_event,
    "delete the newest event and its ledger row": delete_newest_with_its_seal,
    "delete the last 5 events": delete_last_five,
    "truncate the log and ledger tail": truncate_log_tail,
    "delete a whole case": delete_case,
    "append an event, seals forged": append_forged,
    "insert an event": insert_forged,
    "rewrite an event, seals recomputed": rewrite_forged,
    "swap two events": swap_events,
}
