"""``qa-engine oversight``: every open record inside the principal's scope, with its
stage, next deadline, working days left, RAG and owner.

A module of its own so that the process imports only what this query needs
(issue 12): the ``qa-engine`` executable (``entry.command``) builds this command's
parser alone, and with ``--no-catch-up`` the views are read straight from their
database, without building the event store's applications. Catching up (the
default) needs the whole store, so it takes the full path through ``cli_read``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from domain.calendar import LONDON
from qa_engine.config import Settings
from qa_engine.entry import cli_common as cli

__all__ = ["KINDS", "add_oversight_parser", "query_options", "run", "today_of"]

#: the ``kind`` of each lifecycle's rows (``projections.catalogue.lifecycles``)
KINDS = (
    "review",
    "audit",
    "actionplan",
    "childofconcern",
    "programme",
    "subgroup",
    "scorecard",
    "section11",
    "assurance",
)


def query_options() -> argparse.ArgumentParser:
    """The options of the commands that query the views (as at which day, caught up)."""
    query = argparse.ArgumentParser(add_help=False)
    query.add_argument("--today", help="ISO date to compute days left from (default: today)")
    query.add_argument(
        "--no-catch-up", action="store_true", help="read the views as they are, without catching up"
    )
    return query


def add_oversight_parser(
    sub: Any, *, common: argparse.ArgumentParser, query: argparse.ArgumentParser
) -> None:
    ov = sub.add_parser(
        "oversight", parents=[common, query], help="open cases: stage, next deadline, RAG, owner"
    )
    ov.add_argument("--kind", choices=KINDS, help="lifecycle")
    ov.add_argument("--stage")
    ov.add_argument("--rag", help="comma-separated: red,amber,green")
    ov.add_argument("--partnership")
    ov.add_argument("--owner", help="owner role, e.g. 'local authority'")
    ov.add_argument(
        "--sort", default="due", choices=["due", "rag", "ref", "stage", "partnership", "owner"]
    )
    ov.add_argument("--desc", action="store_true", help="reverse the order")
    # reading the views as they are logs nothing; catching up first configures logging
    ov.set_defaults(func=cmd_oversight, logs=False)


def run(argv: Sequence[str] | None = None) -> int:
    """``qa-engine oversight ...`` with a parser of this one command."""
    common, _, _ = cli.parents()
    parser = argparse.ArgumentParser(prog="qa-engine")
    sub = parser.add_subparsers(dest="command", required=True)
    add_oversight_parser(sub, common=common, query=query_options())
    return cli.run_command(parser, argv)


def today_of(ns: argparse.Namespace) -> date:
    return cli.parse_day(ns.today, "today") if ns.today else datetime.now(LONDON).date()


async def cmd_oversight(ns: argparse.Namespace, settings: Settings, out: cli.Output) -> int:
    from projections import queries
    from qa_engine.calendar import england_and_wales

    today = today_of(ns)
    scope = cli.scope_of(settings)

    def read(db: Any) -> list[queries.OversightRow]:
        return queries.oversight(
            db,
            today=today,
            calendar=england_and_wales(),
            amber_working_days=settings.amber_working_days,
            kind=ns.kind,
            stage=ns.stage,
            partnership=ns.partnership,
            owner=ns.owner,
            rag_in=set(ns.rag.split(",")) if ns.rag else None,
            sort=ns.sort,
            descending=ns.desc,
            scope=scope,
        )

    rows = None
    if ns.no_catch_up:
        with _views(settings) as db:
            if db is not None:
                rows = read(db)
    if rows is None:  # catching up, or views not made yet: the whole store (it logs)
        cli.configure_logging_for(settings)
        with cli.caught_up_runner(settings, catch_up=not ns.no_catch_up) as runner:
            rows = read(runner.db)

    def human() -> str:
        if not rows:
            return f"no open cases match (as at {today})"
        lines = [
            f"as at {today}; amber = due within {settings.amber_working_days} working days",
            f"{'RAG':<6}{'KIND':<15}{'REF':<18}{'PARTNER':<9}{'STAGE':<27}{'NEXT DEADLINE':<44}"
            f"{'DUE':<11}{'WD LEFT':>8}  OWNER",
        ]
        for r in rows:
            label = (r.next_deadline or "-")[:42]
            left = "-" if r.working_days_left is None else str(r.working_days_left)
            due = r.next_due_on.isoformat() if r.next_due_on else "-"
            lines.append(
                f"{r.rag.upper():<6}{r.kind:<15}{r.ref:<18}{r.partnership:<9}{r.stage:<27}"
                f"{label:<44}{due:<11}{left:>8}  {r.owner}"
            )
        return "\n".join(lines)

    out.data([r.model_dump(mode="json") for r in rows], human)
    return cli.EXIT_OK


@contextmanager
def _views(settings: Settings) -> Iterator[Any]:
    """The view tables of ``settings``'s store, opened without its applications; ``None``
    when the oversight view is not there as this release writes it (no store yet, never
    caught up, or an older shape that the runner's setup must first migrate)."""
    from projections.db import ViewDB
    from projections.views import OversightProjection

    datastore: Any
    if settings.store == "sqlite":
        if not settings.sqlite_file.exists():
            yield None
            return
        from eventsourcing.sqlite import SQLiteDatastore

        datastore = SQLiteDatastore(
            str(settings.sqlite_file), lock_timeout=10, pool_size=1, max_overflow=0
        )
        events = "stored_events"  # what eventsourcing's SQLite recorder names it
    else:
        from eventsourcing.postgres import PostgresDatastore

        datastore = PostgresDatastore(
            settings.postgres_db,
            settings.postgres_host,
            settings.postgres_port,
            settings.postgres_user,
            settings.postgres_password.get_secret_value(),
            schema=settings.postgres_schema or "",
            pool_size=1,
        )
        events = "qa_engine_events"
    try:
        db = ViewDB.over(datastore, events)
        try:
            with db.read() as cur:
                row = cur.execute(
                    "SELECT s.version, t.position FROM {projection_schema} s "
                    "JOIN {projection_tracking} t ON t.projection = s.projection "
                    "WHERE s.projection = ?",
                    (OversightProjection.name,),
                ).fetchone()
        except Exception:  # no view tables in this store yet
            row = None
        ready = row is not None and row["version"] == OversightProjection.schema
        yield db if ready and row is not None and row["position"] > 0 else None
    finally:
        datastore.close()
