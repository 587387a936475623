"""The lifecycle-2 commands of ``qa-engine``, with the review lifecycle's conventions.

    qa-engine audit plan --audit-ref REF ...       plan an audit (starts audit-<REF>)
    qa-engine audit <step> REF ...                 draw-sample, request-returns, record-return,
                                                   record-moderation, record-findings,
                                                   record-report, record-learning-briefing,
                                                   raise-action-plan, close
    qa-engine actionplan from-review CASE ...      action plan for a review's recommendations
    qa-engine actionplan <step> REF ...            record-action-progress, record-action-evidence,
                                                   complete-action, record-impact-check
    qa-engine concern <step> REF ...               record-group-manager-review,
                                                   record-assistant-director-review
    qa-engine {audit,actionplan,concern} show|list|history|verify

Human output by default; ``--json`` for machines; the same exit codes as ``case``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from domain.action_plan import ActionPlanState, OpenPlanFromReview
from domain.audit import AuditState, PlanAudit
from domain.calendar import LONDON
from domain.child_of_concern import ConcernState
from domain.qa import QaState
from qa_engine.config import Settings
from qa_engine.entry.cli_common import (
    EXIT_OK,
    EXIT_REJECTED,
    Output,
    _actor,
    _london_today,
    add_model_options,
    add_request_option,
    check_tenant,
    model_input,
    parse_as_at,
    parse_day,
    parse_text,
    principal_of,
    records_table,
    request_id_of,
    tenant_of,
)

__all__ = ["cli_step_name", "register", "render_qa_state"]


def describe_read(read: Any) -> str:
    """``qa_engine.access_log.describe_read``, imported only by the commands that print reads
    (the access log pulls in the event store: most commands never need it)."""
    from qa_engine.access_log import describe_read as describe

    return describe(read)


Kind = Literal["audit", "actionplan", "childofconcern"]
Handler = Callable[[argparse.Namespace, Settings, Output], Any]


def cli_step_name(step: str) -> str:
    """``record_audit_return`` → ``record-return``; ``close_audit`` → ``close``."""
    return step.replace("_audit_", "_").removesuffix("_audit").replace("_", "-")


# ----------------------------------------------------------------- rendering


def render_qa_state(state: QaState, today: date) -> str:
    from qa_engine.calendar import england_and_wales

    cal = england_and_wales()
    lines = [
        f"{state.LABEL:<11} {state.ref}   partnership {state.partnership}",
        f"stage       {state.stage}" + (f"   outcome: {state.outcome}" if state.outcome else ""),
        f"opened      {state.opened_on}   calendar: {state.calendar_version}",
    ]
    if isinstance(state, AuditState):
        lines.append(
            f"audit       {state.kind.value}   period {state.period_start} to {state.period_end}"
            f"   sample {state.sampled}/{state.sample_size}   standards {state.standards}"
        )
        if state.returns:
            lines.append(
                "returns     "
                + ", ".join(f"{a}: {d or 'awaited'}" for a, d in sorted(state.returns.items()))
            )
        if state.overall_grades:
            lines.append(
                "grades      " + ", ".join(f"{g} {n}" for g, n in state.overall_grades.items())
            )
        for code, grades in state.standard_grades.items():
            lines.append(f"  standard {code}: " + ", ".join(f"{g} {n}" for g, n in grades.items()))
        if state.concerns:
            lines.append("concerns    " + ", ".join(c.concern_ref for c in state.concerns))
        if state.reported_on:
            lines.append(f"report      {state.reported_on} to {', '.join(state.report_recipients)}")
        if state.briefing_on:
            lines.append(
                f"briefing    {state.briefing_on} to {', '.join(state.briefing_recipients)}"
            )
        if state.action_plan_ref:
            lines.append(f"action plan {state.action_plan_ref}")
    elif isinstance(state, ActionPlanState):
        lines.append(f"source      {state.source} {state.source_ref}   round {state.round}")
        for a in state.actions.values():
            status = (
                f"complete {a.completed_on}" + (" (LATE)" if a.late else "")
                if a.status == "complete"
                else f"open, {a.last_progress or 'no progress yet'}, evidence {a.evidence}"
            )
            lines.append(f"  {a.id:<4} {a.owner_agency:<10} due {a.due_on}  {status}")
        if state.impact_from:
            lines.append(f"impact      check from {state.impact_from}")
        for ic in state.impact_checks:
            lines.append(f"  impact round {ic.round}: {ic.result} ({ic.method}, {ic.checked_on})")
    elif isinstance(state, ConcernState):
        lines.append(
            f"concern     audit {state.audit_ref} sample {state.sample_no}"
            f"   graded {state.graded_on}"
            f"   GM review {state.gm_reviewed_on or 'awaited'}   AD reviews {state.ad_reviews}"
        )
        for m in state.missed:
            lines.append(
                f"  MISSED {m.clock} due {m.due_on}, escalated to {', '.join(m.escalated_to)}"
            )
    lines.append("clocks:")
    for c in sorted(state.clocks.values(), key=lambda c: c.due_on):
        if c.status == "open":
            status = (
                f"OVERDUE ({cal.over_by(c.due_on, max(today, c.due_on))}), "
                f"escalated {c.escalations_sent}x"
                if c.overdue
                else cal.left_until(today, c.due_on)
            )
        elif c.status == "met":
            status = f"met {c.met_on}" + (" (LATE)" if c.late else "")
        else:
            status = c.status
        lines.append(f"  {c.label:<40} due {c.due_on}  {status}")
    return "\n".join(lines)


# ------------------------------------------------------------------ commands


async def _client(settings: Settings) -> Any:
    from qa_engine.entry.qa_client import QaClient
    from qa_engine.entry.temporal import connect

    return QaClient(
        await connect(settings),
        settings.temporal_task_queue,
        step_deadline=settings.step_deadline_seconds,
    )


def _show(out: Output, state: QaState, prefix: str = "") -> None:
    out.data(state, lambda: prefix + render_qa_state(state, _london_today()))


async def cmd_plan_audit(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    data = model_input(PlanAudit, ns)
    data["actor"] = _actor(ns, settings)
    plan = PlanAudit.model_validate(data)
    check_tenant(principal_of(settings), plan.partnership, what=f"audit {plan.audit_ref}")
    state = await (await _client(settings)).plan_audit(plan)
    _show(out, state, f"planned audit {state.ref}\n")
    return EXIT_OK


async def cmd_from_review(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    data = model_input(OpenPlanFromReview, ns)
    principal = principal_of(settings)
    data.setdefault("partnership", principal.partnership)
    data["actor"] = _actor(ns, settings)
    command = OpenPlanFromReview.model_validate(data)
    partnership = check_tenant(
        principal, command.partnership or principal.partnership, what=f"case {command.case_ref}"
    )
    state = await (await _client(settings)).open_plan_from_review(command, partnership=partnership)
    _show(out, state, f"opened action plan {state.ref} for review {command.case_ref}\n")
    return EXIT_OK


def make_step(kind: Kind, step: str, model: type[Any]) -> Handler:
    async def run(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
        data = model_input(model, ns)
        data["actor"] = _actor(ns, settings)
        command = model.model_validate(data)
        partnership = tenant_of(ns, settings)
        request_id = request_id_of(
            ns,
            settings,
            kind=kind,
            partnership=partnership,
            ref=ns.ref,
            step=step,
            command=command,
        )
        state = await (await _client(settings)).record(
            partnership, kind, ns.ref, step, command, request_id=request_id
        )
        _show(out, state, f"recorded {step} on {state.ref}\n")
        return EXIT_OK

    return run


def make_show(kind: Kind) -> Handler:
    async def run(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
        client = await _client(settings)
        _show(out, await client.state(tenant_of(ns, settings), kind, ns.ref))
        return EXIT_OK

    return run


def make_list(kind: Kind) -> Handler:
    async def run(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
        rows = await (await _client(settings)).list_records(
            kind, include_closed=ns.all, partnership=tenant_of(ns, settings)
        )

        def human() -> str:
            return records_table(
                rows,
                ref=lambda r: r.ref,
                titles=("REF", "OVERDUE"),
                widths=(28, 28),
                empty=f"no {kind} records",
            )

        out.data([r.model_dump(mode="json") for r in rows], human)
        return EXIT_OK

    return run


def _service(settings: Settings) -> Any:
    from qa_engine.bootstrap import bootstrap

    return bootstrap(settings).quality


def make_history(kind: Kind) -> Handler:
    async def run(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
        actor = _actor(ns, settings, records=False)
        partnership = tenant_of(ns, settings)
        service = _service(settings)
        as_at = parse_as_at(ns.as_at)
        as_of = parse_day(ns.as_of, "as_of") if ns.as_of else None
        entries = service.read_history(
            partnership,
            kind,
            ns.ref,
            actor=actor,
            purpose=parse_text(ns.purpose, "purpose"),
            as_at=as_at,
            as_of=as_of,
        )
        reads = service.reads(partnership, kind, ns.ref)

        def human() -> str:
            lines = [
                f"{e.version:>3}  {e.recorded_at.astimezone(LONDON):%Y-%m-%d %H:%M:%S}  "
                f"happened {e.happened_on}  "
                f"{e.event:<28} {e.actor.get('name', '')} ({e.actor.get('role', '')})"
                for e in entries
            ]
            lines.append(f"access log: {len(reads)} recorded read(s) (yours last)")
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
                "events": [e.model_dump(mode="json") for e in entries],
                "reads": [r.model_dump(mode="json") for r in reads],
            },
            human,
        )
        return EXIT_OK

    return run


def make_verify(kind: Kind) -> Handler:
    async def run(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
        result = _service(settings).verify(tenant_of(ns, settings), kind, ns.ref)
        out.data(
            result,
            lambda: (
                f"{kind} {result.case_ref}: chain intact, {result.records} records"
                if result.ok
                else f"{kind} {result.case_ref}: TAMPERED at record "
                f"{result.first_bad_version}: {result.reason}"
            ),
        )
        return EXIT_OK if result.ok else EXIT_REJECTED

    return run


# -------------------------------------------------------------------- parser


def register(
    sub: Any,
    *,
    common: argparse.ArgumentParser,
    actor: argparse.ArgumentParser,
    tenant: argparse.ArgumentParser,
) -> None:
    """Add ``audit``, ``actionplan`` and ``concern`` to the ``qa-engine`` parser.

    The steps come from the domain's command catalogues (the same ones the QA client's
    lifecycles use): building the parser never imports the Temporal client."""
    from domain.action_plan import ACTION_PLAN_COMMANDS
    from domain.audit import AUDIT_COMMANDS
    from domain.child_of_concern import CONCERN_COMMANDS

    catalogues = {
        "audit": AUDIT_COMMANDS,
        "actionplan": ACTION_PLAN_COMMANDS,
        "childofconcern": CONCERN_COMMANDS,
    }

    groups: list[tuple[str, Kind, str]] = [
        ("audit", "audit", "audits: plan, sample, returns, moderation, findings, report"),
        ("actionplan", "actionplan", "action plans: progress, evidence, completion, impact"),
        ("concern", "childofconcern", "children of concern: Group Manager and AD reviews"),
    ]
    for name, kind, help_text in groups:
        group = sub.add_parser(name, help=help_text)
        steps = group.add_subparsers(dest="step", required=True, metavar="ACTION")
        if kind == "audit":
            p = steps.add_parser("plan", parents=[common, actor], help="plan an audit")
            add_model_options(p, PlanAudit)
            p.set_defaults(func=cmd_plan_audit)
        if kind == "actionplan":
            p = steps.add_parser(
                "from-review",
                parents=[common, actor],
                help="open the action plan of a review case's recommendations",
            )
            add_model_options(p, OpenPlanFromReview)
            p.set_defaults(func=cmd_from_review)
        for step, model in catalogues[kind].items():
            p = steps.add_parser(
                cli_step_name(step),
                parents=[common, tenant, actor],
                help=(model.__doc__ or step.replace("_", " ")).splitlines()[0],
            )
            p.add_argument("ref", help=f"{name} reference")
            add_model_options(p, model)
            add_request_option(p)
            p.set_defaults(func=make_step(kind, step, model))
        show = steps.add_parser(
            "show", parents=[common, tenant], help="stage, clocks, overdue items"
        )
        show.add_argument("ref")
        show.set_defaults(func=make_show(kind))
        lst = steps.add_parser(
            "list", parents=[common, tenant], help="open records (Temporal visibility)"
        )
        lst.add_argument("--all", action="store_true", help="include closed records")
        lst.set_defaults(func=make_list(kind))
        hist = steps.add_parser(
            "history",
            parents=[common, tenant, actor],
            help="the recorded events (your read is recorded)",
        )
        hist.add_argument("ref")
        hist.add_argument("--purpose", default="quality assurance", help="why you are reading it")
        hist.add_argument(
            "--as-at", help="ISO timestamp: what the record said then (recording time)"
        )
        hist.add_argument(
            "--as-of", help="YYYY-MM-DD: what had happened by the end of that day (fact time)"
        )
        hist.set_defaults(func=make_history(kind))
        ver = steps.add_parser("verify", parents=[common, tenant], help="check the hash chain")
        ver.add_argument("ref")
        ver.set_defaults(func=make_verify(kind))
