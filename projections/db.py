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
from typing import Any, Literal

from eventsourcing.application import Application

__all__ = ["Cursor", "ViewDB"]

_TABLE = re.compile(r"\{(\w+)\}")


class Cursor:
    """A dialect-neutral cursor inside one transaction."""

    def __init__(self, db: ViewDB, raw: Any) -> None:
        self._db, self._raw = db, raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        self._raw.execute(self._db.sql(sql), tuple(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._raw.executemany(self._db.sql(sql), [tuple(r) for r in rows])

    def fetchall(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._raw.fetchall()]

    def rows(self) -> list[Any]:
        """The rows as the driver gives them, read by column name (``r["ref"]``) only:
        no copy into dicts, for queries that return many rows."""
        return list(self._raw.fetchall())

    def fetchone(self) -> dict[str, Any] | None:
        row = self._raw.fetchone()
        return None if row is None else dict(row)


class ViewDB:
    """Transactions on the database that holds ``app``'s events."""

    def __init__(self, app: Application[Any]) -> None:
        recorder: Any = app.recorder
        self._datastore = recorder.datastore
        self.events_table: str = recorder.events_table_name
        module = type(self._datastore).__module__  # the recorder may be a subclass elsewhere
        self.dialect: Literal["sqlite", "postgres"] = (
            "postgres" if module.startswith("eventsourcing.postgres") else "sqlite"
        )
        self.schema: str | None = self._datastore.schema if self.dialect == "postgres" else None

    def connection_kwargs(self) -> dict[str, Any]:
        """PostgreSQL: how the recorder's pool connects (for a connection of one's own)."""
        return dict(self._datastore.pool.kwargs)

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
