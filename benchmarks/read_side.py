"""Read-side benchmark: projection catch-up and case-history rebuild, each beside the raw limit.

    .venv/bin/python benchmarks/read_side.py                      # SQLite, defaults
    .venv/bin/python benchmarks/read_side.py --store postgres     # throwaway db, dropped after
    .venv/bin/python benchmarks/read_side.py --cases 50 --long-case 100 --stock-events 200  # quick

Measures, in one run on one store:

1. catch-up: the three read models (oversight, audit trail, timeliness) brought up
   to date from zero by the batched runner, in events/second;
2. the stock eventsourcing approach (one transaction per event: the view rows and
   the tracking record of ONE event per transaction, which is what
   ``eventsourcing.projection.ProjectionRunner`` does) over the first
   ``--stock-events`` events, with the same projection code;
3. the raw limit: plain sqlite3/psycopg reading the same notification rows in
   pages and writing one row per event plus a tracking row, one transaction a page;
4. case-history rebuild for a case of ``--long-case`` events: ``history()`` and
   ``state_as_at()`` from the event store, beside plain SQL reading the same rows
   (and decoding their JSON).

Not part of the test suite: nothing here asserts performance.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.review import (  # noqa: E402
    COMMANDS,
    ReportIncident,
    plan_deadlines,
    plan_report_deadlines,
)
from domain.review.aggregate import ReviewCase, review_id  # noqa: E402
from domain.rules import rule_set  # noqa: E402
from projections.catalogue import build_projections  # noqa: E402
from projections.runner import ProjectionRunner  # noqa: E402
from qa_engine.bootstrap import bootstrap  # noqa: E402
from qa_engine.config import Settings  # noqa: E402
from qa_engine.reviews import ReviewService  # noqa: E402

ACTOR = {"name": "Bench Mark", "role": "partnership business manager"}
AWARE = date(2025, 1, 6)

#: steps to the LCSPR stage: (step, day offset, fields)
TO_LCSPR: list[tuple[str, int, dict[str, Any]]] = [
    ("record_panel_notification", 2, {"notified_on": AWARE + timedelta(days=2)}),
    ("record_partners_informed", 3, {"informed_on": AWARE + timedelta(days=3)}),
    (
        "record_threshold_decision",
        4,
        {"met": True, "decided_on": AWARE + timedelta(days=4), "rationale": "criteria met"},
    ),
    (
        "request_agency_summaries",
        4,
        {
            "requested_on": AWARE + timedelta(days=4),
            "requests": [{"agency": "POLICE", "due_on": AWARE + timedelta(days=10)}],
        },
    ),
    ("record_agency_summary", 8, {"agency": "POLICE", "received_on": AWARE + timedelta(days=8)}),
    (
        "record_rapid_review_meeting",
        11,
        {"held_on": AWARE + timedelta(days=11), "agencies_present": ["LA", "POLICE"]},
    ),
    (
        "record_rapid_review_decision",
        11,
        {"decision": "lcspr", "decided_on": AWARE + timedelta(days=11), "rationale": "learning"},
    ),
    ("submit_rapid_review_report", 12, {"submitted_on": AWARE + timedelta(days=12)}),
    (
        "record_panel_response",
        20,
        {"response": "agrees", "received_on": AWARE + timedelta(days=20)},
    ),
]


def build_case(svc: ReviewService, ref: str, *, checkpoints: int, partnership: str) -> int:
    """A case written through the aggregate (its rules and hash chain), saved in one go."""
    report = ReportIncident.model_validate(
        {
            "actor": ACTOR,
            "case_ref": ref,
            "partnership": partnership,
            "incident_on": AWARE - timedelta(days=2),
            "aware_on": AWARE,
            "child_refs": ["C-10001"],
            "abuse_or_neglect": True,
            "harm": "seriously_harmed",
        }
    )
    policy = svc.partnerships.policy(partnership)
    rules = rule_set(policy.rule_set)
    opened = plan_report_deadlines(report, rules, svc.calendar, policy.variations)
    case = ReviewCase.report(
        report,
        key=f"{ref}/report",
        rule_set=rules.label,
        variations=policy.variations,
        calendar_version=svc.calendar.version,
        reported_on=AWARE,
        opened=opened,
    )
    plan = list(TO_LCSPR)
    held = AWARE + timedelta(days=30)
    plan += [
        ("record_progress_checkpoint", 30, {"held_on": held, "status": "on_track"})
    ] * checkpoints
    for i, (step, offset, fields) in enumerate(plan):
        command = COMMANDS[step].model_validate({"actor": ACTOR, **fields})
        today = AWARE + timedelta(days=offset)
        opened = plan_deadlines(case.state, command, rules, svc.calendar)
        case.record(command, key=f"{ref}/{i}", today=today, opened=opened)
    svc.save(case)
    return 1 + len(plan)


# ---------------------------------------------------------------------- stores


@contextmanager
def store(kind: str) -> Iterator[Settings]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as d:
            yield Settings(data_dir=Path(d), store="sqlite")
        return
    name = f"qa_engine_bench_{uuid.uuid4().hex[:8]}"
    admin = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
    with psycopg.connect(**admin, autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Settings(store="postgres", postgres_db=name, postgres_pool_size=2)
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class RawDB:
    """Plain sqlite3 / psycopg on the same database, for the raw limits."""

    def __init__(self, settings: Settings) -> None:
        self.pg = settings.store == "postgres"
        if self.pg:
            self.conn: Any = psycopg.connect(
                host=settings.postgres_host,
                port=settings.postgres_port,
                user=settings.postgres_user,
                dbname=settings.postgres_db,
            )
            self.table, self.id_col, self.p = "qa_engine_events", "notification_id", "%s"
        else:
            import sqlite3

            self.conn = sqlite3.connect(settings.sqlite_file)
            self.table, self.id_col, self.p = "stored_events", "rowid", "?"

    def catch_up(self, page: int, decode: bool = False) -> int:
        """Read every notification in pages; per page, one transaction writing a row per
        event and the tracking position. ``decode``: each event's JSON decoded too (what
        a view row is then made from), the least a projection in Python does."""
        c = self.conn
        c.execute("CREATE TABLE IF NOT EXISTS raw_view (id BIGINT PRIMARY KEY, topic TEXT, n INT)")
        c.execute("CREATE TABLE IF NOT EXISTS raw_tracking (name TEXT PRIMARY KEY, pos BIGINT)")
        c.execute("DELETE FROM raw_view")
        c.execute("DELETE FROM raw_tracking")
        c.execute("INSERT INTO raw_tracking VALUES ('raw', 0)")
        c.commit()
        pos, total, p = 0, 0, self.p
        while True:
            rows = c.execute(
                f"SELECT {self.id_col}, topic, state FROM {self.table} "
                f"WHERE {self.id_col} > {p} ORDER BY {self.id_col} LIMIT {p}",
                (pos, page),
            ).fetchall()
            c.commit()
            if not rows:
                return total
            c.cursor().executemany(
                f"INSERT INTO raw_view VALUES ({p}, {p}, {p})",
                [(r[0], r[1], len(orjson.loads(r[2]) if decode else r[2])) for r in rows],
            )
            pos = rows[-1][0]
            c.execute(f"UPDATE raw_tracking SET pos = {p} WHERE name = 'raw'", (pos,))
            c.commit()
            total += len(rows)

    def read_case(self, ref: str, decode: bool) -> int:
        oid: Any = review_id("GSCP", ref) if self.pg else review_id("GSCP", ref).hex
        rows = self.conn.execute(
            f"SELECT originator_version, state FROM {self.table} "
            f"WHERE originator_id = {self.p} ORDER BY originator_version",
            (oid,),
        ).fetchall()
        self.conn.commit()
        if decode:
            for r in rows:
                orjson.loads(r[1])
        return len(rows)

    def close(self) -> None:
        self.conn.close()


# ------------------------------------------------------------------- measuring


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    return statistics.median(timed(fn)[0] for _ in range(repeat)) * 1000


def run(kind: str, cases: int, long_case: int, stock_events: int, batch: int) -> dict[str, Any]:
    out: dict[str, Any] = {"store": kind}
    with store(kind) as settings:
        services = bootstrap(settings)
        svc = services.reviews
        try:
            _secs, events = timed(
                lambda: sum(
                    build_case(svc, f"B-{i:05d}", checkpoints=i % 5, partnership="GSCP")
                    for i in range(cases)
                )
            )
            long_n = build_case(
                svc, "B-LONG", checkpoints=long_case - 1 - len(TO_LCSPR), partnership="WSCP"
            )
            events += long_n
            # the log also holds the partnership's registration (its policy as data)
            events = int(svc.recorder.max_notification_id() or 0)
            out["events"], out["long_case_events"] = events, long_n
            print(f"[{kind}] wrote {events} events ({cases} cases + one of {long_n})", flush=True)

            raw = RawDB(settings)
            try:
                # 1. batched runner: all three read models from zero
                runner = ProjectionRunner(svc, build_projections(svc), batch_size=batch)
                secs, applied = timed(runner.catch_up)
                assert applied == len(runner.projections) * events, (applied, events)
                out["batched_events_per_s"] = events / secs
                out["batched_seconds"] = secs

                # 2. stock approach: one transaction per event, same projections
                stock = ProjectionRunner(svc, build_projections(svc), batch_size=1)
                for name in stock.projections:
                    with stock.db.transaction() as cur:
                        stock.projections[name].reset(cur)
                        cur.execute(
                            "UPDATE {projection_tracking} SET position = 0 WHERE projection = ?",
                            (name,),
                        )
                n_stock = min(stock_events, events)

                def stock_run() -> None:
                    for _ in range(n_stock):
                        for name in stock.projections:
                            stock.run_batch(name)

                secs, _ = timed(stock_run)
                out["stock_events_per_s"] = n_stock / secs
                out["stock_events"] = n_stock

                # 3. raw limit: plain driver, same rows, one transaction per page
                secs, n = timed(lambda: raw.catch_up(batch))
                assert n == events
                out["raw_events_per_s"] = events / secs

                # 4. case history of the long case
                now = datetime.now(UTC)
                out["history_ms"] = median_ms(lambda: svc.history("WSCP", "B-LONG"), 7)
                out["state_as_at_ms"] = median_ms(lambda: svc.state_as_at("WSCP", "B-LONG", now), 7)
                out["raw_read_ms"] = median_ms(lambda: raw.read_case("B-LONG", False), 7)
                out["raw_read_decode_ms"] = median_ms(lambda: raw.read_case("B-LONG", True), 7)
            finally:
                raw.close()
        finally:
            services.close()
    return out


def report(r: dict[str, Any]) -> str:
    speedup = r["batched_events_per_s"] / r["stock_events_per_s"]
    return "\n".join(
        [
            f"store: {r['store']}   events: {r['events']}   long case: {r['long_case_events']}",
            "projection catch-up (all three read models), events/second:",
            f"  batched runner                 {r['batched_events_per_s']:>10,.0f}",
            f"  stock, 1 transaction per event {r['stock_events_per_s']:>10,.0f}"
            f"   (first {r['stock_events']} events; batched is {speedup:.1f}x faster)",
            f"  raw limit (plain driver)       {r['raw_events_per_s']:>10,.0f}",
            f"case history of {r['long_case_events']} events, median ms:",
            f"  history()                      {r['history_ms']:>10.1f}",
            f"  state_as_at()                  {r['state_as_at_ms']:>10.1f}",
            f"  raw read                       {r['raw_read_ms']:>10.1f}",
            f"  raw read + JSON decode         {r['raw_read_decode_ms']:>10.1f}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--store", choices=["sqlite", "postgres", "both"], default="sqlite")
    p.add_argument("--cases", type=int, default=1000, help="cases of 11-15 events each")
    p.add_argument("--long-case", type=int, default=1000, help="events in the long case")
    p.add_argument("--stock-events", type=int, default=1000)
    p.add_argument("--batch", type=int, default=500)
    a = p.parse_args(argv)
    kinds = ["sqlite", "postgres"] if a.store == "both" else [a.store]
    for kind in kinds:
        print(report(run(kind, a.cases, a.long_case, a.stock_events, a.batch)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
