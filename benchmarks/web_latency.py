"""Page and API latency at N concurrent signed-in users against ``qa-engine dev``,
beside a bare endpoint of the same server in the same run.

    .venv/bin/python benchmarks/web_latency.py [--users 50] [--seconds 30]

One run, on this machine:

1. ``qa-engine dev`` in a fresh data directory on free ports (the real Temporal dev
   server, the worker, the projections and outbox sender, the web app and its demo
   records), as a subprocess; the benchmark waits for its banner.
2. ``--users`` accounts of the DEMO partnership are added to its account store (one in
   five the police's safeguarding lead, the others business managers), and each signs
   in through the sign-in form (password and its own TOTP code) to a session cookie.
3. Every user, concurrently, loops until ``--seconds`` are up over the same mix:
   pages (``/inbox``, ``/oversight``, a case page), API reads (a case's state from its
   workflow, the oversight read model) and the bare ``/healthz`` (no sign-in, no I/O),
   so the bare endpoint is measured under the same load in the same run. Each user
   waits for an answer before sending its next request (a closed loop).
4. A one-user pass of the same mix first gives the unloaded figures.

Latencies are wall-clock from the client, which runs in this process on the same
machine (it competes with the server for the CPU: the figures are an upper bound).
Performance is never asserted; ``tests/test_benchmark_smoke.py`` runs it tiny.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pyotp

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "benchmark-password-not-secret"

#: (class, path): the mix every user loops over
MIX: tuple[tuple[str, str], ...] = (
    ("page", "/inbox"),
    ("bare", "/healthz"),
    ("page", "/oversight"),
    ("api", "/partnerships/DEMO/reviews/DEMO-003"),
    ("bare", "/healthz"),
    ("page", "/records/reviews/DEMO-003"),
    ("api", "/partnerships/DEMO/oversight"),
    ("bare", "/healthz"),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_dev(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port, web = free_port(), free_port()
    env = {
        **os.environ,
        "QA_DATA_DIR": str(tmp),
        "QA_DEV_SERVER_PORT": str(port),
        "QA_DEV_SERVER_UI_PORT": str(free_port()),
        "QA_TEMPORAL_ADDRESS": f"127.0.0.1:{port}",
        "QA_WEB_PORT": str(web),
        "QA_CODEC_SERVER_PORT": str(free_port()),
        "QA_LOG_LEVEL": "ERROR",
    }
    errors = tmp / "dev-stderr.log"
    with errors.open("wb") as err:
        proc = subprocess.Popen(
            [str(BIN / "qa-engine"), "dev"], env=env, stdout=subprocess.PIPE, stderr=err
        )
    assert proc.stdout is not None
    deadline = time.monotonic() + 300
    for line in proc.stdout:
        if b"Press Ctrl-C to stop." in line:
            return proc, f"http://127.0.0.1:{web}"
        if time.monotonic() > deadline:
            break
    proc.terminate()
    code = proc.wait(timeout=60)
    said = errors.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"qa-engine dev ended without its banner (exit {code}):\n{said}")


def add_users(tmp: Path, n: int) -> list[tuple[str, str]]:
    """``n`` accounts of DEMO in dev's account store: (username, TOTP secret)."""
    from domain.tenancy import Role
    from qa_engine.accounts import AccountStore
    from qa_engine.config import Settings

    store = AccountStore(Settings(data_dir=tmp))
    try:
        users = []
        for i in range(n):
            police = i % 5 == 4
            username = f"bench{i:03d}"
            secret = store.add_account(
                username=username,
                name=f"Benchmark user {i}",
                partnership="DEMO",
                roles=(Role.AGENCY_LEAD if police else Role.BUSINESS_MANAGER,),
                agencies=("POLICE",) if police else (),
                password=PASSWORD,
            )
            users.append((username, secret))
        return users
    finally:
        store.close()


async def sign_in(http: httpx.AsyncClient, username: str, secret: str) -> str:
    """Through the sign-in form, as a browser does; the session cookie's value. (The
    cookies are Secure: browsers send them to http://localhost, httpx does not, so they
    are sent by hand.)"""
    form = await http.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None, form.text
    r = await http.post(
        "/sign-in",
        data={
            "username": username,
            "password": PASSWORD,
            "code": pyotp.TOTP(secret).now(),
            "csrf_token": token.group(1),
        },
        headers={"Cookie": f"qa_csrf={form.cookies['qa_csrf']}", "Accept": "text/html"},
    )
    assert r.status_code == 303, (r.status_code, r.text)
    return str(r.cookies["qa_session"])


async def user(
    http: httpx.AsyncClient,
    session: str,
    until: float,
    offset: int,
    times: dict[str, list[float]],
    errors: dict[str, int],
) -> None:
    headers = {"Cookie": f"qa_session={session}", "Accept": "text/html"}
    i = offset
    while time.perf_counter() < until:
        kind, path = MIX[i % len(MIX)]
        i += 1
        start = time.perf_counter()
        r = await http.get(path, headers=headers if kind != "bare" else None)
        elapsed = time.perf_counter() - start
        if r.status_code != 200:
            errors[f"{path} {r.status_code}"] += 1
            continue
        times[kind].append(elapsed)
        times[path].append(elapsed)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


async def load(
    base: str, sessions: list[str], seconds: float
) -> tuple[dict[str, list[float]], dict[str, int], float]:
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    limits = httpx.Limits(max_connections=len(sessions) + 5)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        start = time.perf_counter()
        until = start + seconds
        await asyncio.gather(
            *(user(http, s, until, n, times, errors) for n, s in enumerate(sessions))
        )
        elapsed = time.perf_counter() - start
    return times, errors, elapsed


def report(label: str, times: dict[str, list[float]], errors: dict[str, int], secs: float) -> None:
    total = sum(len(times[k]) for k in ("page", "api", "bare"))
    print(f"\n{label}: {total} answers in {secs:.1f} s ({total / secs:.1f}/s)")
    print(f"  {'':40} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    rows = ["page", "api", "bare", *sorted({p for _, p in MIX})]
    for key in rows:
        v = times.get(key, [])
        name = {"page": "pages (all)", "api": "API reads (all)", "bare": "bare /healthz"}.get(
            key, f"  {key}"
        )
        print(
            f"  {name:40} {len(v):>6} {pct(v, 50) * 1000:>8.1f} {pct(v, 95) * 1000:>8.1f}"
            f" {pct(v, 99) * 1000:>8.1f}"
        )
    if errors:
        print(f"  errors: {dict(errors)}")


async def run(base: str, users: list[tuple[str, str]], seconds: float, warmup: float) -> int:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        sessions = [await sign_in(http, u, s) for u, s in users]
    await load(base, sessions[:1], warmup)  # first reads build the read models' caches
    single = await load(base, sessions[:1], seconds / 2)
    report("1 signed-in user", *single)
    many = await load(base, sessions, seconds)
    report(f"{len(sessions)} concurrent signed-in users", *many)
    return 1 if single[1] or many[1] else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0, help="the loaded phase")
    parser.add_argument("--warmup", type=float, default=3.0)
    ns = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        proc, base = start_dev(Path(tmp))
        try:
            print(f"qa-engine dev up in {time.perf_counter() - started:.1f} s at {base}")
            print(f"cores={os.cpu_count()} users={ns.users} seconds={ns.seconds}")
            users = add_users(Path(tmp), ns.users)
            return asyncio.run(run(base, users, ns.seconds, ns.warmup))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    code = main()
    sys.stdout.flush()
    os._exit(code)
