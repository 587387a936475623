"""The board pack: the quarterly assurance report and the annual report, assembled
from recorded data for one partnership and period.

Every figure is folded from the event log itself (each lifecycle's ``fold`` from
``projections.catalogue``), so the pack agrees with the events that made it:
reviews (incidents reported → Panel notifications → rapid review decisions →
LCSPRs published), the QA programme (planned vs done per month), audits graded
(grades by practice standard), actions (open, overdue, completed, from action
plans, subgroups and Section 11), the Section 11 position and scorecard
exceptions. No personal data: no child references, names or free text (an
action is named by its record, id, agency and due day, never its text).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from projections.catalogue import lifecycles
from projections.lifecycles import by_topic
from projections.queries import quarter_of

__all__ = ["BoardPack", "gather", "period_of", "render_html", "render_markdown"]

REVIEW_MEASURES = (
    "incidents reported",
    "notified to the Panel",
    "rapid review decisions",
    "LCSPR final reports",
    "LCSPRs published",
)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_QUARTER = re.compile(r"^(\d{4})/(\d{2}) Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})/(\d{2})$")


def period_of(text: str) -> tuple[str, date, date, Literal["quarterly", "annual"]]:
    """``2026/27 Q2`` (a quarter of the year from April) or ``2026/27`` (the year)."""
    value = " ".join(text.split()).upper()
    if m := _QUARTER.match(value):
        y, q = int(m.group(1)), int(m.group(3))
        first = _month(y, 3 + 3 * (q - 1))
        after = _month(y, 6 + 3 * (q - 1))
        return value, first, date.fromordinal(after.toordinal() - 1), "quarterly"
    if m := _YEAR.match(value):
        y = int(m.group(1))
        return value, date(y, 4, 1), date(y + 1, 3, 31), "annual"
    raise ValueError("period: a quarter such as 2026/27 Q2, or a year such as 2026/27")


def _month(year: int, index: int) -> date:
    """The first day of month ``index`` (0 = January of ``year``, 12 = the next January)."""
    return date(year + index // 12, index % 12 + 1, 1)


def _months(start: date, end: date) -> list[date]:
    count = (end.year - start.year) * 12 + end.month - start.month + 1
    return [_month(start.year, start.month - 1 + i) for i in range(count)]


class ActionRow(BaseModel):
    source: str
    record: str
    action: str
    agency: str
    due_on: date
    status: Literal["open", "overdue", "completed"]
    completed_on: date | None = None


class Section11Row(BaseModel):
    cycle: str
    cycle_year: int
    agencies: list[str]
    returned: int
    late: int
    outstanding: list[str]
    panel_held_on: date | None
    challenge_events: int
    actions_open: int
    actions_completed: int
    reported_on: date | None
    rag_by_standard: dict[str, dict[str, int]]


class ExceptionRow(BaseModel):
    scorecard: str
    indicator: str
    name: str
    quarter: str
    value: float
    target: float
    unit: str


class ProgrammeMonth(BaseModel):
    month: str
    planned: int
    opened: int
    done: int
    skipped: int


class AssuranceRow(BaseModel):
    kind: str
    activities: int = 0
    closed: int = 0
    graded: int = 0
    declarations: int = 0
    not_compliant: int = 0


class MeetingsRow(BaseModel):
    group: str
    held: int
    quorate: int
    by_chair_decision: int


class BoardPack(BaseModel):
    partnership: str
    period: str
    kind: Literal["quarterly", "annual"]
    start: date
    end: date
    reviews: dict[str, int] = Field(default_factory=dict)
    rapid_review_decisions: dict[str, int] = Field(default_factory=dict)
    programme: list[ProgrammeMonth] = Field(default_factory=list)
    audits_by_kind: dict[str, int] = Field(default_factory=dict)
    grades_by_standard: dict[str, dict[str, int]] = Field(default_factory=dict)
    actions: list[ActionRow] = Field(default_factory=list)
    section11: list[Section11Row] = Field(default_factory=list)
    exceptions: list[ExceptionRow] = Field(default_factory=list)
    meetings: dict[str, MeetingsRow] = Field(default_factory=dict)
    assurance: dict[str, AssuranceRow] = Field(default_factory=dict)

    def action_counts(self) -> dict[str, int]:
        counts = Counter(a.status for a in self.actions)
        return {k: counts.get(k, 0) for k in ("open", "overdue", "completed")}


def _states(app: Any, partnership: str) -> list[tuple[str, Any]]:
    """Every record of ``partnership`` folded from the log: (kind, final state)."""
    lcs = lifecycles()
    states: dict[str, tuple[Any, Any]] = {}
    start = 0
    while batch := app.recorder.select_notifications(
        start=start, limit=1000, inclusive_of_start=False
    ):
        for n in batch:
            lc = by_topic(lcs, n.topic)
            if lc is not None:
                key = str(n.originator_id)
                event = app.mapper.to_domain_event(n)
                _, state = states.get(key, (lc, None))
                states[key] = (lc, lc.fold(state, event))
        start = batch[-1].id
    p = partnership.upper()
    return [(lc.kind, s) for lc, s in states.values() if getattr(s, "partnership", None) == p]


def gather(app: Any, *, partnership: str, period: str) -> BoardPack:
    """The figures of ``partnership``'s board pack for ``period`` from the event log."""
    label, start, end, kind = period_of(period)
    pack = BoardPack(partnership=partnership.upper(), period=label, kind=kind, start=start, end=end)

    def within(day: date | None) -> bool:
        return day is not None and start <= day <= end

    quarters = {quarter_of(day) for day in _months(start, end)}
    reviews: Counter[str] = Counter(dict.fromkeys(REVIEW_MEASURES, 0))
    decisions: Counter[str] = Counter()
    months: dict[tuple[int, int], ProgrammeMonth] = {}
    for kind_, s in _states(app, partnership):
        if kind_ == "review":
            reviews["incidents reported"] += within(s.reported_on)
            reviews["notified to the Panel"] += within(s.notified_on)
            if within(s.decision_on) and s.decision is not None:
                reviews["rapid review decisions"] += 1
                decisions[str(s.decision)] += 1
            reviews["LCSPR final reports"] += within(s.final_report_on)
            reviews["LCSPRs published"] += within(s.published_on)
        elif kind_ == "audit" and within(s.graded_on):
            pack.audits_by_kind[str(s.kind)] = pack.audits_by_kind.get(str(s.kind), 0) + 1
            for code, grades in s.standard_grades.items():
                row = pack.grades_by_standard.setdefault(code, {})
                for grade, n in grades.items():
                    row[grade] = row.get(grade, 0) + n
        elif kind_ == "actionplan":
            for a in s.actions.values():
                pack.actions.append(
                    _action(
                        "action plan", s.ref, a.id, a.owner_agency, a.due_on, a.completed_on, end
                    )
                )
        elif kind_ == "subgroup":
            for a in s.actions.values():
                if a.raised_on <= end:
                    pack.actions.append(
                        _action(
                            "subgroup", s.ref, a.id, a.owner_agency, a.due_on, a.completed_on, end
                        )
                    )
            held = [m for m in s.meetings.values() if within(m.held_on)]
            pack.meetings[s.ref] = MeetingsRow(
                group=s.ref,
                held=len(held),
                quorate=sum(bool(m.quorate) for m in held),
                by_chair_decision=sum(m.quorate_by == "chair_decision" for m in held),
            )
        elif kind_ == "section11":
            pack.section11.append(
                Section11Row(
                    cycle=s.ref,
                    cycle_year=s.cycle_year,
                    agencies=list(s.agencies),
                    returned=len(s.returns),
                    late=sum(r.late for r in s.returns.values()),
                    outstanding=s.outstanding(),
                    panel_held_on=s.panel_held_on,
                    challenge_events=len(s.challenges),
                    actions_open=len(s.open_actions()),
                    actions_completed=len(s.actions) - len(s.open_actions()),
                    reported_on=s.reported_on,
                    rag_by_standard=s.rag_counts(),
                )
            )
            for a in s.actions.values():
                if a.raised_on <= end:
                    pack.actions.append(
                        _action("section 11", s.ref, a.id, a.agency, a.due_on, a.completed_on, end)
                    )
        elif kind_ == "assurance":
            if within(s.opened_on):
                kept = pack.assurance.setdefault(
                    s.kind, AssuranceRow(kind=s.kind.replace("_", " "))
                )
                kept.activities += 1
                kept.closed += s.closed
                kept.graded += len(s.observations)
                kept.declarations += len(s.declarations)
                kept.not_compliant += sum(not d.compliant for d in s.declarations.values())
            for a in s.actions.values():
                if a.raised_on <= end:
                    pack.actions.append(
                        _action("assurance", s.ref, a.id, a.agency, a.due_on, a.completed_on, end)
                    )
        elif kind_ == "scorecard":
            for ind, v in s.exceptions():
                if v.quarter in quarters:
                    pack.exceptions.append(
                        ExceptionRow(
                            scorecard=s.ref,
                            indicator=ind.code,
                            name=ind.name,
                            quarter=v.quarter,
                            value=v.value,
                            target=ind.target,
                            unit=ind.unit,
                        )
                    )
        elif kind_ == "programme":
            for row in s.month_view():
                if within(date(s.year, row.month, 1)):
                    key = (s.year, row.month)
                    months[key] = ProgrammeMonth(
                        month=f"{MONTHS[row.month - 1]} {s.year}",
                        planned=row.planned,
                        opened=row.opened,
                        done=row.done,
                        skipped=row.skipped,
                    )
    pack.reviews = dict(reviews)
    pack.rapid_review_decisions = dict(decisions)
    pack.programme = [months[k] for k in sorted(months)]
    pack.actions.sort(key=lambda a: (a.due_on, a.record, a.action))
    pack.section11.sort(key=lambda r: r.cycle)
    pack.exceptions.sort(key=lambda e: (e.quarter, e.indicator))
    return pack


def _action(
    source: str,
    record: str,
    action: str,
    agency: str,
    due_on: date,
    completed_on: date | None,
    end: date,
) -> ActionRow:
    status: Literal["open", "overdue", "completed"] = (
        "completed"
        if completed_on is not None and completed_on <= end
        else ("overdue" if due_on < end else "open")
    )
    return ActionRow(
        source=source,
        record=record,
        action=action,
        agency=agency,
        due_on=due_on,
        status=status,
        completed_on=completed_on if status == "completed" else None,
    )


# --------------------------------------------------------------------- rendering


def _table(head: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return ["None recorded in this period.", ""]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return [*lines, ""]


def render_markdown(pack: BoardPack) -> str:
    """The pack as a board member reads it."""
    title = "Quarterly assurance report" if pack.kind == "quarterly" else "Annual report"
    counts = pack.action_counts()
    out = [
        f"# {title}: {pack.partnership}, {pack.period}",
        "",
        f"Period {pack.start.isoformat()} to {pack.end.isoformat()}. Figures are taken from "
        "the records themselves; no child or person is named.",
        "",
        "## Summary",
        "",
        f"- Incidents reported: {pack.reviews.get('incidents reported', 0)}; "
        f"notified to the Panel: {pack.reviews.get('notified to the Panel', 0)}; "
        f"rapid review decisions: {pack.reviews.get('rapid review decisions', 0)}; "
        f"LCSPRs published: {pack.reviews.get('LCSPRs published', 0)}",
        f"- QA programme: {sum(m.done for m in pack.programme)} done of "
        f"{sum(m.planned for m in pack.programme)} planned "
        f"({sum(m.skipped for m in pack.programme)} skipped)",
        f"- Audits graded: {sum(pack.audits_by_kind.values())}",
        f"- Actions: {counts['open']} open, {counts['overdue']} overdue, "
        f"{counts['completed']} completed",
        f"- Scorecard exceptions: {len(pack.exceptions)}",
        "",
        "## Reviews",
        "",
        *_table(["measure", "number"], [[k, v] for k, v in pack.reviews.items()]),
        "## The QA programme: planned against done",
        "",
        *_table(
            ["month", "planned", "opened", "done", "skipped"],
            [[m.month, m.planned, m.opened, m.done, m.skipped] for m in pack.programme],
        ),
        "## Audits",
        "",
        *_table(
            ["kind", "graded"],
            [[k.replace("_", " "), v] for k, v in sorted(pack.audits_by_kind.items())],
        ),
        "### Grades by practice standard",
        "",
        *_table(
            ["standard", "grades"],
            [
                [code, ", ".join(f"{g}: {n}" for g, n in sorted(gr.items()))]
                for code, gr in sorted(pack.grades_by_standard.items())
            ],
        ),
        "### Practice weeks, clinics, declarations and thematic audits",
        "",
        *_table(
            ["kind", "opened", "closed", "graded", "declarations", "not compliant"],
            [
                [r.kind, r.activities, r.closed, r.graded, r.declarations, r.not_compliant]
                for _, r in sorted(pack.assurance.items())
            ],
        ),
        "## Actions",
        "",
        *_table(
            ["source", "record", "action", "agency", "due", "status"],
            [
                [
                    a.source,
                    a.record,
                    a.action,
                    a.agency,
                    a.due_on.isoformat(),
                    a.status + (f" {a.completed_on.isoformat()}" if a.completed_on else ""),
                ]
                for a in pack.actions
            ],
        ),
        "## Subgroup meetings",
        "",
        *_table(
            ["group", "held", "quorate", "quorate by the chair's decision"],
            [[m.group, m.held, m.quorate, m.by_chair_decision] for m in pack.meetings.values()],
        ),
        "## Section 11",
        "",
    ]
    if not pack.section11:
        out += ["No Section 11 cycle recorded.", ""]
    for r in pack.section11:
        out += [
            f"### {r.cycle} (year {r.cycle_year} of 2: {', '.join(r.agencies)})",
            "",
            f"Self-assessments returned: {r.returned} of {len(r.agencies)} ({r.late} late)"
            + (f"; outstanding: {', '.join(r.outstanding)}" if r.outstanding else "")
            + f". Scrutiny panel: {r.panel_held_on or 'not yet held'}. Challenge events: "
            f"{r.challenge_events}. Actions: {r.actions_open} open, {r.actions_completed} "
            f"completed. Reported to the board: {r.reported_on or 'not yet'}.",
            "",
            *_table(
                ["standard", "red", "amber", "green"],
                [[c, v["red"], v["amber"], v["green"]] for c, v in r.rag_by_standard.items()],
            ),
        ]
    out += [
        "## Scorecard exceptions",
        "",
        *_table(
            ["quarter", "indicator", "value", "target"],
            [
                [
                    e.quarter,
                    f"{e.indicator}: {e.name}",
                    f"{e.value:g}{e.unit}",
                    f"{e.target:g}{e.unit}",
                ]
                for e in pack.exceptions
            ],
        ),
    ]
    return "\n".join(out).rstrip() + "\n"


def _chart(pack: BoardPack) -> str:
    """An inline SVG bar chart: the programme's planned and done per month."""
    if not pack.programme:
        return ""
    top = max(m.planned for m in pack.programme) or 1
    w, h, bar = 40 * len(pack.programme) + 20, 160, 14
    parts = [
        f'<svg role="img" aria-label="Programme planned against done per month" '
        f'width="{w}" height="{h + 30}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, m in enumerate(pack.programme):
        x = 10 + 40 * i
        for j, (n, colour) in enumerate(((m.planned, "#b1b4b6"), (m.done, "#00703c"))):
            bh = round(h * n / top)
            parts.append(
                f'<rect x="{x + j * bar}" y="{h - bh}" width="{bar}" height="{bh}" '
                f'fill="{colour}"><title>{html.escape(m.month)}: {n}</title></rect>'
            )
        parts.append(f'<text x="{x}" y="{h + 15}" font-size="10">{html.escape(m.month[:3])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(pack: BoardPack) -> str:
    """The pack as one HTML page (tables and a chart), every value escaped."""
    body: list[str] = []
    in_table = False
    for line in render_markdown(pack).splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set(line) <= {"|", "-"}:
                continue
            if not in_table:
                body.append(
                    "<table><thead><tr>"
                    + "".join(f"<th>{html.escape(c)}</th>" for c in cells)
                    + "</tr></thead><tbody>"
                )
                in_table = True
                continue
            body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
            continue
        if in_table:
            body.append("</tbody></table>")
            in_table = False
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{html.escape(line[level:].strip())}</h{level}>")
            if line.startswith("## The QA programme"):
                body.append(_chart(pack))
        elif line.startswith("- "):
            body.append(f"<p>• {html.escape(line[2:])}</p>")
        elif line:
            body.append(f"<p>{html.escape(line)}</p>")
    if in_table:
        body.append("</tbody></table>")
    title = html.escape(render_markdown(pack).splitlines()[0].lstrip("# "))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>body{{font-family:Arial,sans-serif;max-width:60em;"
        "margin:2em auto}table{border-collapse:collapse;margin-bottom:1em}"
        "td,th{border:1px solid #b1b4b6;padding:.3em .6em;text-align:left}</style></head>"
        "<body>" + "\n".join(body) + "</body></html>\n"
    )
