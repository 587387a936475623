"""Process-kill fault run (issue 11): real CLI commands while the worker, the Temporal
dev server and the projection runner are SIGKILLed and restarted at random.

Every process is a real one, started the way an operator would: ``temporal server
start-dev`` on a SQLite file, ``qa-engine worker``, ``qa-engine projections run``, and
each step a ``qa-engine`` command in its own process. Each case goes from its report
to a rapid review meeting (7 commands). A command that ends with exit 4 (no worker,
Temporal unreachable, outcome unknown) is re-run as an operator would: the same
command, so the same derived request id. At the end, with every process up again,
each case's stored history is compared with a case run without faults:

- **lost**: a step that answered exit 0 (or an event of the fault-free case) that
  is not in the store;
- **duplicated**: a step event recorded twice, or a clock event twice for one clock;
- **wedged**: a command that did not succeed within its budget, or a read model
  that did not catch up with the log within its budget.

A second kind of case, a **conflict** (``--conflicts``): after the report, two callers
send conflicting SIN decisions at once (criteria met / not met, each re-run on exit 4
like any command) while the kills go on. Exactly one must win (exit 0, its decision
the one stored, once); the other must be refused by a rule (exit 1 naming the rule),
never by a conflict count, a traceback or a wedge.

    .venv/bin/python -m tests.faults.kill_run --cases 100   # the full run (README)

The short run is ``tests/faults/test_kill_run.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.entry.temporal import temporal_binary
from workflows.contracts import SEARCH_ATTRIBUTES

__all__ = ["Figures", "run"]

DAY = date(2025, 3, 3).isoformat()  # a past Monday: every clock is due at once
#: events of clocks (one per clock and kind); every other event is a step's
CLOCK_EVENTS = ("Reminder", "Breach", "Escalat")


@dataclass
class Figures:
    cases: int = 0
    commands: int = 0
    reruns: int = 0
    kills: Counter[str] = field(default_factory=Counter)
    conflicts: int = 0
    lost: int = 0
    duplicated: int = 0
    wedged: int = 0
    #: conflicts without exactly one winner and one refusal by a rule
    conflicts_unresolved: int = 0
    #: cases (of both kinds) with nothing lost, duplicated, wedged or unresolved
    survived: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        kills = ", ".join(f"{n} {k}" for k, n in sorted(self.kills.items())) or "none"
        return (
            f"{self.cases} cases + {self.conflicts} conflicts tried, {self.survived} survived;"
            f" {self.commands} commands ({self.reruns} re-runs after exit 4),"
            f" kills: {kills}; lost {self.lost}, duplicated {self.duplicated},"
            f" wedged {self.wedged}, conflicts unresolved {self.conflicts_unresolved}"
            f" in {self.seconds:.0f}s"
        )


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def case_commands(ref: str, n: int) -> list[list[str]]:
    """The commands of one case, from its report to a rapid review meeting."""
    return [
        [
            "case",
            "report",
            "--case-ref",
            ref,
            "--partnership",
            "GSCP",
            "--incident-on",
            DAY,
            "--aware-on",
            DAY,
            "--child-refs",
            f"C-{40000 + n}",
            "--abuse-or-neglect",
            "--harm",
            "died",
        ],
        ["case", "record-panel-notification", ref, "--notified-on", DAY],
        ["case", "record-partners-informed", ref, "--informed-on", DAY],
        [
            "case",
            "record-threshold-decision",
            ref,
            "--met",
            "--decided-on",
            DAY,
            "--rationale",
            "criteria met",
        ],
        [
            "case",
            "request-agency-summaries",
            ref,
            "--requested-on",
            DAY,
            "--requests",
            f"POLICE={DAY}",
        ],
        ["case", "record-agency-summary", ref, "--agency", "POLICE", "--received-on", DAY],
        [
            "case",
            "record-rapid-review-meeting",
            ref,
            "--held-on",
            DAY,
            "--agencies-present",
            "LA",
            "--agencies-present",
            "POLICE",
        ],
    ]


def conflict_commands(ref: str) -> list[list[str]]:
    """Two callers' conflicting SIN decisions on one case (after its report)."""
    decide = ["case", "record-threshold-decision", ref, "--json", "--decided-on", DAY]
    return [
        [*decide, "--met", "--rationale", "criteria met"],
        [
            *decide,
            "--no-met",
            "--outcome-if-not-met",
            "case_based_review",
            "--rationale",
            "criteria not met",
        ],
    ]


class Fleet:
    """The dev server, the worker and the projection runner as killable processes."""

    def __init__(self, data_dir: Path, deadline: float) -> None:
        self.data_dir = data_dir
        self.port = _port()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.env = {
            **os.environ,
            "QA_DATA_DIR": str(data_dir),
            "QA_TEMPORAL_ADDRESS": f"127.0.0.1:{self.port}",
            "QA_TEMPORAL_TASK_QUEUE": "faults",
            "QA_PARTNERSHIP": "GSCP",
            "QA_ACTOR_NAME": "Casey Clerk",
            "QA_ACTOR_ROLE": "partnership business manager",
            "QA_LOG_LEVEL": "ERROR",
            "QA_STEP_DEADLINE_SECONDS": str(deadline),
            "QA_PROJECTION_POLL_SECONDS": "0.5",
        }
        self.log = open(data_dir / "fleet.log", "ab")  # noqa: SIM115 (closed in stop_all)

    def _argv(self, name: str) -> list[str]:
        if name == "server":
            attrs = [
                a
                for k in SEARCH_ATTRIBUTES
                for a in (
                    "--search-attribute",
                    f"{k.name}={k.indexed_value_type.name.title().replace('_', '')}",
                )
            ]
            return [
                temporal_binary(),
                "server",
                "start-dev",
                "--headless",
                "--ip",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--http-port",
                str(_port()),
                "--metrics-port",
                str(_port()),
                "--db-filename",
                str(self.data_dir / "temporal.sqlite3"),
                "--log-level",
                "error",
                *attrs,
            ]
        cli = [sys.executable, "-m", "qa_engine.entry.cli"]
        return [*cli, "worker"] if name == "worker" else [*cli, "projections", "run"]

    def start(self, name: str) -> None:
        self.procs[name] = subprocess.Popen(
            self._argv(name), env=self.env, stdout=self.log, stderr=self.log
        )

    def kill(self, name: str) -> None:
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()

    def stop_all(self) -> None:
        for name in ("projections", "worker", "server"):
            self.kill(name)
        self.log.close()

    async def wait_for_server(self, budget: float = 30) -> None:
        end = time.monotonic() + budget
        while time.monotonic() < end:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return
            await asyncio.sleep(0.2)
        raise RuntimeError("the dev server did not start")

    async def cli(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        r = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "qa_engine.entry.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        with open(self.data_dir / "commands.log", "a") as log:
            log.write(f"{time.time():.1f} exit {r.returncode} {' '.join(args[:3])}\n")
            log.write("".join(f"    {line}\n" for line in r.stderr.splitlines()[-3:]))
        return r


async def _chaos(
    fleet: Fleet,
    figures: Figures,
    stop: asyncio.Event,
    rng: random.Random,
    pause: tuple[float, float],
) -> None:
    """Kill a process every ``pause`` seconds (the worker most often), restart it
    0.5-3 s later."""
    weights = {"worker": 0.75, "projections": 0.18, "server": 0.07}
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), rng.uniform(*pause))
        if stop.is_set():
            return
        name = rng.choices(list(weights), list(weights.values()))[0]
        fleet.kill(name)
        figures.kills[name] += 1
        await asyncio.sleep(rng.uniform(0.5, 3))
        fleet.start(name)
        if name == "server":
            await fleet.wait_for_server()


async def _drive(
    fleet: Fleet,
    ref: str,
    n: int,
    figures: Figures,
    budget: float,
    rng: random.Random,
    *,
    commands: list[list[str]] | None = None,
) -> bool:
    """Run one case's commands in order; exit 4 -> the same command again. False if
    one did not succeed within ``budget`` (wedged)."""
    for args in case_commands(ref, n) if commands is None else commands:
        end = time.monotonic() + budget
        first = True
        while True:
            r = await fleet.cli(args)
            figures.commands += 1
            figures.reruns += 0 if first else 1
            first = False
            already = args[1] == "report" and "already exists" in r.stderr
            if r.returncode == 0 or already:
                break
            if r.returncode != 4 or "Traceback" in r.stderr:
                figures.problems.append(f"{ref} {args[1]}: exit {r.returncode}: {r.stderr[-300:]}")
                if r.returncode != 4:
                    break
            if time.monotonic() > end:
                figures.wedged += 1
                figures.problems.append(f"{ref} {args[1]}: no success within {budget:.0f}s")
                return False
            await asyncio.sleep(rng.uniform(0.2, 1.0))
    return True


async def _one_caller(
    fleet: Fleet, ref: str, args: list[str], figures: Figures, budget: float, rng: random.Random
) -> tuple[int, dict[str, object]]:
    """One caller of a conflict: the command until it is answered (exit 0, or a refusal
    by a rule); exit 4 -> the same command again. Its last exit and JSON answer."""
    end = time.monotonic() + budget
    first = True
    while True:
        r = await fleet.cli(args)
        figures.commands += 1
        figures.reruns += 0 if first else 1
        first = False
        if "Traceback" in r.stderr:
            figures.problems.append(f"{ref} conflict: traceback: {r.stderr[-300:]}")
        if r.returncode != 4:
            try:
                answer = json.loads(r.stdout.splitlines()[-1]) if r.stdout.strip() else {}
            except ValueError:
                answer = {}
            return r.returncode, answer
        if time.monotonic() > end:
            figures.wedged += 1
            figures.problems.append(f"{ref} conflict: no answer within {budget:.0f}s")
            return 4, {}
        await asyncio.sleep(rng.uniform(0.2, 1.0))


async def _drive_conflict(
    fleet: Fleet, ref: str, n: int, figures: Figures, budget: float, rng: random.Random
) -> list[tuple[int, dict[str, object]]] | None:
    """A conflict case: its report, then the two conflicting decisions at once."""
    if not await _drive(fleet, ref, n, figures, budget, rng, commands=case_commands(ref, n)[:1]):
        return None
    answers = await asyncio.gather(
        *(_one_caller(fleet, ref, a, figures, budget, rng) for a in conflict_commands(ref))
    )
    return list(answers)


def _resolved(
    ref: str, answers: list[tuple[int, dict[str, object]]] | None, got: list[tuple[str, str]]
) -> str | None:
    """Why a conflict is not resolved (exactly one winner whose decision is stored once,
    the other refused by a named rule), or None."""
    if answers is None:
        return f"{ref} conflict: the case was not reported"
    codes = sorted(code for code, _ in answers)
    if codes != [0, 1]:
        return f"{ref} conflict: exits {codes}, not one winner (0) and one refusal (1)"
    loser = next(a for code, a in answers if code == 1)
    if not loser.get("rule"):
        return f"{ref} conflict: the refusal names no rule: {loser}"
    winner = next(i for i, (code, _) in enumerate(answers) if code == 0)
    decided = [e for e, _ in got if e == "ThresholdDecided"]
    if len(decided) != 1:
        return f"{ref} conflict: {len(decided)} decisions stored"
    met = next(m for e, m in got if e == "ThresholdDecided")
    if met != str(winner == 0):
        return f"{ref} conflict: the stored decision (met={met}) is not the winner's"
    return None


def _events(settings: Settings, ref: str) -> list[tuple[str, str]]:
    """(event, its clock or deadline; a decision's ``met``) of one case, oldest first."""
    services = bootstrap(settings)
    try:
        return [
            (
                e.event,
                str(e.data.get("met"))
                if e.event == "ThresholdDecided"
                else str(e.data.get("deadline") or e.data.get("clock") or ""),
            )
            for e in services.reviews.history("GSCP", ref)
        ]
    finally:
        services.close()


def _tally(expected: set[str], got: list[tuple[str, str]]) -> tuple[int, int]:
    """(lost, duplicated) of one case against the fault-free case's step events."""
    steps = Counter(e for e, _ in got if not any(c in e for c in CLOCK_EVENTS))
    clocks = Counter(p for p in got if any(c in p[0] for c in CLOCK_EVENTS))
    lost = len(expected - set(steps))
    duplicated = sum(n - 1 for n in steps.values() if n > 1)
    duplicated += sum(n - 1 for n in clocks.values() if n > 1)
    return lost, duplicated


async def _projections_caught_up(fleet: Fleet, budget: float) -> bool:
    end = time.monotonic() + budget
    while time.monotonic() < end:
        r = await fleet.cli(["projections", "status", "--json"])
        if r.returncode == 0 and all(row["lag"] == 0 for row in json.loads(r.stdout)):
            return True
        await asyncio.sleep(0.5)
    return False


async def run(
    data_dir: Path,
    *,
    cases: int,
    concurrency: int = 4,
    seed: int = 11,
    budget: float = 180,
    pause: tuple[float, float] = (1, 4),
    deadline: float = 8,
    conflicts: int = 0,
    stop_after: float | None = None,
) -> Figures:
    """One fault run over ``cases`` lifecycles and ``conflicts`` conflict cases
    (spread among them); returns its figures. ``stop_after`` (seconds): no case is
    started after that, and the figures count the cases started."""
    rng = random.Random(seed)
    figures = Figures(cases=cases, conflicts=conflicts)
    started = time.monotonic()
    fleet = Fleet(data_dir, deadline)
    settings = Settings(data_dir=data_dir)
    try:
        fleet.start("server")
        await fleet.wait_for_server()
        fleet.start("worker")
        fleet.start("projections")
        # the fault-free case: which step events a case holds
        await _drive(fleet, "KILL-BASE", 0, figures, budget, rng)
        expected = {
            e for e, _ in _events(settings, "KILL-BASE") if not any(c in e for c in CLOCK_EVENTS)
        }
        stop = asyncio.Event()
        chaos = asyncio.create_task(_chaos(fleet, figures, stop, rng, pause))
        queue = [(f"KILL-{n:04d}", n) for n in range(1, cases + 1)]
        for c in range(1, conflicts + 1):  # spread among the lifecycles
            queue.insert(c * len(queue) // (conflicts + 1), (f"KILL-C{c:03d}", 50000 + c))
        answers: dict[str, list[tuple[int, dict[str, object]]] | None] = {}

        started_refs: list[str] = []
        last_start = None if stop_after is None else started + stop_after

        async def lane() -> None:
            while queue and (last_start is None or time.monotonic() < last_start):
                ref, n = queue.pop(0)
                started_refs.append(ref)
                if ref.startswith("KILL-C"):
                    answers[ref] = await _drive_conflict(fleet, ref, n, figures, budget, rng)
                else:
                    await _drive(fleet, ref, n, figures, budget, rng)

        await asyncio.gather(*(lane() for _ in range(concurrency)))
        stop.set()
        await chaos
        for name in ("server", "worker", "projections"):
            if fleet.procs[name].poll() is not None:
                fleet.start(name)
        await fleet.wait_for_server()
        wedged_refs = {p.split()[0] for p in figures.problems if "no success within" in p}
        lifecycles = [r for r in started_refs if not r.startswith("KILL-C")]
        figures.cases, figures.conflicts = len(lifecycles), len(started_refs) - len(lifecycles)
        for ref in lifecycles:
            try:
                lost, duplicated = _tally(expected, _events(settings, ref))
            except Exception as e:  # a case never opened is a lost case
                figures.problems.append(f"{ref}: {type(e).__name__}: {e}")
                lost, duplicated = len(expected), 0
            figures.lost += lost
            figures.duplicated += duplicated
            figures.survived += lost == duplicated == 0 and ref not in wedged_refs
        for ref in (r for r in started_refs if r.startswith("KILL-C")):
            try:
                got = _events(settings, ref)
            except Exception as e:
                figures.problems.append(f"{ref}: {type(e).__name__}: {e}")
                got = []
            lost, duplicated = _tally({"IncidentReported"}, got)
            why = _resolved(ref, answers.get(ref), got)
            if why is not None:
                figures.conflicts_unresolved += 1
                figures.problems.append(why)
            figures.lost += lost
            figures.duplicated += duplicated
            figures.survived += lost == duplicated == 0 and why is None
        if not await _projections_caught_up(fleet, budget=60):
            figures.wedged += 1
            figures.problems.append("the read models did not catch up within 60s")
    finally:
        fleet.stop_all()
        figures.seconds = time.monotonic() - started
    return figures


@contextlib.contextmanager
def _kept(path: str | None) -> Iterator[Path]:
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)
        yield Path(path)
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="qa-kill-") as tmp:
        yield Path(tmp)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--conflicts", type=int, default=20, help="conflict cases among the lifecycles"
    )
    parser.add_argument(
        "--stop-after",
        type=float,
        help="seconds after which no further case is started (the figures count those started)",
    )
    parser.add_argument("--data-dir", help="keep the stores here (default: a temporary directory)")
    ns = parser.parse_args(argv)
    with _kept(ns.data_dir) as data_dir:
        figures = asyncio.run(
            run(
                data_dir,
                cases=ns.cases,
                concurrency=ns.concurrency,
                seed=ns.seed,
                conflicts=ns.conflicts,
                stop_after=ns.stop_after,
            )
        )
    for p in figures.problems[:20]:
        print("problem:", p)
    print(figures.line())
    ok = figures.lost == figures.duplicated == figures.wedged == figures.conflicts_unresolved == 0
    return 0 if ok else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
