"""Lifecycle 3 over HTTP: the board pack as figures, an HTML page and a PDF (the
route the CLI's ``board-pack`` has), scoped to the principal's partnership."""

from __future__ import annotations

from pathlib import Path

from tests.test_board_pack import _pdf_pages, record_a_year
from tests.web_support import Web, web_app  # noqa: F401


async def test_the_board_pack_as_json_html_and_pdf(web: Web, tmp_path: Path) -> None:
    record_a_year(web.services)
    url = "/partnerships/GSCP/board-pack"
    r = await web.http.get(url, params={"period": "2026/27 Q2"}, headers=web.as_("executive"))
    assert r.status_code == 200, r.text
    figures = r.json()
    assert figures["period"] == "2026/27 Q2" and figures["section11"][0]["returned"] == 2
    assert [t["measure"] for t in figures["timeliness"]] == ["notification"]

    r = await web.http.get(
        url, params={"period": "2026/27 Q2", "format": "html"}, headers=web.as_("police")
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.text.count('<figure class="chart"') == 4 and 'role="img"' in r.text

    r = await web.http.get(
        url, params={"period": "2026/27", "format": "pdf"}, headers=web.as_("auditor")
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert 'filename="board-pack-GSCP-2026-27.pdf"' in r.headers["content-disposition"]
    pages = _pdf_pages(r.content, tmp_path)
    assert "Annual report: GSCP, 2026/27" in pages[0]["text"]
    assert sum(len(p["images"]) for p in pages) == 4

    before = web.recorded()
    r = await web.http.get(url, params={"period": "Q2"}, headers=web.as_("manager"))
    assert r.status_code == 422 and r.json()["field"] == "period", r.text
    r = await web.http.get(url, params={"period": "2026/27"}, headers=web.as_("outsider"))
    assert r.status_code == 403 and r.json()["rule"] == "same_partnership"
    r = await web.http.get("/partnerships/WSCP/board-pack?period=2026/27", headers=web.as_("ops"))
    assert r.status_code == 200 and r.json()["section11"] == []
    assert web.recorded() == before
