"""The read side of the ``qa-engine`` command line.

    qa-engine projections run [--once]   keep the read models up to date (polls the log)
    qa-engine projections rebuild [NAME] rebuild read models from the event log (progress bar)
    qa-engine projections status         position, head and lag of each read model
    qa-engine oversight [filters]        every open case: stage, next deadline, RAG, owner
    qa-engine timeliness [filters]       per partnership and quarter: statutory timeliness
    qa-engine case trail REF [--kind K]  a case's (or audit's, plan's, concern's) audit trail
                                         in plain words (the read is recorded)
    qa-engine verify [REF]               check one case's records against the ledger, or every
                                         record's and the whole notification log (anchor too)

Queries catch the read models up first (``--no-catch-up`` to skip). Human output
by default; ``--json`` for machines.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any

from domain.calendar import LONDON
from domain.errors import DomainError
from qa_engine.config import Settings
from qa_engine.entry import cli_common as cli  # what the command modules share
from qa_engine.entry.acting import verify_every_record
from qa_engine.entry.cli_oversight import (
    KINDS,
    add_oversight_parser,
    query_options,
    today_of,
)

if TYPE_CHECKING:
    pass

__all__ = ["KINDS", "register_read_commands", "run_projections_forever", "verify_every_record"]


def describe_read(read: Any) -> str:
    """``qa_engine.access_log.describe_read``, imported only by the commands that print reads
    (the access log pulls in the event store: most commands never need it)."""
    from qa_engine.access_log import describe_read as describe

    return describe(read)


#: the kinds whose trail this command reads (lifecycle 3's records: ``<kind> history``)
TRAIL_KINDS = KINDS[:4]


_services, _runner = cli.services_and_runner, cli.projection_runner


async def run_projections_forever(settings: Settings, stop: asyncio.Event) -> None:
    """The projection runner as a long-running task (``qa-engine dev`` starts one), and
    beside it the outbox's email sender when email is configured (``QA_SMTP_HOST``, or
    ``QA_EMAIL_VIA=govuk_notify``) (the runner writes
    the outbox, the sender empties it)."""
    with _services(settings) as (services, runner):
        if not settings.sends_email:
            await runner.run_forever(stop, poll_seconds=settings.projection_poll_seconds)
            return
        from qa_engine.entry.mailer import send_forever

        await asyncio.gather(
            runner.run_forever(stop, poll_seconds=settings.projection_poll_seconds),
            send_forever(settings, services.reviews, stop, services.partnerships),
        )


def _bar(name: str, done: int, total: int) -> None:
    width = 30
    frac = done / total if total else 1.0
    filled = int(width * frac)
    sys.stderr.write(
        f"\r{name:<12} [{'#' * filled}{'.' * (width - filled)}] {frac:6.1%} {done}/{total}"
    )
    sys.stderr.flush()


# ----------------------------------------------------------------- projections


async def cmd_projections_run(ns: argparse.Namespace, settings: Settings, out: cli.Output) -> int:
    if ns.once:
        with _runner(settings) as runner:
            n = runner.catch_up()
            out.data(
                {"applied": n}, lambda: f"caught up: {n} events applied across the read models"
            )
        return cli.EXIT_OK
    from qa_engine.entry.signals import stop_event

    stop = stop_event()
    sys.stderr.write(
        f"projections running (poll every {settings.projection_poll_seconds}s); Ctrl-C stops\n"
    )
    await run_projections_forever(settings, stop)
    return cli.EXIT_OK


async def cmd_projections_rebuild(
    ns: argparse.Namespace, settings: Settings, out: cli.Output
) -> int:
    with _runner(settings) as runner:
        names = ns.names or list(runner.projections)
        unknown = [n for n in names if n not in runner.projections]
        if unknown:
            raise DomainError(
                f"no projection {', '.join(unknown)} (known: {', '.join(runner.projections)})",
                field="name",
                rule="known_projection",
            )
        # One shared pass: the log is read, decoded and folded once for all of them.
        label = names[0] if len(names) == 1 else "read models"
        progress = None
        if not out.as_json:
            _bar(label, 0, runner.head())

            def progress(name: str, done: int, total: int) -> None:
                if name == names[0]:
                    _bar(label, done, total)

        events = runner.rebuild_all(names, progress=progress) // len(names)
        if progress is not None:
            sys.stderr.write("\n")
        results = dict.fromkeys(names, events)
        out.data(
            {"rebuilt": results},
            lambda: "\n".join(f"{n}: rebuilt from {c} events" for n, c in results.items()),
        )
    return cli.EXIT_OK


async def cmd_projections_status(
    ns: argparse.Namespace, settings: Settings, out: cli.Output
) -> int:
    with _runner(settings) as runner:
        rows = runner.status()

    def human() -> str:
        lines = [f"{'PROJECTION':<14} {'POSITION':>9} {'HEAD':>9} {'LAG':>7}  LAST RUN"]
        for r in rows:
            when = (
                r.updated_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S")
                if r.updated_at
                else "-"
            )
            lines.append(f"{r.name:<14} {r.position:>9} {r.head:>9} {r.lag:>7}  {when}")
        return "\n".join(lines)

    out.data([r.model_dump(mode="json") for r in rows], human)
    return cli.EXIT_OK


# --------------------------------------------------------------------- queries


async def cmd_timeliness(ns: argparse.Namespace, settings: Settings, out: cli.Output) -> int:
    from projections import queries

    today = today_of(ns)
    with _runner(settings) as runner:
        if not ns.no_catch_up:
            runner.catch_up()
        rows = queries.timeliness(
            runner.db,
            today=today,
            year_start_month=settings.reporting_year_start_month,
            partnership=ns.partnership,
            quarter=ns.quarter,
            scope=cli.scope_of(settings),
        )

    def human() -> str:
        if not rows:
            return "no statutory clocks recorded"
        lines = [
            f"by the quarter each clock fell due; as at {today}",
            f"{'PARTNER':<9}{'QUARTER':<12}{'MEASURE':<44}{'DUE':>5}{'WITHIN':>8}{'LATE':>6}"
            f"{'OVERDUE':>9}{'PENDING':>9}{'% WITHIN':>10}",
        ]
        for r in rows:
            pct = "-" if r.percent_within is None else f"{r.percent_within:.0f}%"
            lines.append(
                f"{r.partnership:<9}{r.quarter:<12}{r.label:<44}{r.due:>5}{r.within:>8}"
                f"{r.late:>6}{r.overdue:>9}{r.pending:>9}{pct:>10}"
            )
        return "\n".join(lines)

    out.data(
        [{**r.model_dump(mode="json"), "percent_within": r.percent_within} for r in rows], human
    )
    return cli.EXIT_OK


async def cmd_trail(ns: argparse.Namespace, settings: Settings, out: cli.Output) -> int:
    from projections import queries
    from projections.catalogue import sealer_for

    actor = cli._actor(ns, settings, records=False)
    partnership = cli.tenant_of(ns, settings)
    with _services(settings) as (services, runner):
        if ns.kind == "review":
            services.reviews.record_history_read(
                partnership,
                ns.ref,
                actor=actor,
                purpose=cli.parse_text(ns.purpose, "purpose"),
                view="trail",
            )
            reads = services.reviews.reads(partnership, ns.ref)
        else:
            services.quality.record_history_read(
                partnership,
                ns.kind,
                ns.ref,
                actor=actor,
                purpose=cli.parse_text(ns.purpose, "purpose"),
                view="trail",
            )
            reads = services.quality.reads(partnership, ns.kind, ns.ref)
        runner.catch_up()
        rows = queries.trail(
            runner.db,
            ns.ref,
            partnership=partnership,
            sealer=sealer_for(runner.app),
            kind=ns.kind,
        )

    def human() -> str:
        lines = [
            f"audit trail of {ns.kind} {ns.ref.upper()}: {len(rows)} entries "
            "(your read is recorded)"
        ]
        for r in rows:
            when = r.when.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")
            lines.append(f"{r.version:>4}  {when}  {r.who} ({r.role})")
            lines.append(f"      {r.what}")
            if r.why:
                lines.append(f"      why: {r.why}")
        lines.append(f"access log: {len(reads)} recorded read(s) (yours last)")
        for read in reads:
            when = read.recorded_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")
            who = f"{read.actor.get('name', '')} ({read.actor.get('role', '')})"
            lines.append(f"      {when}  {describe_read(read)}  {who}")
        return "\n".join(lines)

    out.data(
        {
            "entries": [r.model_dump(mode="json") for r in rows],
            "reads": [r.model_dump(mode="json") for r in reads],
        },
        human,
    )
    return cli.EXIT_OK


async def cmd_verify_case(ns: argparse.Namespace, settings: Settings, out: cli.Output) -> int:
    """``qa-engine verify REF``: one review case's hash chain."""
    from qa_engine.bootstrap import bootstrap

    partnership = cli.tenant_of(ns, settings)
    services = bootstrap(settings)
    try:
        result = services.reviews.verify(partnership, ns.ref)
    finally:
        services.close()
    out.data(
        result,
        lambda: (
            f"{result.case_ref}: chain intact, {result.records} records"
            if result.ok
            else f"{result.case_ref}: TAMPERED at record "
            f"{result.first_bad_version}: {result.reason}"
        ),
    )
    return cli.EXIT_OK if result.ok else cli.EXIT_REJECTED


async def cmd_verify(ns: argparse.Namespace, settings: Settings, out: cli.Output) -> int:
    if ns.ref:
        return await cmd_verify_case(ns, settings, out)
    from qa_engine.bootstrap import bootstrap

    services = bootstrap(settings)
    try:
        results = verify_every_record(services)
        log = services.quality.verify_log()  # the whole log: deletions, truncation, inserts
        results += [("access log", r) for r in services.access.verify_all()]
        access_log = services.access.verify_log()  # reads deleted, even a record's last
    finally:
        services.close()
    bad = [r for _, r in results if not r.ok]
    logs = [("notification log", log), ("access log", access_log)]

    def human() -> str:
        lines = []
        for kind, r in results:
            if r.ok:
                lines.append(f"{kind} {r.case_ref}: chain intact, {r.records} records")
                continue
            lines.append(
                f"{kind} {r.case_ref}: TAMPERED at record {r.first_bad_version}: {r.reason}"
            )
            lines.extend(f"    also: {p.message}" for p in r.problems[1:])
        lines.append(
            f"{len(results)} records checked: "
            + (f"{len(bad)} TAMPERED" if bad else "every chain intact")
        )
        for name, whole in logs:
            where = f"head at notification {whole.head or 0}, anchor at {whole.anchor or '-'}"
            if whole.ok:
                lines.append(f"{name}: intact, {whole.records} records, {where}")
            else:
                lines.append(f"{name}: TAMPERED, {len(whole.problems)} problems ({where}):")
                lines.extend(f"  - {p.message}" for p in whole.problems)
            lines.extend(f"note: {n}" for n in whole.notes)
        return "\n".join(lines)

    out.data(
        [{"kind": kind, **r.model_dump(mode="json")} for kind, r in results]
        + [{"kind": "log", **log.model_dump(mode="json")}]
        + [{"kind": "access-log", **access_log.model_dump(mode="json")}],
        human,
    )
    return cli.EXIT_REJECTED if bad or not all(w.ok for _, w in logs) else cli.EXIT_OK


# ---------------------------------------------------------------------- parser


def register_read_commands(
    sub: Any,
    case_actions: Any,
    *,
    common: argparse.ArgumentParser,
    actor: argparse.ArgumentParser,
    tenant: argparse.ArgumentParser,
) -> None:
    """Add the read-side commands to ``qa-engine``'s parser (called by ``build_parser``)."""
    sub.choices["verify"].set_defaults(func=cmd_verify)

    proj = sub.add_parser("projections", help="read models: run, rebuild, status")
    acts = proj.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = acts.add_parser("run", parents=[common], help="keep the read models up to date")
    run.add_argument("--once", action="store_true", help="catch up once and exit")
    run.set_defaults(func=cmd_projections_run)
    rebuild = acts.add_parser("rebuild", parents=[common], help="rebuild from the event log")
    rebuild.add_argument("names", nargs="*", help="projections (default: all)")
    rebuild.set_defaults(func=cmd_projections_rebuild)
    acts.add_parser("status", parents=[common], help="position and lag").set_defaults(
        func=cmd_projections_status
    )

    query = query_options()
    add_oversight_parser(sub, common=common, query=query)

    tl = sub.add_parser(
        "timeliness", parents=[common, query], help="statutory timeliness per partnership, quarter"
    )
    tl.add_argument("--partnership")
    tl.add_argument("--quarter", help='e.g. "2025/26 Q1"')
    tl.set_defaults(func=cmd_timeliness)

    trail = case_actions.add_parser(
        "trail",
        parents=[common, tenant, actor],
        help="the audit trail in plain words (read recorded)",
    )
    trail.add_argument("ref")
    trail.add_argument("--purpose", default="case review", help="why you are reading it")
    trail.add_argument(
        "--kind",
        choices=TRAIL_KINDS,
        default="review",
        help="whose trail: a review case by default",
    )
    trail.set_defaults(func=cmd_trail)
