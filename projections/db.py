"""Read-model tables in the event store's own database (SQLite file or PostgreSQL schema).

``ViewDB`` borrows the connection pool of an application's recorder, so view rows
and the projection's tracking position can be written in one transaction in the
same database as the events. SQL is written once with ``?`` placeholders and
``{name}`` table markers; ``ViewDB`` adapts both to the dialect.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # a reader of views alone never loads the application layer
    from eventsourcing.application import Application

__all__ = ["Cursor", "ViewDB"]

_TABLE = re.compile(r"\{(\w+)\}")
#: ``INSERT INTO {table} (columns) VALUES (?, ...) <rest>``
_INSERT = re.compile(
    r"^\s*INSERT INTO \{(\w+)\} \(([^)]*)\)\s*VALUES\s*\((?:\?,\s*)*\?\)(.*)$", re.S
)


class Cursor:
    """A dialect-neutral cursor inside one transaction."""

    def __init__(self, db: ViewDB, raw: Any) -> None:
        self._db, self._raw = db, raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        self._raw.execute(self._db.sql(sql), tuple(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]], *, bulk: bool = False) -> None:
        """``sql`` once per row. ``bulk``: the caller guarantees no two rows share a key
        that an ``ON CONFLICT ... DO UPDATE`` would hit twice; then PostgreSQL gets ONE
        ``INSERT ... SELECT * FROM unnest(<one array per column>)`` instead of a statement
        per row (the driver's per-row round trip and bookkeeping were most of a batch)."""
        if not rows:
            return
        if bulk and self._db.dialect == "postgres" and self._db.bulk_writes:
            insert = _INSERT.match(sql)
            types = self._db.column_types(self, insert.group(1)) if insert else {}
            columns = [c.strip() for c in insert.group(2).split(",")] if insert else []
            if insert and columns and all(c in types for c in columns):
                # binary parameters (%b): the text form escapes every element in Python
                arrays = ", ".join(f"%b::{types[c]}[]" for c in columns)
                statement = self._db.sql(
                    f"INSERT INTO {{{insert.group(1)}}} ({insert.group(2)}) "
                    f"SELECT * FROM unnest(<arrays>){insert.group(3)}"
                )
                self._raw.execute(
                    statement.replace("<arrays>", arrays),
                    [list(column) for column in zip(*rows, strict=True)],
                )
                return
        self._raw.executemany(self._db.sql(sql), [tuple(r) for r in rows])

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        return int(self._raw.rowcount)

    def fetchall(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._raw.fetchall()]

    def tuples(self, sql: str, params: Sequence[Any] = ()) -> tuple[dict[str, int], list[Any]]:
        """Run ``sql``: each column's position by name (none when no row came back), and
        the rows read by position. PostgreSQL hands them over as tuples, not a dict per
        row (a national oversight query fetches thousands)."""
        if self._db.dialect != "postgres":  # ``sqlite3.Row``s: read by position too
            rows = list(self.execute(sql, params)._raw.fetchall())
            return ({k: i for i, k in enumerate(rows[0].keys())} if rows else {}), rows
        from psycopg.rows import tuple_row

        before = self._raw.row_factory
        self._raw.row_factory = tuple_row
        try:
            self.execute(sql, params)
            rows = list(self._raw.fetchall())
            columns = {d[0]: i for i, d in enumerate(self._raw.description or ())}
            return (columns if rows else {}), rows
        finally:
            self._raw.row_factory = before

    def fetchone(self) -> dict[str, Any] | None:
        row = self._raw.fetchone()
        return None if row is None else dict(row)


class ViewDB:
    """Transactions on the database that holds ``app``'s events."""

    def __init__(self, app: Application[Any]) -> None:
        recorder: Any = app.recorder
        self._open(recorder.datastore, recorder.events_table_name)

    @classmethod
    def over(cls, datastore: Any, events_table: str) -> ViewDB:
        """The views in ``datastore``'s database, without an application: a process that
        only reads views (``qa-engine oversight --no-catch-up``) need not build one."""
        db = cls.__new__(cls)
        db._open(datastore, events_table)
        return db

    def _open(self, datastore: Any, events_table: str) -> None:
        self._datastore = datastore
        self.events_table: str = events_table
        module = type(self._datastore).__module__  # the recorder may be a subclass elsewhere
        self.dialect: Literal["sqlite", "postgres"] = (
            "postgres" if module.startswith("eventsourcing.postgres") else "sqlite"
        )
        self.schema: str | None = self._datastore.schema if self.dialect == "postgres" else None
        self._types: dict[str, dict[str, str]] = {}
        #: PostgreSQL: batches written in bulk (``Cursor.executemany(bulk=True)``); off,
        #: row by row (the two give the same rows: tests/test_projections_bulk.py)
        self.bulk_writes = True

    def connection_kwargs(self) -> dict[str, Any]:
        """PostgreSQL: how the recorder's pool connects (for a connection of one's own)."""
        return dict(self._datastore.pool.kwargs)

    def column_types(self, cur: Cursor, table: str) -> dict[str, str]:
        """PostgreSQL: each column of ``table`` and its type's name (``text``, ``int8``),
        looked up once per table."""
        if table not in self._types:
            rows = cur.execute(
                "SELECT column_name, udt_name FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ?",
                (self.schema or "public", table),
            ).fetchall()
            self._types[table] = {r["column_name"]: r["udt_name"] for r in rows}
        return self._types[table]

    def table(self, name: str) -> str:
        return f'"{self.schema}"."{name}"' if self.schema else name

    def sql(self, statement: str) -> str:
        statement = _TABLE.sub(lambda m: self.table(m.group(1)), statement)
        if self.dialect == "postgres":
            statement = statement.replace("?", "%s")
        return statement

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """One transaction: committed on success, rolled back if anything raises."""
        with self._datastore.transaction(commit=True) as raw:
            yield Cursor(self, raw)

    @contextmanager
    def read(self) -> Iterator[Cursor]:
        with self._datastore.transaction(commit=False) as raw:
            yield Cursor(self, raw)
