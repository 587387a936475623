"""The board pack's charts, drawn with matplotlib from the pack's own figures.

Each chart is drawn twice from one figure: as SVG with its text kept as text (the
HTML page, inline, readable by a screen reader and searchable) and as PNG (the PDF,
where WeasyPrint embeds it as an image). A chart's ``description`` states its
figures in words: the alternative text a reader without the picture gets.

Charts: timeliness of each clock (met within time, late, overdue, pending); the QA
programme planned against done per month; audit grades by practice standard;
actions open, overdue and completed by where they were raised; scorecard trends
over quarters against each indicator's target. A chart with no figures is left out.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

if TYPE_CHECKING:  # board.py renders the charts: imports them when it draws
    from projections.board import BoardPack

__all__ = ["Chart", "charts"]

#: GOV.UK colours: green, yellow, red, grey, blue, purple, orange, turquoise
PALETTE = ["#00703c", "#ffdd00", "#d4351c", "#b1b4b6", "#1d70b8", "#4c2c92", "#f47738", "#28a197"]
STYLE: Any = {
    "svg.fonttype": "none",  # text stays text in the SVG
    "svg.hashsalt": "qa-engine-board-pack",  # stable element ids
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@dataclass(frozen=True)
class Chart:
    #: the section of the pack it illustrates (a Markdown heading, without the #)
    section: str
    key: str
    title: str
    description: str
    svg: str
    png: bytes


def _draw(draw: Callable[[Axes], None], *, width: float = 7.0, height: float = 2.8) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    draw(fig.add_subplot())
    return fig


def _render(fig: Figure) -> tuple[str, bytes]:
    svg, png = io.StringIO(), io.BytesIO()
    fig.savefig(svg, format="svg", metadata={"Date": None})
    fig.savefig(png, format="png", dpi=150, metadata={"Software": None})
    text = svg.getvalue()
    return text[text.index("<svg") :], png.getvalue()


def _stacked(
    ax: Axes, labels: list[str], series: dict[str, list[int]], *, horizontal: bool
) -> None:
    base = [0] * len(labels)
    for i, (name, values) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        if horizontal:
            ax.barh(labels, values, left=base, label=name, color=colour)
        else:
            ax.bar(labels, values, bottom=base, label=name, color=colour)
        base = [b + v for b, v in zip(base, values, strict=True)]
    _legend(ax)
    (ax.xaxis if horizontal else ax.yaxis).set_major_locator(MaxNLocator(integer=True))


def _legend(ax: Axes) -> None:
    """Beside the plot, never over a bar."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)


def _words(labels: list[str], series: dict[str, list[int]]) -> str:
    return "; ".join(
        f"{label}: " + ", ".join(f"{v[i]} {name}" for name, v in series.items())
        for i, label in enumerate(labels)
    )


def charts(pack: BoardPack) -> list[Chart]:
    """The pack's charts, in the order of its sections (empty ones left out)."""
    made: list[Chart] = []

    def add(section: str, key: str, title: str, words: str, fig: Figure) -> None:
        svg, png = _render(fig)
        made.append(Chart(section, key, title, f"{title}. {words}.", svg, png))

    with matplotlib.rc_context(STYLE):
        if pack.timeliness:
            labels = [c.label for c in pack.timeliness]
            series = {
                "within time": [c.within for c in pack.timeliness],
                "late": [c.late for c in pack.timeliness],
                "overdue": [c.overdue for c in pack.timeliness],
                "pending": [c.pending for c in pack.timeliness],
            }
            fig = _draw(
                lambda ax: _stacked(ax, labels, series, horizontal=True),
                height=1.2 + 0.4 * len(labels),
            )
            add(
                "Timeliness of each clock",
                "timeliness",
                "Timeliness of each clock",
                _words(labels, series),
                fig,
            )
        if pack.programme:
            labels = [m.month for m in pack.programme]
            planned = [m.planned for m in pack.programme]
            done = [m.done for m in pack.programme]

            def programme(ax: Axes) -> None:
                xs = range(len(labels))
                ax.bar([x - 0.2 for x in xs], planned, 0.4, label="planned", color=PALETTE[3])
                ax.bar([x + 0.2 for x in xs], done, 0.4, label="done", color=PALETTE[0])
                ax.set_xticks(list(xs), [m[:3] for m in labels])
                ax.set_xlim(-0.7, max(len(labels), 3) - 0.3)
                ax.yaxis.set_major_locator(MaxNLocator(integer=True))
                _legend(ax)

            add(
                "The QA programme: planned against done",
                "programme",
                "The QA programme: planned against done per month",
                _words(labels, {"planned": planned, "done": done}),
                _draw(programme),
            )
        if pack.grades_by_standard:
            labels = sorted(pack.grades_by_standard)
            grades = sorted({g for row in pack.grades_by_standard.values() for g in row})
            series = {g: [pack.grades_by_standard[c].get(g, 0) for c in labels] for g in grades}
            add(
                "Grades by practice standard",
                "grades",
                "Audit grades by practice standard",
                _words(labels, series),
                _draw(lambda ax: _stacked(ax, labels, series, horizontal=False)),
            )
        if pack.actions:
            labels = sorted({a.source for a in pack.actions})
            series = {
                status: [
                    sum(a.source == s and a.status == status for a in pack.actions) for s in labels
                ]
                for status in ("completed", "open", "overdue")
            }
            add(
                "Actions",
                "actions",
                "Actions open, overdue and completed by where they were raised",
                _words(labels, series),
                _draw(
                    lambda ax: _stacked(ax, labels, series, horizontal=True),
                    height=1.2 + 0.4 * len(labels),
                ),
            )
        if pack.trends:
            quarters = sorted({q for t in pack.trends for q in t.values})

            def trends(ax: Axes) -> None:
                for i, t in enumerate(pack.trends):
                    colour = PALETTE[(i + 4) % len(PALETTE)]
                    qs = [q for q in quarters if q in t.values]
                    ax.plot(
                        [quarters.index(q) for q in qs],
                        [t.values[q] for q in qs],
                        marker="o",
                        color=colour,
                        label=f"{t.indicator} ({t.unit or 'value'})",
                    )
                    ax.axhline(t.target, color=colour, linestyle=":", linewidth=1)
                ax.set_xticks(range(len(quarters)), quarters)
                _legend(ax)

            add(
                "Scorecard trends",
                "trends",
                "Scorecard trends against target (dotted)",
                "; ".join(
                    f"{t.indicator} target {t.target:g}{t.unit}: "
                    + ", ".join(f"{q} {v:g}{t.unit}" for q, v in t.values.items())
                    for t in pack.trends
                ),
                _draw(trends),
            )
    return made
