"""The ``qa-engine`` command line: the composition root for CLI processes.

    qa-engine dev                       Temporal dev server + UI, worker, demo cases
    qa-engine worker                    a worker against an existing Temporal
    qa-engine web                       the HTTP API against an existing Temporal and store
    qa-engine case report ...           open a case (serious incident notification)
    qa-engine case <step> REF ...       record a lifecycle step (see `qa-engine case --help`)
    qa-engine case show REF             stage, deadlines, working days left, breaches
    qa-engine case list [--all]         open cases
    qa-engine case history REF          the case's recorded events (the read is recorded)
    qa-engine verify REF                check the case's hash chain

Human output by default; ``--json`` for machines. Exit codes: 0 ok, 1 rejected by
a rule, 2 invalid input, 3 not found, 4 infrastructure error.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from domain.calendar import LONDON
from domain.errors import DomainError
from domain.review import COMMANDS, ReportIncident, ReviewState
from qa_engine.config import Settings
from qa_engine.entry.cli_common import (
    EXIT_OK,
    Output,
    _actor,
    _london_today,
    add_model_options,
    add_request_option,
    check_tenant,
    model_input,
    parents,
    parse_as_at,
    parse_day,
    parse_text,
    principal_of,
    records_table,
    request_id_of,
    run_command,
    tenant_of,
)

__all__ = ["main"]


def describe_read(read: Any) -> str:
    """``qa_engine.access_log.describe_read``, imported only by the commands that print reads
    (the access log pulls in the event store: most commands never need it)."""
    from qa_engine.access_log import describe_read as describe

    return describe(read)


# ----------------------------------------------------------------- rendering


def render_state(state: ReviewState, today: date) -> str:
    from qa_engine.calendar import england_and_wales

    cal = england_and_wales()
    lines = [
        f"case        {state.case_ref}   partnership {state.partnership}",
        f"stage       {state.stage.value}"
        + (f"   outcome: {state.outcome}" if state.outcome else ""),
        f"rule set    {state.rule_set}   calendar: {state.calendar_version}",
        f"reported    {state.reported_on}   aware {state.aware_on}   children: {state.child_count}",
        "deadlines:",
    ]
    for d in sorted(state.deadlines.values(), key=lambda d: d.due_on):
        if d.status == "open":
            if d.paused_on:
                status = f"PAUSED since {d.paused_on}"
            elif d.breached or today > d.due_on:
                over = cal.over_by(d.due_on, today) if today > d.due_on else "0 working days"
                status = f"{'BREACHED' if d.breached else 'OVERDUE'} ({over} over)"
            else:
                status = cal.left_until(today, d.due_on)
        elif d.status == "met":
            status = f"met {d.met_on}" + (" (LATE)" if d.late else "")
        elif d.status == "not_met":
            status = f"not met: {d.not_met_because}"
        elif d.status == "not_required":
            status = f"not required: {d.not_met_because}"
        else:
            status = "cancelled"
        if d.delays:
            plural = "s" if d.delays != 1 else ""
            status += (
                f"; {d.delays} delay{plural} recorded ({d.delays_told_to_panel} told the Panel)"
            )
        lines.append(f"  {d.label:<68} due {d.due_on}  {status}")
    breaches = [d for d in state.deadlines.values() if d.breached]
    if breaches:
        lines.append("breaches:   " + ", ".join(f"{d.key} ({d.due_on})" for d in breaches))
    return "\n".join(lines)


# ------------------------------------------------------------------ commands


async def _review_client(settings: Settings) -> Any:
    from qa_engine.entry.review_client import ReviewClient
    from qa_engine.entry.temporal import connect

    return ReviewClient(
        await connect(settings),
        settings.temporal_task_queue,
        step_deadline=settings.step_deadline_seconds,
    )


async def cmd_report(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    data = model_input(ReportIncident, ns)
    data["actor"] = _actor(ns, settings)
    report = ReportIncident.model_validate(data)
    check_tenant(principal_of(settings), report.partnership, what=f"case {report.case_ref}")
    client = await _review_client(settings)
    state = await client.report(report)
    out.data(state, lambda: render_state(state, _london_today()))
    return EXIT_OK


def make_step_command(step: str) -> Callable[[argparse.Namespace, Settings, Output], Any]:
    model = COMMANDS[step]

    async def run(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
        data = model_input(model, ns)
        data["actor"] = _actor(ns, settings)
        command = model.model_validate(data)
        partnership = tenant_of(ns, settings)
        request_id = request_id_of(
            ns,
            settings,
            kind="review",
            partnership=partnership,
            ref=ns.ref,
            step=step,
            command=command,
        )
        client = await _review_client(settings)
        state = await client.record(partnership, ns.ref, step, command, request_id=request_id)
        out.data(
            state,
            lambda: f"recorded {step} on {state.case_ref}\n" + render_state(state, _london_today()),
        )
        return EXIT_OK

    return run


async def cmd_show(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    client = await _review_client(settings)
    state = await client.state(tenant_of(ns, settings), ns.ref)
    out.data(state, lambda: render_state(state, _london_today()))
    return EXIT_OK


async def cmd_list(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    client = await _review_client(settings)
    rows = await client.list_cases(include_closed=ns.all)

    def human() -> str:
        return records_table(
            rows,
            ref=lambda r: r.case_ref,
            titles=("CASE", "BREACHED"),
            widths=(20, 24),
            empty="no cases",
        )

    out.data([r.model_dump(mode="json") for r in rows], human)
    return EXIT_OK


def _service(settings: Settings) -> Any:
    from qa_engine.bootstrap import bootstrap

    return bootstrap(settings).reviews


async def cmd_history(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    svc = _service(settings)
    as_at = parse_as_at(ns.as_at)
    as_of = parse_day(ns.as_of, "as_of") if ns.as_of else None
    purpose = parse_text(ns.purpose, "purpose")
    actor = _actor(ns, settings, records=False)
    partnership = tenant_of(ns, settings)
    entries = svc.read_history(
        partnership, ns.ref, actor=actor, as_at=as_at, purpose=purpose, as_of=as_of
    )
    state = svc.state_as_at(partnership, ns.ref, as_at) if as_at else None
    reads = svc.reads(partnership, ns.ref)

    def human() -> str:
        lines = []
        if state is not None:
            lines.append(f"as at {as_at}: stage {state.stage.value}")
        for e in entries:
            who = f"{e.actor.get('name', '')} ({e.actor.get('role', '')})"
            about = e.data.get("deadline") or e.data.get("purpose") or ""
            lines.append(
                f"{e.version:>3}  {e.recorded_at.astimezone(LONDON):%Y-%m-%d %H:%M:%S}  "
                f"happened {e.happened_on}  {e.event:<28} {about:<24} {who}"
            )
        lines.append(f"access log: {len(reads)} recorded read(s) of this case (yours last)")
        for r in reads:
            who = f"{r.actor.get('name', '')} ({r.actor.get('role', '')})"
            lines.append(
                f"     {r.recorded_at.astimezone(LONDON):%Y-%m-%d %H:%M:%S}  "
                f"{describe_read(r)}  {who}"
            )
        return "\n".join(lines)

    out.data(
        {
            "as_at": as_at.isoformat() if as_at else None,
            "as_of": as_of.isoformat() if as_of else None,
            "state": state.model_dump(mode="json") if state else None,
            "events": [e.model_dump(mode="json") for e in entries],
            "reads": [r.model_dump(mode="json") for r in reads],
        },
        human,
    )
    return EXIT_OK


async def cmd_worker(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    from qa_engine.entry.runtime import run_worker_forever
    from qa_engine.entry.temporal import connect

    client = await connect(settings)
    await run_worker_forever(client, settings)
    return EXIT_OK


async def cmd_codec_server(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    from qa_engine.entry.codec import serve_codec
    from qa_engine.entry.temporal import codec_key

    key = codec_key(settings)
    if key is None:
        raise DomainError(
            "payloads are plain (QA_TEMPORAL_PAYLOADS=plain): there is nothing to decode",
            field="QA_TEMPORAL_PAYLOADS",
            rule="codec_key_required",
        )
    origins = ns.allow_origin or ["http://localhost:8233"]
    server = serve_codec(key, host=ns.host, port=ns.port, allowed_origins=origins)
    sys.stdout.write(f"codec server on http://{ns.host}:{ns.port} for {', '.join(origins)}\n")
    sys.stdout.flush()
    try:
        await asyncio.Event().wait()
    finally:
        server.shutdown()
    return EXIT_OK


async def cmd_web(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    from qa_engine.entry.signals import stop_event
    from qa_engine.entry.web.server import serve

    stop, started = stop_event(), asyncio.Event()
    task = asyncio.create_task(serve(settings, stop=stop, started=started))
    await started.wait()
    sys.stdout.write(
        f"HTTP API on http://{settings.web_host}:{settings.web_port} "
        f"(OpenAPI at /openapi.json, docs at /docs); Ctrl-C stops\n"
    )
    sys.stdout.flush()
    await task
    return EXIT_OK


async def cmd_dev(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    from qa_engine.entry.runtime import run_dev

    await run_dev(settings, demo=not ns.no_demo, stop_after=ns.stop_after)
    return EXIT_OK


# -------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    common, tenant, actor = parents()
    parser = argparse.ArgumentParser(
        prog="qa-engine", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    dev = sub.add_parser("dev", parents=[common], help="run everything on this machine")
    dev.add_argument("--no-demo", action="store_true", help="do not seed demo cases")
    dev.add_argument("--stop-after", type=float, default=None, help=argparse.SUPPRESS)
    dev.set_defaults(func=cmd_dev)
    sub.add_parser("worker", parents=[common], help="run a worker").set_defaults(func=cmd_worker)
    sub.add_parser(
        "web", parents=[common], help="the HTTP API (QA_WEB_HOST, QA_WEB_PORT)"
    ).set_defaults(func=cmd_web)
    codec = sub.add_parser("codec-server", help="decrypt payloads for the Temporal UI")
    codec.add_argument("--host", default="127.0.0.1")
    codec.add_argument("--port", type=int, default=8081)
    codec.add_argument(
        "--allow-origin",
        action="append",
        default=None,
        help="UI origin allowed to decode (repeatable)",
    )
    codec.set_defaults(func=cmd_codec_server)

    verify = sub.add_parser(
        "verify", parents=[common, tenant], help="check hash chains (one case or all)"
    )
    verify.add_argument("ref", nargs="?", help="case reference (default: every case)")

    case = sub.add_parser("case", help="review cases: report, record steps, show, list, history")
    steps = case.add_subparsers(dest="step", required=True, metavar="ACTION")
    report = steps.add_parser(
        "report", parents=[common, actor], help="open a case from a serious incident notification"
    )
    add_model_options(report, ReportIncident)
    report.set_defaults(func=cmd_report)
    for step, model in COMMANDS.items():
        p = steps.add_parser(
            step.replace("_", "-"),
            parents=[common, tenant, actor],
            help=(model.__doc__ or step.replace("_", " ")).splitlines()[0],
        )
        p.add_argument("ref", help="case reference")
        add_model_options(p, model)
        add_request_option(p)
        p.set_defaults(func=make_step_command(step))
    show = steps.add_parser("show", parents=[common, tenant], help="stage, deadlines, breaches")
    show.add_argument("ref")
    show.set_defaults(func=cmd_show)
    lst = steps.add_parser("list", parents=[common], help="open cases (Temporal visibility)")
    lst.add_argument("--all", action="store_true", help="include closed cases")
    lst.set_defaults(func=cmd_list)
    hist = steps.add_parser(
        "history",
        parents=[common, tenant, actor],
        help="the recorded events (your read is recorded too)",
    )
    hist.add_argument("ref")
    hist.add_argument(
        "--as-at", help="ISO timestamp: the case as the record stood then (recording time)"
    )
    hist.add_argument(
        "--as-of", help="YYYY-MM-DD: what had happened by the end of that day (fact time)"
    )
    hist.add_argument("--purpose", default="case review", help="why you are reading it")
    hist.set_defaults(func=cmd_history)
    from qa_engine.entry.cli_read import register_read_commands

    register_read_commands(sub, steps, common=common, actor=actor, tenant=tenant)
    from qa_engine.entry.cli_qa import register as register_qa_commands

    register_qa_commands(sub, common=common, actor=actor, tenant=tenant)
    from qa_engine.entry.cli_programme import register as register_programme_commands

    register_programme_commands(sub, common=common, actor=actor, tenant=tenant)
    from qa_engine.entry.cli_notify import register as register_notify_commands

    register_notify_commands(sub, common=common, tenant=tenant)
    from qa_engine.entry.cli_ops import register as register_ops_commands

    register_ops_commands(sub, common=common)
    from qa_engine.entry.cli_partnership import register as register_partnership_commands

    register_partnership_commands(sub, common=common, tenant=tenant)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point. Ends with ``os._exit``: temporalio's runtime can crash at
    interpreter exit (sdk-python#300), which would turn a success into exit 134."""
    code = run(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
