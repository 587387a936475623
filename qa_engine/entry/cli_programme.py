"""The lifecycle-3 commands of ``qa-engine``: the QA programme, subgroups, the scorecard.

    qa-engine programme open --year 2027 --decided-on D [--template seed-002]
    qa-engine programme add-entry YEAR --entry-id ... --kind ... --cadence ... --reason ...
    qa-engine programme pause-entry|resume-entry|skip|add-adhoc|record-done YEAR ...
    qa-engine programme show YEAR           planned vs done per month
    qa-engine programme sync|schedules YEAR the entries' Temporal Schedules
    qa-engine programme trigger YEAR ENTRY  fire an entry's schedule now (operations)
    qa-engine subgroup form|record-meeting|record-decision|raise-action|complete-action|...
    qa-engine subgroup show REF | attendance REF --year Y
    qa-engine scorecard open|define-indicator|return-value|show|trend
    qa-engine section11 open|submit-self-assessment|hold-scrutiny-panel|...|show|chase
    qa-engine {programme,subgroup,scorecard,section11} history|verify
    qa-engine board-pack --period '2026/27 Q2' [--format md|html|pdf] [--out FILE]

Decisions are recorded by the service (they run no clocks of their own); after a
programme decision the entries' schedules are brought in step (``--no-sync`` to
skip; ``programme sync`` repeats it). Same conventions as the other lifecycles:
the actor is the principal, refusals name the field and the rule, ``--json``.
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from domain.assurance import ASSURANCE_COMMANDS, AssuranceState, OpenAssurance
from domain.calendar import LONDON
from domain.programme import (
    PROGRAMME_COMMANDS,
    AddEntry,
    EntrySpec,
    OpenProgramme,
    ProgrammeState,
    programme_ref,
)
from domain.programme.template import TEMPLATES
from domain.scorecard import SCORECARD_COMMANDS, OpenScorecard, ScorecardState
from domain.section11 import SECTION_11_COMMANDS, OpenSection11Cycle, Section11State
from domain.subgroup import SUBGROUP_COMMANDS, FormSubgroup, SubgroupState
from domain.values import Actor
from qa_engine.config import Settings
from qa_engine.entry.cli_common import (
    EXIT_INFRA,
    EXIT_OK,
    EXIT_REJECTED,
    Output,
    _actor,
    _london_today,
    add_model_options,
    check_tenant,
    model_input,
    principal_of,
    tenant_of,
)

__all__ = [
    "register",
    "render_assurance",
    "render_programme",
    "render_scorecard",
    "render_section11",
    "render_subgroup",
]

Handler = Callable[[argparse.Namespace, Settings, Output], Any]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

#: step -> CLI action (the schedule's own step, record_occurrence_opened, is not offered)
PROGRAMME_STEPS = {
    "pause_programme_entry": "pause-entry",
    "resume_programme_entry": "resume-entry",
    "skip_programme_occurrence": "skip",
    "add_adhoc_programme_entry": "add-adhoc",
    "record_occurrence_done": "record-done",
}


@contextmanager
def _service(settings: Settings) -> Iterator[Any]:
    from qa_engine.bootstrap import bootstrap

    services = bootstrap(settings)
    try:
        yield services.programme
    finally:
        services.close()


def _key(ns: argparse.Namespace) -> str:
    return str(getattr(ns, "idempotency_key", None) or f"cli/{uuid.uuid4()}")


# ----------------------------------------------------------------- rendering


def render_programme(s: ProgrammeState) -> str:
    lines = [
        f"programme   {s.ref}   partnership {s.partnership}   {len(s.entries)} entries",
        f"{'ENTRY':<8} {'KIND':<34} {'CADENCE':<13} {'MONTHS':<26} {'OWNER':<7} STATE",
    ]
    for e in s.entries.values():
        months = ",".join(map(str, e.months))
        lines.append(
            f"{e.entry_id:<8} {e.kind.value:<34} {e.cadence.value:<13} {months:<26} "
            f"{e.owner_agency:<7} {'paused' if e.paused else 'active'}"
            + (" (ad hoc)" if e.adhoc else "")
        )
    lines.append("")
    lines.append(
        f"{'MONTH':<6} {'PLANNED':>7} {'OPENED':>7} {'DONE':>5} {'SKIPPED':>8} {'PAUSED':>7}"
    )
    for r in s.month_view():
        lines.append(
            f"{MONTHS[r.month - 1]:<6} {r.planned:>7} {r.opened:>7} {r.done:>5} "
            f"{r.skipped:>8} {r.paused:>7}"
        )
    return "\n".join(lines)


def render_subgroup(s: SubgroupState, today: date) -> str:
    lines = [
        f"subgroup    {s.ref}   partnership {s.partnership}   {s.name}   chair: {s.chair}",
        f"members     {', '.join(s.members)}   quorum: {', '.join(s.lead_partners)}",
        "meetings:",
    ]
    for m in sorted(s.meetings.values(), key=lambda m: m.held_on or m.scheduled_on or today):
        if m.held_on is None:
            lines.append(f"  {m.ref:<16} planned {m.scheduled_on}")
            continue
        quorum = (
            "quorate"
            if m.quorate_by == "lead_partners"
            else "quorate by the chair's decision"
            if m.quorate
            else "NOT quorate"
        ) + (f" (absent: {', '.join(m.absent_leads)})" if m.absent_leads else "")
        lines.append(f"  {m.ref:<16} held {m.held_on}  {quorum}; present {', '.join(m.present)}")
        for action_id in m.carried_actions:
            lines.append(f"    agenda: action {action_id} carried over")
        for i in m.agenda_items:
            lines.append(f"    agenda: {i.item} ({i.source})")
    if s.pending_items:
        lines.append("next agenda:")
        lines.extend(f"  {i.item} ({i.source})" for i in s.pending_items)
    lines.append("decision log:")
    lines.extend(f"  {d.id:<4} {d.meeting_ref:<16} {d.text}" for d in s.decisions)
    lines.append("action log:")
    for a in s.actions.values():
        status = (
            f"done {a.completed_on}"
            if a.status == "done"
            else ("OVERDUE" if a.due_on < today else "open")
        )
        carried = f", carried over {len(a.carried_over)}x" if a.carried_over else ""
        lines.append(
            f"  {a.id:<4} {a.owner_agency:<10} due {a.due_on}  {status}{carried}  {a.text}"
        )
    return "\n".join(lines)


def render_scorecard(s: ScorecardState, quarter: str | None) -> str:
    quarters = sorted({q for v in s.values.values() for q in v})
    shown = [quarter] if quarter else quarters[-4:]
    lines = [
        f"scorecard   {s.ref}   partnership {s.partnership}   exceptions to {s.subgroup_ref}",
        f"{'CODE':<14} {'SOURCE':<8} {'TARGET':>8} {'TOL':>5}  "
        + "  ".join(f"{q:>12}" for q in shown),
    ]
    for code, ind in s.indicators.items():
        cells = []
        for q in shown:
            v = s.values.get(code, {}).get(q)
            cells.append(
                f"{'-':>12}"
                if v is None
                else f"{f'{v.value:g}{ind.unit} {ind.rag(v.value).upper()}':>12}"
            )
        better = "^" if ind.polarity == "higher_is_better" else "v"
        lines.append(
            f"{code:<14} {ind.source_agency:<8} {f'{ind.target:g}{ind.unit}{better}':>8} "
            f"{ind.tolerance:>5g}  " + "  ".join(cells)
        )
    exc = s.exceptions(quarter)
    lines.append(f"exceptions: {len(exc)}")
    lines.extend(f"  {i.code} {v.quarter}: {v.value:g}{i.unit} ({i.name})" for i, v in exc)
    return "\n".join(lines)


# ------------------------------------------------------------------ programme


async def _sync(settings: Settings, state: ProgrammeState) -> list[Any]:
    from qa_engine.entry.programme_client import ProgrammeClient
    from qa_engine.entry.temporal import connect

    client = ProgrammeClient(await connect(settings), settings.temporal_task_queue)
    return await client.sync(state)


async def _after_decision(
    ns: argparse.Namespace, settings: Settings, out: Output, state: ProgrammeState, done: str
) -> int:
    if getattr(ns, "no_sync", False):
        out.data(state, lambda: f"{done}\n" + render_programme(state))
        return EXIT_OK
    try:
        rows = await _sync(settings, state)
    except (OSError, RuntimeError) as e:
        out.data(state, lambda: f"{done}\n" + render_programme(state))
        import sys

        sys.stderr.write(f"schedules not synced ({e}): run `qa-engine programme sync`\n")
        return EXIT_INFRA
    out.data(
        {"programme": state.model_dump(mode="json"), "schedules": rows},
        lambda: f"{done}; {len(rows)} schedule(s) in step\n" + render_programme(state),
    )
    return EXIT_OK


async def cmd_open_programme(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    principal = principal_of(settings)
    data = model_input(OpenProgramme, ns)
    data.setdefault("partnership", principal.partnership)
    data["actor"] = _actor(ns, settings)
    data.pop("entries", None)
    data["entries"] = [e.model_dump() for e in TEMPLATES[ns.template]()]
    command = OpenProgramme.model_validate(data)
    check_tenant(principal, command.partnership, what=f"programme {command.year}")
    with _service(settings) as svc:
        state = svc.open_programme(command, key=_key(ns))
    return await _after_decision(ns, settings, out, state, f"opened programme {state.ref}")


async def cmd_add_entry(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    entry = EntrySpec.model_validate(model_input(EntrySpec, ns))
    command = AddEntry(
        actor=Actor.model_validate(_actor(ns, settings)),
        decided_on=ns.decided_on,
        entry=entry,
        reason=ns.reason,
    )
    with _service(settings) as svc:
        state = svc.record_programme_step(
            tenant_of(ns, settings),
            ns.year,
            "add_programme_entry",
            command,
            key=_key(ns),
            today=_london_today(),
        )
    return await _after_decision(ns, settings, out, state, f"added entry {entry.entry_id}")


def make_programme_step(step: str, model: type[Any]) -> Handler:
    async def run(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
        data = model_input(model, ns)
        data["actor"] = _actor(ns, settings)
        command = model.model_validate(data)
        with _service(settings) as svc:
            state = svc.record_programme_step(
                tenant_of(ns, settings),
                ns.year,
                step,
                command,
                key=_key(ns),
                today=_london_today(),
            )
        return await _after_decision(ns, settings, out, state, f"recorded {step}")

    return run


async def cmd_programme_show(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    with _service(settings) as svc:
        state = svc.programme(tenant_of(ns, settings), ns.year)
    out.data(
        {"programme": state.model_dump(mode="json"), "months": state.month_view()},
        lambda: render_programme(state),
    )
    return EXIT_OK


async def cmd_programme_sync(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    with _service(settings) as svc:
        state = svc.programme(tenant_of(ns, settings), ns.year)
    rows = await _sync(settings, state)
    out.data(rows, lambda: _render_schedules(rows))
    return EXIT_OK


async def cmd_programme_schedules(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    from qa_engine.entry.programme_client import ProgrammeClient
    from qa_engine.entry.temporal import connect

    with _service(settings) as svc:
        state = svc.programme(tenant_of(ns, settings), ns.year)
    client = ProgrammeClient(await connect(settings), settings.temporal_task_queue)
    rows = await client.schedules(state)
    out.data(rows, lambda: _render_schedules(rows))
    return EXIT_OK


def _render_schedules(rows: list[Any]) -> str:
    lines = [f"{'SCHEDULE':<30} {'MONTHS':<26} {'STATE':<7} {'NEXT RUN (London)':<17} RUNS"]
    for r in rows:
        nxt = r.next_runs[0].astimezone(LONDON).strftime("%Y-%m-%d %H:%M") if r.next_runs else "-"
        months = ",".join(map(str, r.months))
        lines.append(
            f"{r.schedule_id:<30} {months:<26} {'paused' if r.paused else 'active':<7} "
            f"{nxt:<17} {r.actions_taken}"
        )
    return "\n".join(lines)


async def cmd_programme_trigger(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    from qa_engine.entry.programme_client import ProgrammeClient
    from qa_engine.entry.temporal import connect

    _actor(ns, settings)  # a read-only role may not fire a schedule
    with _service(settings) as svc:
        state = svc.programme(tenant_of(ns, settings), ns.year)
    client = ProgrammeClient(await connect(settings), settings.temporal_task_queue)
    await client.trigger(state, ns.entry_id)
    out.data({"triggered": ns.entry_id.upper()}, lambda: f"triggered {ns.entry_id.upper()}")
    return EXIT_OK


# ------------------------------------------------------------ subgroup, scorecard


def make_open(model: type[Any], opener: str, what: str, render: Callable[[Any], str]) -> Handler:
    async def run(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
        principal = principal_of(settings)
        data = model_input(model, ns)
        data.setdefault("partnership", principal.partnership)
        data["actor"] = _actor(ns, settings)
        command = model.model_validate(data)
        check_tenant(principal, command.partnership, what=what)
        with _service(settings) as svc:
            state = getattr(svc, opener)(command, key=_key(ns))
        out.data(state, lambda: f"opened {what} {state.ref}\n" + render(state))
        return EXIT_OK

    return run


def make_record_step(
    kind: str, step: str, model: type[Any], render: Callable[[Any], str]
) -> Handler:
    async def run(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
        data = model_input(model, ns)
        data["actor"] = _actor(ns, settings)
        command = model.model_validate(data)
        with _service(settings) as svc:
            state = getattr(svc, f"record_{kind}_step")(
                tenant_of(ns, settings),
                ns.ref,
                step,
                command,
                key=_key(ns),
                today=_london_today(),
            )
        out.data(state, lambda: f"recorded {step} on {state.ref}\n" + render(state))
        return EXIT_OK

    return run


async def cmd_subgroup_show(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    with _service(settings) as svc:
        state = svc.subgroup(tenant_of(ns, settings), ns.ref)
    out.data(state, lambda: render_subgroup(state, _london_today()))
    return EXIT_OK


async def cmd_attendance(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    with _service(settings) as svc:
        rows = svc.subgroup(tenant_of(ns, settings), ns.ref).attendance(ns.year)

    def human() -> str:
        held = rows[0].held if rows else 0
        lines = [f"attendance at {held} meeting(s) held in {ns.year}", "AGENCY     LEAD  ATTENDED"]
        for r in rows:
            pct = f"{100 * r.attended // r.held}%" if r.held else "-"
            lines.append(
                f"{r.agency:<10} {'yes' if r.lead_partner else 'no':<5} {r.attended}/{r.held} {pct}"
            )
        return "\n".join(lines)

    out.data(rows, human)
    return EXIT_OK


async def cmd_scorecard_show(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    with _service(settings) as svc:
        state = svc.scorecard(tenant_of(ns, settings), ns.ref)
    out.data(state, lambda: render_scorecard(state, ns.quarter))
    return EXIT_OK


async def cmd_trend(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    with _service(settings) as svc:
        state = svc.scorecard(tenant_of(ns, settings), ns.ref)
    code = ns.code.upper()
    if code not in state.indicators:
        from domain.errors import CaseNotFound

        raise CaseNotFound(f"no indicator {code} on {state.ref}", field="code", rule="exists")
    points = state.trend(code)
    ind = state.indicators[code]
    out.data(
        points,
        lambda: "\n".join(
            [
                f"{ind.code}: {ind.name} (target {ind.target:g}{ind.unit}, "
                f"{ind.polarity.replace('_', ' ')})"
            ]
            + [f"  {p.quarter}  {p.value:>8g}{ind.unit}  {p.rag:<6} {p.change}" for p in points]
        ),
    )
    return EXIT_OK


def render_assurance(s: AssuranceState) -> str:
    """An assurance activity: its kind, scale, what was recorded, actions."""
    lines = [
        f"assurance {s.ref}   partnership {s.partnership}   {s.kind.replace('_', ' ')}   "
        f"stage {s.stage}",
        f"agencies {', '.join(s.agencies)}   scale {' > '.join(s.scale)}"
        + (f"   critical friend {s.critical_friend}" if s.critical_friend else ""),
    ]
    if s.observations:
        lines.append(
            "graded: " + ", ".join(f"{g.replace('_', ' ')} {n}" for g, n in s.grades().items())
        )
    if s.clinic_items:
        lines.append(f"reviewed: {', '.join(s.clinic_items)}")
    for agency, d in s.declarations.items():
        lines.append(
            f"  {agency} declared {'compliant' if d.compliant else 'NOT compliant'} "
            f"on {d.declared_on.isoformat()}"
        )
    if s.critical_friend_grade:
        lines.append(f"critical friend's grade: {s.critical_friend_grade.replace('_', ' ')}")
    for a in s.actions.values():
        done = f"done {a.completed_on.isoformat()}" if a.completed_on else "open"
        lines.append(f"  {a.id} {a.agency} due {a.due_on.isoformat()} {done}")
    if s.overall:
        lines.append(f"overall: {s.overall.replace('_', ' ')}")
    return "\n".join(lines)


def render_section11(s: Section11State, today: date) -> str:
    """A cycle year as a scrutineer reads it: returns, RAG per standard, actions."""
    lines = [
        f"section 11  {s.ref}   partnership {s.partnership}   year {s.cycle_year} of 2   "
        f"stage {s.stage}",
        f"returns due {s.returns_due_on.isoformat()}: "
        f"{len(s.returns)}/{len(s.agencies)} in"
        + (f"; outstanding {', '.join(s.outstanding())}" if s.outstanding() else ""),
        "STANDARD  " + " ".join(f"{a:<9}" for a in s.agencies),
    ]
    for code in s.standards:
        cells = [s.returns[a].ratings.get(code, "-") if a in s.returns else "-" for a in s.agencies]
        lines.append(f"{code:<9} " + " ".join(f"{c:<9}" for c in cells))
    if s.panel_held_on:
        lines.append(
            f"scrutiny panel {s.panel_held_on.isoformat()}: {', '.join(s.scrutinised)}; "
            f"challenge events: "
            + (", ".join(f"{a} {d.isoformat()}" for a, d in s.challenges.items()) or "none")
        )
    for a in s.actions.values():
        state = (
            f"done {a.completed_on.isoformat()}"
            if a.completed_on
            else ("OVERDUE" if a.overdue(today) else "open")
        )
        lines.append(f"  {a.id} {a.agency} {a.standard} due {a.due_on.isoformat()} {state}")
    if s.reported_on:
        lines.append(f"reported to {s.board_meeting} on {s.reported_on.isoformat()}")
    return "\n".join(lines)


async def cmd_assurance_show(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    with _service(settings) as svc:
        state = svc.assurance(tenant_of(ns, settings), ns.ref)
    out.data(state, lambda: render_assurance(state))
    return EXIT_OK


async def cmd_section11_show(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    with _service(settings) as svc:
        state = svc.section11(tenant_of(ns, settings), ns.ref)
    out.data(state, lambda: render_section11(state, _london_today()))
    return EXIT_OK


async def cmd_section11_chase(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    from datetime import UTC, datetime

    with _service(settings) as svc:
        state = svc.chase_section11(tenant_of(ns, settings), ns.ref, now=datetime.now(UTC))
    out.data(state, lambda: render_section11(state, _london_today()))
    return EXIT_OK


async def cmd_board_pack(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
    """The quarterly or annual report of the principal's partnership, from the records."""
    from pathlib import Path

    from domain.errors import InvalidInput
    from projections.board import gather, period_of, render_html, render_markdown, render_pdf

    partnership = tenant_of(ns, settings)
    try:
        period_of(ns.period)
    except ValueError as e:
        raise InvalidInput(str(e).partition(": ")[2], field="period", rule="period") from None
    if ns.format == "pdf" and not ns.out:
        raise InvalidInput(
            "a PDF is written to a file: give --out FILE", field="out", rule="required"
        )
    with _service(settings) as svc:
        pack = gather(svc, partnership=partnership, period=ns.period, today=_london_today())
    if ns.format == "pdf":
        Path(ns.out).write_bytes(render_pdf(pack))
        out.data(pack, lambda: f"wrote {ns.out}")
        return EXIT_OK
    document = render_html(pack) if ns.format == "html" else render_markdown(pack)
    if ns.out:
        Path(ns.out).write_text(document, encoding="utf-8")
    out.data(pack, lambda: f"wrote {ns.out}" if ns.out else document.rstrip())
    return EXIT_OK


def make_history(kind: str) -> Handler:
    async def run(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
        actor = _actor(ns, settings, records=False)
        ref = programme_ref(int(ns.ref)) if kind == "programme" else ns.ref
        with _service(settings) as svc:
            entries = svc.read_history(
                tenant_of(ns, settings), kind, ref, actor=actor, purpose=ns.purpose
            )
        out.data(
            [e.model_dump(mode="json") for e in entries],
            lambda: "\n".join(
                f"{e.version:>3}  {e.recorded_at.astimezone(LONDON):%Y-%m-%d %H:%M:%S}  "
                f"{e.event:<22} {e.actor.get('name', '')} ({e.actor.get('role', '')})"
                + (f"  reason: {e.data['reason']}" if e.data.get("reason") else "")
                for e in entries
            ),
        )
        return EXIT_OK

    return run


def make_verify(kind: str) -> Handler:
    async def run(ns: argparse.Namespace, settings: Settings, out: Output) -> int:
        ref = programme_ref(int(ns.ref)) if kind == "programme" else ns.ref
        with _service(settings) as svc:
            result = svc.verify(tenant_of(ns, settings), kind, ref)
        out.data(
            result,
            lambda: (
                f"{kind} {result.case_ref}: chain intact, {result.records} records"
                if result.ok
                else f"{kind} {result.case_ref}: TAMPERED at record {result.first_bad_version}: "
                f"{result.reason}"
            ),
        )
        return EXIT_OK if result.ok else EXIT_REJECTED

    return run


# -------------------------------------------------------------------- parser


def _partnership_optional(parser: argparse.ArgumentParser) -> None:
    """An opening command's partnership defaults to the principal's own."""
    for action in parser._actions:
        if action.dest == "partnership":
            action.required = False
            action.help = "default: QA_PARTNERSHIP"


def register(
    sub: Any,
    *,
    common: argparse.ArgumentParser,
    actor: argparse.ArgumentParser,
    tenant: argparse.ArgumentParser,
) -> None:
    """Add ``programme``, ``subgroup`` and ``scorecard`` to the ``qa-engine`` parser."""
    keyed = argparse.ArgumentParser(add_help=False)
    keyed.add_argument(
        "--idempotency-key", help="repeat a command with the same key to record it once"
    )
    synced = argparse.ArgumentParser(add_help=False)
    synced.add_argument("--no-sync", action="store_true", help="record only; sync schedules later")
    year = argparse.ArgumentParser(add_help=False)
    year.add_argument("year", type=int, help="the programme's year")

    prog = sub.add_parser("programme", help="the QA programme: timetable, decisions, schedules")
    steps = prog.add_subparsers(dest="step", required=True, metavar="ACTION")
    p = steps.add_parser(
        "open", parents=[common, actor, keyed, synced], help="open a year's programme"
    )
    p.add_argument("--partnership", help="default: QA_PARTNERSHIP")
    p.add_argument("--year", required=True, type=int)
    p.add_argument("--decided-on", required=True)
    p.add_argument(
        "--template", choices=sorted(TEMPLATES), default="seed-002", help="the timetable to start"
    )
    p.set_defaults(func=cmd_open_programme)
    p = steps.add_parser(
        "add-entry", parents=[common, tenant, actor, keyed, synced, year], help="add an entry"
    )
    add_model_options(p, EntrySpec)
    p.add_argument("--decided-on", required=True)
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_add_entry)
    for step, action in PROGRAMME_STEPS.items():
        model = PROGRAMME_COMMANDS[step]
        p = steps.add_parser(
            action,
            parents=[common, tenant, actor, keyed, synced, year],
            help=(model.__doc__ or step).splitlines()[0],
        )
        add_model_options(p, model)
        p.set_defaults(func=make_programme_step(step, model))
    for action, func, help_text in [
        ("show", cmd_programme_show, "the timetable and planned vs done per month"),
        ("sync", cmd_programme_sync, "bring the entries' Temporal Schedules in step"),
        ("schedules", cmd_programme_schedules, "the entries' schedules as Temporal holds them"),
    ]:
        p = steps.add_parser(action, parents=[common, tenant, year], help=help_text)
        p.set_defaults(func=func)
    p = steps.add_parser(
        "trigger", parents=[common, tenant, actor, year], help="fire an entry's schedule now"
    )
    p.add_argument("entry_id")
    p.set_defaults(func=cmd_programme_trigger)

    groups: list[tuple[str, str, type[Any], str, dict[str, type[Any]], Callable[[Any], str]]] = [
        (
            "subgroup",
            "subgroup meetings: quoracy, decisions, actions, attendance",
            FormSubgroup,
            "form",
            SUBGROUP_COMMANDS,
            lambda s: render_subgroup(s, _london_today()),
        ),
        (
            "scorecard",
            "the quarterly scorecard: indicators, values, exceptions, trends",
            OpenScorecard,
            "open",
            SCORECARD_COMMANDS,
            lambda s: render_scorecard(s, None),
        ),
        (
            "assurance",
            "practice week, performance clinic, declarations, thematic audit",
            OpenAssurance,
            "open",
            ASSURANCE_COMMANDS,
            render_assurance,
        ),
        (
            "section11",
            "Section 11 cycle: self-assessments, scrutiny, challenge, actions, board report",
            OpenSection11Cycle,
            "open",
            SECTION_11_COMMANDS,
            lambda s: render_section11(s, _london_today()),
        ),
    ]
    openers = {"subgroup": "form_subgroup", "scorecard": "open_scorecard"}
    for kind, group_help, model, opener, commands, render in groups:
        name = kind
        group = sub.add_parser(name, help=group_help)
        gsteps = group.add_subparsers(dest="step", required=True, metavar="ACTION")
        p = gsteps.add_parser(opener, parents=[common, actor, keyed], help=model.__doc__)
        add_model_options(p, model)
        _partnership_optional(p)
        p.set_defaults(func=make_open(model, openers.get(kind, f"open_{kind}"), kind, render))
        for step, cmodel in commands.items():
            p = gsteps.add_parser(
                step.replace("_", "-"),
                parents=[common, tenant, actor, keyed],
                help=(cmodel.__doc__ or step).splitlines()[0],
            )
            p.add_argument("ref", help=f"{name} reference")
            add_model_options(p, cmodel)
            p.set_defaults(func=make_record_step(kind, step, cmodel, render))
        show = gsteps.add_parser("show", parents=[common, tenant], help=f"the {name} as recorded")
        show.add_argument("ref")
        if kind == "scorecard":
            show.add_argument("--quarter", help="one quarter, e.g. '2026/27 Q2'")
            show.set_defaults(func=cmd_scorecard_show)
            trend = gsteps.add_parser(
                "trend", parents=[common, tenant], help="an indicator's trend"
            )
            trend.add_argument("ref")
            trend.add_argument("code")
            trend.set_defaults(func=cmd_trend)
        elif kind == "assurance":
            show.set_defaults(func=cmd_assurance_show)
        elif kind == "section11":
            show.set_defaults(func=cmd_section11_show)
            chase = gsteps.add_parser(
                "chase",
                parents=[common, tenant],
                help="record the chasers and escalations due now (operations)",
            )
            chase.add_argument("ref")
            chase.set_defaults(func=cmd_section11_chase)
        else:
            show.set_defaults(func=cmd_subgroup_show)
            att = gsteps.add_parser(
                "attendance", parents=[common, tenant], help="attendance by agency over a year"
            )
            att.add_argument("ref")
            att.add_argument("--year", type=int, required=True)
            att.set_defaults(func=cmd_attendance)

    pack = sub.add_parser(
        "board-pack",
        parents=[common, tenant],
        help="the quarterly assurance report or the annual report, from the records",
    )
    pack.add_argument("--period", required=True, help="a quarter (2026/27 Q2) or a year (2026/27)")
    pack.add_argument(
        "--format",
        choices=("md", "html", "pdf"),
        default="md",
        help="Markdown, an HTML page with charts, or a PDF with charts (needs --out)",
    )
    pack.add_argument("--out", help="write the document to this file")
    pack.set_defaults(func=cmd_board_pack)

    for name in ("programme", "subgroup", "scorecard", "section11", "assurance"):
        group_parser = sub.choices[name]
        gsteps = next(a for a in group_parser._actions if isinstance(a, argparse._SubParsersAction))
        label = "year" if name == "programme" else f"{name} reference"
        hist = gsteps.add_parser(
            "history", parents=[common, tenant, actor], help="the recorded events (read recorded)"
        )
        hist.add_argument("ref", help=label)
        hist.add_argument("--purpose", default="quality assurance", help="why you are reading it")
        hist.set_defaults(func=make_history(name))
        ver = gsteps.add_parser("verify", parents=[common, tenant], help="check the hash chain")
        ver.add_argument("ref", help=label)
        ver.set_defaults(func=make_verify(name))
