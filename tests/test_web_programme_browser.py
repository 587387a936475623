"""Lifecycle 3's pages in a real browser (Debian's Chromium through Playwright), each
checked by axe-core for WCAG 2.2 A/AA: the programme, a Section 11 cycle, a subgroup,
a scorecard quarter and the board pack with its charts (inline SVG); then the
manager's step forms on the first four, and a refusal's error summary."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.test_board_pack import record_a_year
from tests.test_web_browser import CHROMIUM, _axe, _sign_in, served  # noqa: F401
from tests.web_support import Web, web_app  # noqa: F401

pytestmark = pytest.mark.browser


async def test_the_lifecycle_3_pages_pass_axe_in_a_real_browser(
    web: Web,
    served: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    from playwright.async_api import async_playwright

    shots = Path(os.environ.get("QA_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    record_a_year(web.services)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = await (
                await browser.new_context(viewport={"width": 1200, "height": 900})
            ).new_page()
            await _sign_in(page, served, web, "executive")
            for path, name, ready in (
                ("/programme?year=2026", "programme", "#months tr[data-month='7']"),
                ("/section11/S11-2026", "section11", "#rag tr[data-standard='S11_7']"),
                ("/subgroups/QIIP?year=2026", "subgroup", "#meetings tr[data-meeting]"),
                ("/scorecards/GSCP-SC?quarter=2026/27%20Q2", "scorecard", "#exceptions"),
            ):
                await page.goto(f"{served}{path}")
                assert await page.locator(ready).count() >= 1, path
                await _axe(page, name)
                await page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
            await page.goto(f"{served}/board-pack")
            await page.fill("#period", "2026/27 Q2")
            await page.click("button:has-text('Show the pack')")
            await page.wait_for_selector("#pack figure.chart svg[role='img']")
            assert await page.locator("#pack figure.chart").count() == 4
            await _axe(page, "board pack")
            await page.screenshot(path=str(shots / "board-pack.png"), full_page=True)
            async with page.expect_download() as download:
                await page.click("#pdf")
            saved = tmp_path / "pack.pdf"
            await (await download.value).save_as(saved)
            assert saved.read_bytes().startswith(b"%PDF-")

            # the manager's step forms, opened, and a refusal's error summary: axe clean
            manager = await (
                await browser.new_context(viewport={"width": 1200, "height": 900})
            ).new_page()
            await _sign_in(manager, served, web, "manager")
            for path, name in (
                ("/programme?year=2026", "programme forms"),
                ("/subgroups/QIIP?year=2026", "subgroup forms"),
                ("/scorecards/GSCP-SC?quarter=2026/27%20Q2", "scorecard forms"),
                ("/section11/S11-2026", "section11 forms"),
            ):
                await manager.goto(f"{served}{path}")
                for summary in await manager.locator("details.govuk-details summary").all():
                    await summary.click()
                await _axe(manager, name)
            await manager.fill("#hold-challenge-event-agency", "LA")
            await manager.fill("#hold-challenge-event-held_on", "2026-06-20")  # before the panel
            await manager.click("button:has-text('Record: hold challenge event')")
            await manager.wait_for_selector(".govuk-error-summary")
            assert "(rule: " in await manager.locator(".govuk-error-summary").inner_text()
            await _axe(manager, "section11 refusal")
            await manager.screenshot(path=str(shots / "section11-refusal.png"), full_page=True)
        finally:
            await browser.close()
