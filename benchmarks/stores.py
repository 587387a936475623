"""Throwaway stores for the benchmarks: a temporary SQLite directory, or a PostgreSQL
database on 127.0.0.1:5432 (trust auth) created for the run and dropped after it
unless ``keep``."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from qa_engine.config import Settings

__all__ = ["ADMIN", "pg_size", "store"]

ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}


@contextmanager
def store(
    kind: str,
    *,
    keep: bool = False,
    data_dir: Path | None = None,
    database: str | None = None,
) -> Iterator[Settings]:
    """A store for one run. ``keep`` leaves it (and, for PostgreSQL, the data directory
    holding the ledger's key and anchor files) in place; ``database`` (PostgreSQL) with
    ``data_dir`` reopens one kept by an earlier run instead of creating one, and keeps it."""
    if kind == "sqlite":
        if keep or data_dir is not None:
            where = data_dir or Path(tempfile.mkdtemp(prefix="qa_engine_bench_"))
            where.mkdir(parents=True, exist_ok=True)
            yield Settings(data_dir=where, store="sqlite")
            return
        with tempfile.TemporaryDirectory() as d:
            yield Settings(data_dir=Path(d), store="sqlite")
        return
    if database is not None:
        if data_dir is None:
            raise ValueError("a kept PostgreSQL store needs its --data-dir (ledger key, anchor)")
        yield _pg(database, data_dir)
        return
    name = f"qa_engine_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**ADMIN, autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')
    if keep:
        where = data_dir or Path(tempfile.mkdtemp(prefix="qa_engine_bench_"))
        where.mkdir(parents=True, exist_ok=True)
        yield _pg(name, where)
        return
    with tempfile.TemporaryDirectory() as d:  # the ledger's key and anchor files
        try:
            yield _pg(name, Path(d))
        finally:
            with psycopg.connect(**ADMIN, autocommit=True) as conn:  # type: ignore[arg-type]
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg(name: str, data_dir: Path) -> Settings:
    return Settings(store="postgres", postgres_db=name, postgres_pool_size=2, data_dir=data_dir)


def pg_size(settings: Settings) -> int:
    with psycopg.connect(**{**ADMIN, "dbname": settings.postgres_db}) as conn:  # type: ignore[arg-type]
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0
