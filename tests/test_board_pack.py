"""The board pack (issue 10): the quarterly assurance report and the annual report
assembled from recorded data, its figures cross-checked against the events that
made them, rendered as Markdown and HTML with no personal data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from domain.programme import PROGRAMME_COMMANDS
from domain.subgroup import SUBGROUP_COMMANDS
from projections.board import gather, period_of, render_html, render_markdown
from qa_engine.bootstrap import Services, bootstrap
from qa_engine.config import Settings
from qa_engine.programme import ProgrammeService
from tests import test_assurance as asr
from tests import test_scorecard as sc
from tests import test_section11 as s11
from tests.conftest import actor
from tests.lifecycle import report
from tests.test_programme import open_2026
from tests.test_programme_cli import cli  # noqa: F401 - the CLI fixture

TODAY = date(2026, 11, 20)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    services = bootstrap(settings)
    yield services
    services.close()


def programme_step(svc: ProgrammeService, name: str, key: str, **fields: Any) -> Any:
    command = PROGRAMME_COMMANDS[name].model_validate({"actor": actor(), **fields})
    return svc.record_programme_step("GSCP", 2026, name, command, key=key, today=TODAY)


def record_a_year(services: Services) -> None:
    svc = services.programme
    open_2026(svc)
    programme_step(
        svc,
        "record_occurrence_opened",
        "o7",
        entry_id="DIP",
        month=7,
        opened_on=date(2026, 7, 1),
        record_kind="audit",
        record_ref="DIP-2026-07",
    )
    programme_step(
        svc, "record_occurrence_done", "d7", entry_id="DIP", month=7, done_on=date(2026, 7, 30)
    )
    sc.setup(svc)
    for i, (code, quarter, value) in enumerate(
        [
            ("IHC_15WD", "2026/27 Q1", 88.0),
            ("IHC_15WD", "2026/27 Q2", 81.5),
            ("REPEAT_CP", "2026/27 Q2", 21.0),
        ]
    ):
        sc.step(
            svc,
            "return_value",
            f"v{i}",
            code=code,
            quarter=quarter,
            value=value,
            returned_on=date(2026, 10, 1 + i),
        )
    s11.open_cycle(svc)
    for agency, on in (("LA", date(2026, 5, 20)), ("HEALTH", date(2026, 6, 3))):
        s11.step(svc, "submit_self_assessment", agency, submitted_on=on, **s11.assessment(agency))
    s11.step(svc, "hold_scrutiny_panel", "panel", held_on=date(2026, 7, 1))
    s11.step(
        svc,
        "raise_s11_action",
        "a1",
        agency="LA",
        standard="S11_7",
        action="Agree an escalation protocol",
        raised_on=date(2026, 7, 2),
        due_on=date(2026, 8, 28),
    )
    s11.step(
        svc,
        "raise_s11_action",
        "a2",
        agency="HEALTH",
        standard="S11_7",
        action="Train named nurses",
        raised_on=date(2026, 7, 2),
        due_on=date(2026, 9, 11),
    )
    s11.step(
        svc,
        "complete_s11_action",
        "c1",
        action_id="SA1",
        completed_on=date(2026, 8, 20),
        evidence="Protocol signed off",
    )
    report(services.reviews, "BP-1", aware=date(2026, 8, 3))
    asr.open_activity(svc, "DEC-2026", "kcsie_declaration")
    for agency in ("LA", "POLICE"):
        asr.step(
            svc,
            "DEC-2026",
            "record_declaration",
            agency,
            agency=agency,
            compliant=agency == "LA",
            declared_on=date(2026, 7, 6),
            evidence="Policy",
        )
    for key, fields in [
        (
            "m1",
            {
                "meeting_ref": "QIIP-2026-07",
                "held_on": date(2026, 7, 8),
                "present": ["LA", "POLICE", "ICB"],
            },
        ),
        (
            "m2",
            {"meeting_ref": "QIIP-2026-09", "held_on": date(2026, 9, 9), "present": ["LA", "ICB"]},
        ),
        (
            "act",
            {
                "meeting_ref": "QIIP-2026-07",
                "owner_agency": "POLICE",
                "text": "Share the missing-children dataset",
                "due_on": date(2026, 10, 30),
            },
        ),
    ]:
        name = "raise_action" if key == "act" else "record_meeting"
        command = SUBGROUP_COMMANDS[name].model_validate({"actor": actor(), **fields})
        svc.record_subgroup_step("GSCP", "QIIP", name, command, key=key, today=TODAY)


def test_the_quarterly_report_is_made_from_the_events(services: Services) -> None:
    record_a_year(services)
    svc = services.programme
    pack = gather(svc, partnership="gscp", period="2026/27 Q2")
    assert (pack.start, pack.end, pack.kind) == (date(2026, 7, 1), date(2026, 9, 30), "quarterly")

    # the programme: planned and done per month, as the programme's own occurrences say
    state = svc.programme("GSCP", 2026)
    for row, month in zip(pack.programme, (7, 8, 9), strict=True):
        occ = [e.occurrences[month] for e in state.entries.values() if month in e.occurrences]
        assert row.planned == sum(o.status != "skipped" for o in occ)
        assert row.done == sum(o.status == "done" for o in occ)
    assert pack.programme[0].done == 1

    # scorecard exceptions: every returned value recorded as an exception in Q2
    events = svc.history("GSCP", "scorecard", "GSCP-SC")
    expected = sorted(
        (e.data["quarter"], e.data["code"])
        for e in events
        if e.event == "ValueReturned" and e.data["exception"] and e.data["quarter"] == "2026/27 Q2"
    )
    assert [(x.quarter, x.indicator) for x in pack.exceptions] == expected
    assert len(expected) == 2

    # Section 11: returns and actions counted from the cycle's events
    s11_events = [e.event for e in svc.history("GSCP", "section11", "S11-2026")]
    (row,) = pack.section11
    assert row.returned == s11_events.count("SelfAssessmentSubmitted") == 2
    assert row.late == 1 and row.outstanding == ["POLICE"]
    assert row.actions_completed == s11_events.count("S11ActionCompleted") == 1
    assert row.rag_by_standard["S11_7"] == {"red": 2, "amber": 0, "green": 0}
    actions = {(a.source, a.action): a.status for a in pack.actions}
    assert actions[("section 11", "SA1")] == "completed"
    assert actions[("section 11", "SA2")] == "overdue"  # due 11 Sep, open at 30 Sep

    assert actions[("subgroup", "A1")] == "open"  # due after the quarter

    # reviews: the incident reported in August; nothing further yet
    assert pack.reviews["incidents reported"] == 1 and pack.reviews["LCSPRs published"] == 0

    # meetings: one quorate, one without the police (no chair's decision): inquorate
    meetings = pack.meetings["QIIP"]
    assert (meetings.held, meetings.quorate, meetings.by_chair_decision) == (2, 1, 0)

    md = render_markdown(pack)
    assert md.startswith("# Quarterly assurance report: GSCP, 2026/27 Q2")
    assert "Self-assessments returned: 2 of 3 (1 late); outstanding: POLICE" in md
    assert "| section 11 | S11-2026 | SA2 | HEALTH | 2026-09-11 | overdue |" in md
    page = render_html(pack)
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<table>" in page
    # no personal data and no free text: action text, evidence, child references
    for text in (
        "escalation protocol",
        "Train named nurses",
        "Protocol signed off",
        "policy pack",
        "BP-1",
    ):
        assert text not in md and text not in page


def test_the_annual_report_covers_the_year(services: Services) -> None:
    record_a_year(services)
    pack = gather(services.programme, partnership="GSCP", period="2026/27")
    assert pack.kind == "annual" and len(pack.programme) == 9  # Apr-Dec of the 2026 programme
    assert [x.quarter for x in pack.exceptions] == ["2026/27 Q2", "2026/27 Q2"]
    assert render_markdown(pack).startswith("# Annual report: GSCP, 2026/27")
    row = pack.assurance["kcsie_declaration"]
    assert (row.activities, row.declarations, row.not_compliant) == (1, 2, 1)
    other = gather(services.programme, partnership="ESSCP", period="2026/27")
    assert not other.section11 and not other.actions and not other.programme


def test_a_bad_period_names_the_rule() -> None:
    with pytest.raises(ValueError, match="period"):
        period_of("Q2 2026")


def _recorded_for_the_cli(tmp_path: Path) -> dict[str, str]:
    """A year recorded in a SQLite store under ``tmp_path``; the CLI's environment."""
    local = bootstrap(Settings(data_dir=tmp_path, store="sqlite"))
    try:
        record_a_year(local)
    finally:
        local.close()
    return {
        "QA_DATA_DIR": str(tmp_path),
        "QA_ACTOR_NAME": "Bea Board",
        "QA_ACTOR_ROLE": "executive",
        "QA_PARTNERSHIP": "GSCP",
        "QA_LOG_LEVEL": "WARNING",
    }


def test_board_pack_through_the_cli(tmp_path: Path, cli: Any) -> None:  # noqa: F811
    env = _recorded_for_the_cli(tmp_path)
    target = tmp_path / "q2.html"
    code, data, err = cli(
        env, "board-pack", "--period", "2026/27 Q2", "--format", "html", "--out", str(target)
    )
    assert code == 0, err
    assert data["period"] == "2026/27 Q2" and data["section11"][0]["returned"] == 2
    assert "<h1>Quarterly assurance report: GSCP, 2026/27 Q2</h1>" in target.read_text()
    code, data, _ = cli(env, "board-pack", "--period", "Q2")
    assert (code, data["field"]) == (2, "period")
    code, data, _ = cli(env, "board-pack", "--period", "2026/27", "--partnership", "ESSCP")
    assert (code, data["rule"]) == (1, "same_partnership")


def _pdf_pages(pdf: bytes, folder: Path) -> list[dict[str, Any]]:
    """Each page of the PDF: its text, its images (pixel sizes) and a PNG of it."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    pages = []
    for i in range(len(doc)):
        page = doc[i]
        images = [
            tuple(o.get_px_size())
            for o in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE], max_depth=3)
        ]
        picture = page.render(scale=1.5).to_pil().convert("RGB")
        picture.save(folder / f"page-{i + 1}.png")
        pages.append(
            {
                "text": page.get_textpage().get_text_bounded(),
                "images": images,
                "colours": {c for _, c in picture.getcolors(1 << 20) or []},
                "size": page.get_size(),
            }
        )
    doc.close()
    return pages


def test_the_quarterly_pdf_has_its_charts_and_the_figures_of_the_events(
    services: Services, tmp_path: Path
) -> None:
    from projections.board import render_pdf
    from projections.board_charts import charts

    record_a_year(services)
    svc = services.programme
    pack = gather(svc, partnership="GSCP", period="2026/27 Q2", today=TODAY)

    # timeliness of each clock, from the review's deadlines as its aggregate holds them
    from projections.review import MEASURES

    review = services.reviews.state("GSCP", "BP-1")
    expected: dict[str, list[int]] = {}
    for d in review.deadlines.values():
        if d.key in MEASURES and pack.start <= d.due_on <= pack.end:
            row = expected.setdefault(MEASURES[d.key], [0, 0, 0, 0])
            if d.status == "met":
                row[0 if d.met_on <= d.due_on else 1] += 1
            else:
                row[2 if d.due_on < pack.end else 3] += 1
    assert expected == {"notification": [0, 0, 1, 0]}  # reported 3 Aug, not yet notified
    assert {c.measure: [c.within, c.late, c.overdue, c.pending] for c in pack.timeliness} == (
        expected
    )

    # actions: one per raised action on record, their status from the completions
    raised = [
        e
        for kind, ref in (("section11", "S11-2026"), ("subgroup", "QIIP"))
        for e in svc.history("GSCP", kind, ref)
        if e.event in ("S11ActionRaised", "ActionRaised")
    ]
    completed = [e for e in svc.history("GSCP", "section11", "S11-2026")]
    completed = [e for e in completed if e.event == "S11ActionCompleted"]
    assert len(pack.actions) == len(raised) == 3
    assert pack.action_counts() == {"open": 1, "overdue": 1, "completed": len(completed)}

    # scorecard trends: every returned value up to the quarter, as returned
    returned = sorted(
        (e.data["code"], e.data["quarter"], e.data["value"])
        for e in svc.history("GSCP", "scorecard", "GSCP-SC")
        if e.event == "ValueReturned"
    )
    assert sorted((t.indicator, q, v) for t in pack.trends for q, v in t.values.items()) == (
        returned
    )

    drawn = charts(pack)
    assert [c.key for c in drawn] == ["timeliness", "programme", "actions", "trends"]
    actions_chart = next(c for c in drawn if c.key == "actions")
    assert "section 11: 1 completed, 0 open, 1 overdue" in actions_chart.description
    assert "subgroup: 0 completed, 1 open, 0 overdue" in actions_chart.description

    pdf = render_pdf(pack)
    assert pdf.startswith(b"%PDF-")
    pages = _pdf_pages(pdf, tmp_path)
    assert 2 <= len(pages) <= 8
    assert all(round(p["size"][0]) == 595 for p in pages)  # A4 portrait, in points
    text = "\n".join(p["text"] for p in pages)
    assert "Quarterly assurance report: GSCP, 2026/27 Q2" in pages[0]["text"]
    assert f"page 1 of {len(pages)}" in pages[0]["text"]
    # the figures, as the events made them
    assert "Self-assessments returned: 2 of 3 (1 late); outstanding: POLICE" in text
    assert f"Actions: 1 open, 1 overdue, {len(completed)} completed" in text
    assert "Scorecard exceptions: 2" in text
    for code, quarter, value in returned:
        assert f"{value:g}%" in text, (code, quarter)
    for c in pack.timeliness:
        assert c.label in text
    # the charts: one image each, at the size they were drawn, with their colours shown
    from io import BytesIO

    from PIL import Image

    images = [size for p in pages for size in p["images"]]
    assert sorted(images) == sorted(Image.open(BytesIO(c.png)).size for c in drawn)
    colours = set().union(*(p["colours"] for p in pages))
    assert {(0x00, 0x70, 0x3C), (0xB1, 0xB4, 0xB6)} <= colours  # done and planned bars
    # no personal data or free text in the document either
    for secret in ("escalation protocol", "Train named nurses", "Protocol signed off", "BP-1"):
        assert secret not in text


def test_board_pack_pdf_through_the_cli(tmp_path: Path, cli: Any) -> None:  # noqa: F811
    env = _recorded_for_the_cli(tmp_path)
    target = tmp_path / "year.pdf"
    code, data, err = cli(
        env, "board-pack", "--period", "2026/27", "--format", "pdf", "--out", str(target)
    )
    assert code == 0, err
    assert data["kind"] == "annual" and target.read_bytes().startswith(b"%PDF-")
    pages = _pdf_pages(target.read_bytes(), tmp_path)
    assert "Annual report: GSCP, 2026/27" in pages[0]["text"]
    code, data, _ = cli(env, "board-pack", "--period", "2026/27", "--format", "pdf")
    assert (code, data["field"], data["rule"]) == (2, "out", "required")


def test_every_chart_draws_its_figures_as_text_and_as_an_image() -> None:
    """Each chart kind, the grades by practice standard among them, from a pack's
    figures: SVG whose labels are text, a PNG, and the figures in words."""
    from io import BytesIO

    from PIL import Image

    from projections.board import BoardPack, ClockRow, ProgrammeMonth, TrendRow
    from projections.board_charts import charts

    pack = BoardPack(
        partnership="GSCP",
        period="2026/27",
        kind="annual",
        start=date(2026, 4, 1),
        end=date(2027, 3, 31),
        timeliness=[ClockRow(measure="rapid_review", label="rapid reviews", within=3, late=1)],
        programme=[ProgrammeMonth(month="Apr 2026", planned=4, opened=3, done=2, skipped=1)],
        grades_by_standard={"PS1": {"good": 2, "inadequate": 1}, "PS2": {"outstanding": 1}},
        trends=[
            TrendRow(
                scorecard="SC",
                indicator="IHC",
                name="Initial health assessments",
                target=90,
                unit="%",
                values={"2026/27 Q1": 88, "2026/27 Q2": 92.5},
            )
        ],
    )
    drawn = {c.key: c for c in charts(pack)}
    assert list(drawn) == ["timeliness", "programme", "grades", "trends"]  # no actions: none
    grades = drawn["grades"]
    assert "PS1: 2 good, 1 inadequate, 0 outstanding" in grades.description
    assert "PS2: 0 good, 0 inadequate, 1 outstanding" in grades.description
    assert "rapid reviews: 3 within time, 1 late, 0 overdue, 0 pending" in (
        drawn["timeliness"].description
    )
    assert "IHC target 90%: 2026/27 Q1 88%, 2026/27 Q2 92.5%" in drawn["trends"].description
    for chart in drawn.values():
        assert chart.svg.startswith("<svg") and Image.open(BytesIO(chart.png)).format == "PNG"
    assert ">PS1<" in grades.svg and ">inadequate<" in grades.svg  # labels kept as text
    assert ">2026/27 Q2<" in drawn["trends"].svg
