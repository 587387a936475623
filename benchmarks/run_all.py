"""Every benchmark of issue 12 that runs without Temporal, in one run, each beside the raw
limit of the same machine measured in the same run; writes the table into README.md.

    .venv/bin/python benchmarks/run_all.py                          # SQLite, ~110k events
    .venv/bin/python benchmarks/run_all.py --store both --partnerships 14   # ~500k events
    .venv/bin/python benchmarks/run_all.py --quick --no-write       # seconds (smoke test)

The data set is ``benchmarks/generate.py``'s (``--partnerships`` x ``--years`` of every
lifecycle, written through the aggregates). Medians of ``--repeat`` runs. With
``--temporal``, the Temporal lines of the issue's table too: the time-skipping lifecycle
(``benchmarks/lifecycle.py``), ``qa-engine dev`` ready (``benchmarks/startup.py``) and steps
through the dev server (``benchmarks/workflow_throughput.py``), each beside its bare
Temporal reference.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import Volumes, generate  # noqa: E402
from benchmarks.read_side import ACTOR, AWARE, RawDB, build_case  # noqa: E402
from benchmarks.stores import store  # noqa: E402
from domain.review import COMMANDS  # noqa: E402
from domain.review.aggregate import review_id  # noqa: E402
from domain.tenancy import Principal, Role  # noqa: E402
from projections import queries  # noqa: E402
from projections.catalogue import build_runner  # noqa: E402
from projections.views import unpack_state  # noqa: E402
from qa_engine.bootstrap import bootstrap  # noqa: E402
from qa_engine.config import Settings  # noqa: E402
from qa_engine.entry.web.pages import inbox_items  # noqa: E402
from qa_engine.entry.web.server import settle_the_heap  # noqa: E402

README = ROOT / "benchmarks" / "README.md"
BEGIN, END = "<!-- run_all: begin -->", "<!-- run_all: end -->"
AS_AT = date(2025, 12, 31)


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def median(fn: Callable[[], Any], repeat: int) -> float:
    return statistics.median(timed(fn) for _ in range(repeat))


def p95(samples: list[float]) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]


class Raw:
    """Plain driver on the same database: the raw limits."""

    def __init__(self, settings: Settings) -> None:
        self.pg = settings.store == "postgres"
        if self.pg:
            self.conn: Any = psycopg.connect(
                host=settings.postgres_host,
                port=settings.postgres_port,
                user=settings.postgres_user,
                dbname=settings.postgres_db,
            )
            self.p, self.table, self.id_col = "%s", "qa_engine_events", "notification_id"
        else:
            self.conn = sqlite3.connect(settings.sqlite_file)
            self.p, self.table, self.id_col = "?", "stored_events", "rowid"

    def settle(self) -> None:
        """Write the bulk-loaded data back (a WAL checkpoint on SQLite, a CHECKPOINT on
        PostgreSQL) so that the step timings that follow do not pay for it."""
        if self.pg:
            self.conn.commit()
        else:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.conn.commit()

    def append(self, n: int, size: int, anchor: Path | None = None) -> float:
        """Seconds per row: one row of ``size`` bytes per transaction; with ``anchor``,
        then a small file written, fsynced and renamed over it after each commit (the
        ledger anchor's durable write outside the database: the design's floor)."""
        c, p = self.conn, self.p
        c.execute(
            "CREATE TABLE IF NOT EXISTS raw_append (id TEXT, v INT, data BYTEA)".replace(
                "BYTEA", "BYTEA" if self.pg else "BLOB"
            )
        )
        c.commit()
        blob = os.urandom(size)
        t0 = time.perf_counter()
        for i in range(n):
            c.execute(f"INSERT INTO raw_append VALUES ({p}, {p}, {p})", ("x", i, blob))
            c.commit()
            if anchor is not None:
                tmp = anchor.with_name(anchor.name + ".tmp")
                with open(tmp, "wb") as f:
                    f.write(orjson.dumps({"notification_id": i, "mac": blob[:32].hex()}))
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, anchor)
        return (time.perf_counter() - t0) / n

    def read_all(self, page: int, decode: bool = False) -> int:
        """Read every stored event, in pages (the rows a rebuild reads); ``decode``:
        and ``orjson.loads`` each (the least a projection in Python does with one)."""
        pos, total, p = 0, 0, self.p
        while True:
            rows = self.conn.execute(
                f"SELECT {self.id_col}, topic, state FROM {self.table} "
                f"WHERE {self.id_col} > {p} ORDER BY {self.id_col} LIMIT {p}",
                (pos, page),
            ).fetchall()
            self.conn.commit()
            if not rows:
                return total
            if decode:
                for r in rows:
                    orjson.loads(r[2])
            pos, total = rows[-1][0], total + len(rows)

    def oversight(self, partnership: str | None) -> int:
        """An indexed select of the same rows the oversight query returns."""
        where, args = ("WHERE partnership = " + self.p, (partnership,)) if partnership else ("", ())
        rows = self.conn.execute(
            f"SELECT * FROM oversight {where} ORDER BY next_due_on", args
        ).fetchall()
        self.conn.commit()
        return len(rows)

    def inbox(self, partnership: str) -> int:
        """The same rows with their folded states (one join), each state unpacked and
        ``orjson.loads``-ed: the least an inbox reading the states does."""
        p = self.p
        rows = self.conn.execute(
            "SELECT o.*, s.state FROM oversight o LEFT JOIN projection_state s "
            f"ON s.projection = 'oversight' AND s.originator_id = o.originator_id "
            f"WHERE o.partnership = {p} ORDER BY o.next_due_on",
            (partnership,),
        ).fetchall()
        self.conn.commit()
        for r in rows:
            if r[-1] is not None:
                orjson.loads(unpack_state(r[-1]))
        return len(rows)

    def read_case(self, oid: Any) -> int:
        rows = self.conn.execute(
            f"SELECT originator_version, state FROM {self.table} "
            f"WHERE originator_id = {self.p} ORDER BY originator_version",
            (oid if self.pg else oid.hex,),
        ).fetchall()
        self.conn.commit()
        for r in rows:
            orjson.loads(r[1])
        return len(rows)

    def close(self) -> None:
        self.conn.close()


_CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from projections.catalogue import build_runner
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
services = bootstrap(Settings.model_validate_json(sys.argv[1]))
runner = build_runner(services.reviews)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
runner.rebuild_all()
print(json.dumps([time.perf_counter() - t0, base]))
services.close()
"""


#: what the child needs to open the same store (no secrets: trust auth, key files)
_SAME = {"store", "data_dir", "sqlite_path", "postgres_host", "postgres_port", "postgres_db"}


def rebuild_in_child(settings: Settings) -> tuple[float, float, float]:
    """``rebuild_all`` in a fresh process: seconds, its peak RSS (MB), and its RSS before
    the rebuild started (MB: interpreter, imports, connections)."""
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, settings.model_dump_json(include=_SAME), str(ROOT)],
        stdout=subprocess.PIPE,
        text=True,
    )
    out = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise RuntimeError(f"rebuild in a child process failed ({status})")
    secs, base = orjson.loads(out.strip().splitlines()[-1])
    return float(secs), usage.ru_maxrss / 1024, float(base) / 1024


def projection_lag(svc: Any, listen: bool, samples: int) -> list[float]:
    """Seconds from a case reported (its save committed) to its row in the oversight
    view, with ``run_forever`` following the log (poll interval 1 s)."""
    import asyncio
    import threading

    runner = build_runner(svc)
    runner.catch_up()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(
        target=loop.run_until_complete,
        args=(runner.run_forever(stop, poll_seconds=1.0, listen=listen),),
        daemon=True,
    )
    thread.start()
    time.sleep(1.5)  # started, caught up, waiting
    lags = []
    try:
        for i in range(samples):
            ref = f"LAG-{'N' if listen else 'P'}-{os.getpid() % 100000}-{i}"
            build_case(svc, ref, checkpoints=0, partnership="PAAA")
            t0 = time.perf_counter()
            while True:
                with runner.db.read() as cur:
                    found = cur.execute(
                        "SELECT 1 AS x FROM {oversight} WHERE ref = ?", (ref,)
                    ).fetchone()
                if found:
                    break
                time.sleep(0.002)
            lags.append(time.perf_counter() - t0)
            time.sleep(0.3)  # appends spread out, as people make them
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
    return lags


def checkpoint(svc: Any, partnership: str, ref: str, i: int | str) -> None:
    cmd = COMMANDS["record_progress_checkpoint"].model_validate(
        {"actor": ACTOR, "held_on": AWARE + timedelta(days=30), "status": "on_track"}
    )
    svc.record_step(
        partnership,
        ref,
        "record_progress_checkpoint",
        cmd,
        key=f"bench/{ref}/{i}",
        today=AWARE + timedelta(days=30),
    )


def run(
    kind: str,
    partnerships: int,
    years: int,
    volumes: Volumes,
    repeat: int,
    kept: tuple[Path, str | None] | None = None,
) -> list[Any]:
    """Every line for one store. ``kept``: measure on a store ``generate.py --keep`` wrote
    (its data directory and, for PostgreSQL, its database) instead of generating one;
    its cases this run adds are named apart from an earlier run's."""
    rows: list[tuple[str, str, float, float, str]] = []
    tag = f"-{os.getpid() % 100000}" if kept else ""
    short_ref, long_ref = f"B-SHORT{tag}", f"B-LONG{tag}"

    def line(measure: str, unit: str, ours: float, raw: float, how: str = "x") -> None:
        rows.append((measure, unit, ours, raw, how))
        print(
            f"[{kind}] {measure}: {ours:,.2f} vs raw {raw:,.2f} {unit} -> {shown(ours, raw, how)}",
            flush=True,
        )

    where = {"data_dir": kept[0], "database": kept[1]} if kept else {}
    with store(kind, **where) as settings:  # type: ignore[arg-type]
        services = bootstrap(settings)
        svc = services.reviews
        raw = Raw(settings)
        try:
            if kept is None:
                secs = timed(
                    lambda: generate(
                        services,
                        partnerships=partnerships,
                        years=years,
                        as_at=AS_AT,
                        volumes=volumes,
                    )
                )
                events = int(svc.recorder.max_notification_id() or 0)
                print(f"[{kind}] generated {events:,} events in {secs:.1f} s", flush=True)

            # 1. a step appended through the service vs one raw row per transaction
            build_case(svc, short_ref, checkpoints=9, partnership="PAAA")  # ~20 events
            build_case(svc, long_ref, checkpoints=190, partnership="PAAA")  # ~200 events
            # the bulk-written data set flushed first (its pages written back), and each
            # case loaded once: a worker is a long-lived process that has seen its cases
            raw.settle()
            for ref in (short_ref, long_ref):
                for i in range(3):
                    checkpoint(svc, "PAAA", ref, f"warm{i}")
            cold = timed(lambda: svc.history("PAAA", long_ref))  # noqa: F841 - pages warmed
            # the two cases' steps interleaved, so that a pause of the machine or the
            # database (a checkpoint, another process) falls on both alike
            n = max(repeat * 10, 10)
            shorts, longs = [], []
            for i in range(n):
                shorts.append(timed(lambda i=i: checkpoint(svc, "PAAA", short_ref, i)))
                longs.append(timed(lambda i=i: checkpoint(svc, "PAAA", long_ref, i)))
            short, long = statistics.median(shorts), statistics.median(longs)
            per_row = raw.append(n * 4, 1200)
            line(
                "step append at event ~20 (ms), throughput vs raw",
                "ms",
                short * 1e3,
                per_row * 1e3,
                "%",
            )
            line("step at event ~200 vs at ~20 (ms)", "ms", long * 1e3, short * 1e3)
            floor = raw.append(n * 4, 1200, anchor=settings.data_dir / "raw-anchor.json")
            line(
                "the floor of the design: raw row + the anchor file's durable write per "
                "commit (ms), throughput vs raw",
                "ms",
                floor * 1e3,
                per_row * 1e3,
                "%",
            )

            # 2. projection catch-up and rebuild vs raw
            runner = build_runner(svc)
            head = int(svc.recorder.max_notification_id() or 0)
            runner.reset_all()  # a kept store's views from an earlier run: from zero
            catch = timed(runner.catch_up)
            raw_rw = RawDB(settings)
            try:
                raw_catch = timed(lambda: raw_rw.catch_up(500))
                decode_catch = timed(lambda: raw_rw.catch_up(500, decode=True))
            finally:
                raw_rw.close()
            line(
                f"projection catch-up of {head:,} events (s), rate vs raw read+write",
                "s",
                catch,
                raw_catch,
                "%",
            )
            line(
                "the floor in Python: raw read + `orjson.loads` + write of every event (s), "
                "rate vs raw read+write",
                "s",
                decode_catch,
                raw_catch,
                "%",
            )
            # the rebuild runs in a process of its own: its time, and its peak RSS
            # beside the same process's before it started (one rebuild, not two: at 5 M
            # events each takes minutes)
            raw_read = median(lambda: raw.read_all(500), repeat)
            alone, peak_mb, base_mb = rebuild_in_child(settings)
            line(f"projections rebuild of {head:,} events vs raw read (s)", "s", alone, raw_read)
            line(
                "the floor in Python: raw read + `orjson.loads` of every event vs raw read (s)",
                "s",
                median(lambda: raw.read_all(500, decode=True), repeat),
                raw_read,
            )
            line(
                f"projections rebuild of {head:,} events: peak RSS of its process (MB) "
                "vs the same process before rebuilding",
                "MB",
                peak_mb,
                base_mb,
            )

            # 3. oversight (all open rows, one partnership) and an inbox, p50 and p95, in a
            # process settled as the web server settles itself once started (its start-up
            # heap frozen out of the collector's sight: no full-heap pause per request)
            settle_the_heap()
            cal = svc.calendar
            samples = max(repeat * 10, 20)

            def over(part: str | None) -> list[Any]:
                return queries.oversight(
                    runner.db, today=AS_AT, calendar=cal, amber_working_days=3, partnership=part
                )

            def inbox(who: Principal) -> tuple[list[Any], list[Any]]:
                return inbox_items(
                    services, runner, who, today=AS_AT, calendar=cal, amber_working_days=3
                )

            manager = Principal(
                subject="bench-bm",
                name="Bench Manager",
                partnership="PAAA",
                roles=(Role.BUSINESS_MANAGER,),
            )
            lead = Principal(
                subject="bench-lead",
                name="Bench Lead",
                partnership="PAAA",
                roles=(Role.AGENCY_LEAD,),
                agencies=("POLICE",),
            )
            rows_only = "a raw indexed select of its oversight rows"
            with_states = "a raw select of its rows joined with their states, decoded"
            reads: list[tuple[str, Callable[[], Any], Callable[[], Any], str]] = [
                (
                    "oversight query, all partnerships",
                    lambda: over(None),
                    lambda: raw.oversight(None),
                    rows_only,
                ),
                (
                    "oversight query, one partnership",
                    lambda: over("PAAA"),
                    lambda: raw.oversight("PAAA"),
                    rows_only,
                ),
                (
                    "inbox of a business manager (one partnership)",
                    lambda: inbox(manager),
                    lambda: raw.inbox("PAAA"),
                    with_states,
                ),
                (
                    "inbox of an agency lead (police)",
                    lambda: inbox(lead),
                    lambda: raw.inbox("PAAA"),
                    with_states,
                ),
            ]
            for label, read, raw_read, reference in reads:
                raw_read()  # each side's first read warms its caches
                first = read()
                n_rows = len(first) if isinstance(first, list) else sum(map(len, first))
                ours = [timed(read) for _ in range(samples)]
                raws = [timed(raw_read) for _ in range(samples)]
                what = "rows" if isinstance(first, list) else "tasks"
                for q, pick in (("p50", statistics.median), ("p95", p95)):
                    line(
                        f"{label} ({n_rows:,} {what}), {q} (ms), vs {reference}",
                        "ms",
                        pick(ours) * 1e3,
                        pick(raws) * 1e3,
                    )

            # the same query as a command (a process: interpreter, imports, the query)
            # beside a bare interpreter's start, p50 of a few runs
            env = {
                **os.environ,
                **{
                    f"QA_{k.upper()}": str(v)
                    for k, v in settings.model_dump(include=_SAME).items()
                    if v is not None
                },
                "QA_ACTOR_NAME": "Bench Manager",
                "QA_ACTOR_ROLE": Role.BUSINESS_MANAGER.value,
                "QA_PARTNERSHIP": "PAAA",
            }
            command = [
                str(Path(sys.executable).parent / "qa-engine"),
                "oversight",
                "--partnership",
                "PAAA",
                "--json",
                "--no-catch-up",
                "--today",
                AS_AT.isoformat(),
            ]
            runs = max(repeat, 5)
            cli = statistics.median(
                timed(lambda: subprocess.run(command, env=env, check=True, capture_output=True))
                for _ in range(runs)
            )
            bare = statistics.median(
                timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
                for _ in range(runs)
            )
            line(
                "`qa-engine oversight --partnership PAAA --json --no-catch-up` command, p50 (s), "
                "vs a bare `python -c pass`",
                "s",
                cli,
                bare,
            )

            # 4. a case's history vs raw read + JSON decode
            oid = review_id("PAAA", long_ref)
            hist = median(lambda: svc.history("PAAA", long_ref), repeat)
            raw_hist = median(lambda: raw.read_case(oid), repeat)
            line(
                f"history of a {len(svc.history('PAAA', long_ref))}-event case (ms)",
                "ms",
                hist * 1e3,
                raw_hist * 1e3,
            )
            # 5. projection lag: append -> visible in the oversight view
            if kind == "postgres":
                n = max(repeat * 3, 5)
                polled = projection_lag(svc, False, n)
                notified = projection_lag(svc, True, n)
                line(
                    "projection lag, append to oversight row, p95 (ms): LISTEN/NOTIFY "
                    "vs polling every 1 s",
                    "ms",
                    p95(notified) * 1e3,
                    p95(polled) * 1e3,
                    "sooner",
                )
        finally:
            raw.close()
            services.close()
    return [(kind, *r) for r in rows]


def temporal(repeat: int, cases: int) -> list[Any]:
    """The Temporal lines: each beside the bare Temporal reference of the same run."""
    import asyncio

    from benchmarks import lifecycle, startup, workflow_throughput

    rows: list[Any] = []

    def line(measure: str, unit: str, ours: float, raw: float, how: str = "x") -> None:
        rows.append(("temporal", measure, unit, ours, raw, how))
        print(
            f"[temporal] {measure}: {ours:,.2f} vs raw {raw:,.2f} {unit} "
            f"-> {shown(ours, raw, how)}",
            flush=True,
        )

    life = asyncio.run(lifecycle.measure(repeat))
    line(
        "full review lifecycle on the time-skipping server vs a bare workflow with a "
        "180-day timer, workflows alone (s)",
        "s",
        life["lifecycle"],
        life["timer"],
    )
    line(
        "the same, each with its server's and workers' start (s)",
        "s",
        life["lifecycle_with_start"],
        life["timer_with_start"],
    )
    start = startup.measure(repeat)
    line(
        "`qa-engine dev --no-demo` ready vs bare `temporal server start-dev` (s)",
        "s",
        start["nodemo"],
        start["bare"],
    )
    line(
        "`qa-engine dev` with the demo ready vs the same bare server (s)",
        "s",
        start["demo"],
        start["bare"],
    )
    line(
        "import floor (a process importing what `dev` runs) vs the same bare server (s)",
        "s",
        start["imports"],
        start["bare"],
    )
    flow = asyncio.run(workflow_throughput.measure(cases, concurrency=min(20, cases)))
    line(
        f"{cases} cases reported + 2 steps through the dev server vs as many bare workflows "
        "of 3 no-op activities, throughput (ms a case)",
        "ms",
        1e3 / flow["qa_per_s"],
        1e3 / flow["raw_per_s"],
        "%",
    )
    return rows


def shown(ours: float, raw: float, how: str) -> str:
    """The ratio as the table shows it: ``x`` ours / raw, ``%`` raw / ours (a rate),
    ``sooner`` raw / ours (how many times sooner)."""
    if how == "%":
        return f"{100 * raw / ours:.0f} % of raw"
    if how == "sooner":
        return f"{raw / ours:.0f}x sooner"
    return f"{ours / raw:.1f}x"


def table(results: list[Any], machine: str, note: str) -> str:
    out = [
        f"Machine: {machine}. {note}",
        "",
        "| store | measure | qa-engine | raw, same run | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    for kind, measure, unit, ours, raw, how in results:
        ratio = shown(ours, raw, how)
        out.append(f"| {kind} | {measure} | {ours:,.2f} {unit} | {raw:,.2f} {unit} | {ratio} |")
    return "\n".join(out)


def machine() -> str:
    return (
        f"{os.cpu_count()} CPU {platform.machine()} ({platform.processor() or platform.system()}), "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def write_readme(text: str, name: str = "") -> None:
    """The table between its markers in README.md (``name`` for a second table, as the
    national-scale run's: ``<!-- run_all NAME: begin -->``)."""
    readme = README.read_text()
    begin, end = (
        (BEGIN, END)
        if not name
        else (f"<!-- run_all {name}: begin -->", f"<!-- run_all {name}: end -->")
    )
    block = f"{begin}\n{text}\n{end}"
    if begin in readme:
        readme = re.sub(
            re.escape(begin) + ".*?" + re.escape(end), lambda _: block, readme, flags=re.S
        )
    else:
        readme = readme.rstrip() + "\n\n# All benchmarks: `run_all.py`\n\n" + block + "\n"
    README.write_text(readme)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--store",
        choices=["sqlite", "postgres", "both", "none"],
        default="sqlite",
        help="none: only the Temporal lines (with --temporal)",
    )
    p.add_argument("--partnerships", type=int, default=3)
    p.add_argument("--years", type=int, default=10)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    p.add_argument("--no-write", action="store_true", help="print only; leave README.md")
    p.add_argument(
        "--table", default="", help="write the table between README.md's markers of this name"
    )
    p.add_argument(
        "--temporal",
        action="store_true",
        help="the Temporal lines too (time-skipping lifecycle, dev start, dev-server steps)",
    )
    p.add_argument(
        "--cases", type=int, default=100, help="--temporal: cases through the dev server"
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="measure on the store `generate.py --keep` wrote there (no generation; one --store)",
    )
    p.add_argument(
        "--database", default=None, help="with --data-dir and --store postgres: its database"
    )
    a = p.parse_args(argv)
    if a.data_dir is not None and (
        a.store == "both" or (a.store == "postgres") != bool(a.database)
    ):
        p.error("--data-dir takes one --store; PostgreSQL needs --database, SQLite none")
    kept = (a.data_dir, a.database) if a.data_dir is not None else None
    volumes = Volumes()
    if a.quick:
        a.partnerships, a.years, a.repeat = 1, 1, 1
        volumes = Volumes(reviews=2, audits=3)
        a.cases = min(a.cases, 5)
    kinds = {"both": ["sqlite", "postgres"], "none": []}.get(a.store, [a.store])
    results: list[Any] = []
    t0 = time.perf_counter()
    for kind in kinds:
        results += run(kind, a.partnerships, a.years, volumes, a.repeat, kept)
    if a.temporal:
        results += temporal(a.repeat, a.cases)
    made = (
        f"--data-dir {a.data_dir}" + (f" --database {a.database}" if a.database else "")
        if kept
        else f"--partnerships {a.partnerships} --years {a.years}"
    )
    note = (
        f"`run_all.py --store {a.store} {made}"
        f"{' --temporal' if a.temporal else ''}` "
        f"({time.perf_counter() - t0:.0f} s); medians (p95 where named) of repeated runs; "
        "shared with other sessions, so read the ratios, not the absolute figures."
    )
    text = table(results, machine(), note)
    print(text)
    if not a.no_write:
        write_readme(text, a.table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
