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

import base64
import html
import re
from collections import Counter
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from projections.catalogue import lifecycles
from projections.lifecycles import by_topic
from projections.queries import MEASURE_LABELS, quarter_of

__all__ = [
    "BoardPack",
    "gather",
    "period_of",
    "render_html",
    "render_markdown",
    "render_pdf",
]

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


class ClockRow(BaseModel):
    """One statutory clock's timeliness over the clocks due in the period."""

    measure: str
    label: str
    within: int = 0
    late: int = 0
    overdue: int = 0
    pending: int = 0


class TrendRow(BaseModel):
    """One scorecard indicator's values over the quarters up to the period's end."""

    scorecard: str
    indicator: str
    name: str
    target: float
    unit: str
    values: dict[str, float]


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
    timeliness: list[ClockRow] = Field(default_factory=list)
    trends: list[TrendRow] = Field(default_factory=list)

    def action_counts(self) -> dict[str, int]:
        counts = Counter(a.status for a in self.actions)
        return {k: counts.get(k, 0) for k in ("open", "overdue", "completed")}


def _states(app: Any, partnership: str) -> list[tuple[Any, Any]]:
    """Every record of ``partnership`` folded from the log: (lifecycle, final state)."""
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
    return [(lc, s) for lc, s in states.values() if getattr(s, "partnership", None) == p]


def gather(app: Any, *, partnership: str, period: str, today: date | None = None) -> BoardPack:
    """The figures of ``partnership``'s board pack for ``period`` from the event log.

    A clock due in the period counts as met within its time, met late, overdue (not
    met and past due on ``today`` or the period's last day, whichever is earlier) or
    pending; cancelled clocks are not counted (as ``projections.queries.timeliness``).
    """
    label, start, end, kind = period_of(period)
    as_of = min(end, today) if today is not None else end
    pack = BoardPack(partnership=partnership.upper(), period=label, kind=kind, start=start, end=end)

    def within(day: date | None) -> bool:
        return day is not None and start <= day <= end

    quarters = {quarter_of(day) for day in _months(start, end)}
    reviews: Counter[str] = Counter(dict.fromkeys(REVIEW_MEASURES, 0))
    decisions: Counter[str] = Counter()
    months: dict[tuple[int, int], ProgrammeMonth] = {}
    clocks: dict[str, ClockRow] = {}
    last_quarter = quarter_of(end)
    for lc, s in _states(app, partnership):
        kind_ = lc.kind
        for fact in lc.clocks(s):
            if not within(fact.due_on) or fact.status in ("cancelled", "not_required"):
                continue
            if fact.status == "not_met" and not fact.breached and fact.due_on >= as_of:
                continue  # closed before it fell due, with the reason recorded: never due
            row_ = clocks.setdefault(
                fact.measure,
                ClockRow(
                    measure=fact.measure, label=MEASURE_LABELS.get(fact.measure, fact.measure)
                ),
            )
            if fact.status == "met" and fact.met_on is not None:
                if fact.met_on <= fact.due_on:
                    row_.within += 1
                else:
                    row_.late += 1
            elif fact.breached or fact.due_on < as_of:
                row_.overdue += 1
            else:
                row_.pending += 1
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
            for code, by_quarter in sorted(s.values.items()):
                points = {q: v.value for q, v in sorted(by_quarter.items()) if q <= last_quarter}
                if points:
                    ind = s.indicators[code]
                    pack.trends.append(
                        TrendRow(
                            scorecard=s.ref,
                            indicator=code,
                            name=ind.name,
                            target=ind.target,
                            unit=ind.unit,
                            values=points,
                        )
                    )
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
    order = list(MEASURE_LABELS)
    pack.timeliness = sorted(
        clocks.values(),
        key=lambda r: (order.index(r.measure) if r.measure in order else len(order), r.measure),
    )
    pack.trends.sort(key=lambda t: (t.scorecard, t.indicator))
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
        "## Timeliness of each clock",
        "",
        "Clocks due in the period: met within the statutory time, met late, overdue "
        "(not met, past due) and pending (not yet due).",
        "",
        *_table(
            ["clock", "within time", "late", "overdue", "pending"],
            [[c.label, c.within, c.late, c.overdue, c.pending] for c in pack.timeliness],
        ),
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
        "## Scorecard trends",
        "",
        *_table(
            ["indicator", "target", *_trend_quarters(pack)],
            [
                [
                    f"{t.indicator}: {t.name}",
                    f"{t.target:g}{t.unit}",
                    *(
                        f"{t.values[q]:g}{t.unit}" if q in t.values else "-"
                        for q in _trend_quarters(pack)
                    ),
                ]
                for t in pack.trends
            ],
        ),
    ]
    return "\n".join(out).rstrip() + "\n"


def _trend_quarters(pack: BoardPack) -> list[str]:
    return sorted({q for t in pack.trends for q in t.values})


def _figure(chart: Any, images: Literal["svg", "png"]) -> str:
    """One chart as an HTML figure: inline SVG (the page) or a PNG image (the PDF)."""
    alt = html.escape(chart.description)
    if images == "svg":
        picture = chart.svg.replace("<svg ", f'<svg role="img" aria-label="{alt}" ', 1)
    else:
        data = base64.b64encode(chart.png).decode("ascii")
        picture = f'<img src="data:image/png;base64,{data}" alt="{alt}">'
    return (
        f'<figure class="chart" id="chart-{chart.key}">{picture}'
        f"<figcaption>{html.escape(chart.title)}</figcaption></figure>"
    )


_STYLE = (
    "body{font-family:Arial,'DejaVu Sans',sans-serif;max-width:60em;margin:2em auto}"
    "table{border-collapse:collapse;margin-bottom:1em}"
    "td,th{border:1px solid #b1b4b6;padding:.3em .6em;text-align:left}"
    "figure.chart{margin:0 0 1.5em}figure.chart svg,figure.chart img{max-width:100%;height:auto}"
    "figcaption{font-size:.9em;color:#505a5f}"
)
_PRINT = (
    "@page{size:A4;margin:18mm 15mm;@bottom-right{content:'page ' counter(page) ' of ' "
    "counter(pages);font-size:8pt;color:#505a5f}}"
    "body{margin:0;font-size:10pt}h1{font-size:18pt}h2{font-size:13pt;break-after:avoid}"
    "h3{font-size:11pt;break-after:avoid}table{width:100%;font-size:8.5pt}"
    "tr,figure.chart{break-inside:avoid}"
)


def render_html(pack: BoardPack, *, images: Literal["svg", "png"] = "svg") -> str:
    """The pack as one HTML page (tables and charts), every value escaped.

    ``images``: the charts as inline SVG (the web page) or PNG images (the PDF)."""
    from projections.board_charts import charts

    by_section: dict[str, list[Any]] = {}
    for chart in charts(pack):
        by_section.setdefault(chart.section, []).append(chart)
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
            heading = line[level:].strip()
            body.append(f"<h{level}>{html.escape(heading)}</h{level}>")
            body += [_figure(c, images) for c in by_section.get(heading, [])]
        elif line.startswith("- "):
            body.append(f"<p>• {html.escape(line[2:])}</p>")
        elif line:
            body.append(f"<p>{html.escape(line)}</p>")
    if in_table:
        body.append("</tbody></table>")
    title = html.escape(render_markdown(pack).splitlines()[0].lstrip("# "))
    style = _STYLE + (_PRINT if images == "png" else "")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{style}</style></head>"
        "<body>" + "\n".join(body) + "</body></html>\n"
    )


def render_pdf(pack: BoardPack) -> bytes:
    """The pack as a PDF (A4, numbered pages, the charts as images): WeasyPrint over
    the HTML page, which needs Pango (``run.py setup`` installs it on Debian)."""
    from weasyprint import HTML

    document: bytes = HTML(string=render_html(pack, images="png")).write_pdf()
    return document
