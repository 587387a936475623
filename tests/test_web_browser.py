"""The pages in a real browser: Playwright driving Debian's Chromium against the app
served by uvicorn over a real Temporal (time-skipping) server and a real store;
axe-core (from npm) checks each main page. Screenshots go to ``QA_SCREENSHOTS``
(the README's: ``docs/screenshots``), else to the test's temporary directory.

One server and one browser for the whole flow, to keep the suite fast."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
import uvicorn

from qa_engine.entry.web.assets import node_modules
from tests.web_support import PASSWORD, Web, open_case, web_app  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
AXE = node_modules() / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

pytestmark = pytest.mark.browser

if not CHROMIUM.exists() or not AXE.exists():  # pragma: no cover - run.py test installs both
    if os.environ.get("CI"):
        raise RuntimeError("CI needs /usr/bin/chromium and axe-core: run `python3 run.py test`")
    pytest.skip(
        "needs Debian's chromium and axe-core (python3 run.py setup/test installs them)",
        allow_module_level=True,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def served(web: Web) -> AsyncIterator[str]:
    """The app behind a real HTTP server on a free port of this machine."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(web.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the web server did not start"
        await asyncio.sleep(0.05)
    yield f"http://localhost:{port}"
    server.should_exit = True
    await task


async def _axe(page: Any, what: str) -> None:
    """No WCAG 2.2 A/AA violation on the page (axe-core injected into it)."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    violations = [(v["id"], v["impact"], len(v["nodes"])) for v in result["violations"]]
    assert violations == [], (what, violations)


async def _sign_in(page: Any, base: str, web: Web, who: str) -> None:
    await page.goto(f"{base}/sign-in")
    await page.fill("#username", who)
    await page.fill("#password", PASSWORD)
    await page.fill("#code", pyotp.TOTP(web.secrets[who]).now())
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(f"{base}/inbox")


async def test_people_see_and_do_what_they_owe_in_a_real_browser(
    web: Web, served: str, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    shots = Path(os.environ.get("QA_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    await open_case(web)  # the business manager asked the police for a summary
    case = f"{served}/records/reviews/GSCP-2025-001"

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            police = await (
                await browser.new_context(viewport={"width": 1200, "height": 900})
            ).new_page()
            # a wrong security code: the error summary names the field and rule
            await police.goto(f"{served}/sign-in")
            await _axe(police, "sign-in")
            await police.screenshot(path=str(shots / "sign-in.png"))
            await police.fill("#username", "police")
            await police.fill("#password", PASSWORD)
            await police.fill("#code", "000000")
            await police.click("button:has-text('Sign in')")
            summary = police.locator(".govuk-error-summary")
            assert "valid_credentials" in (await summary.inner_text())
            await _axe(police, "sign-in with an error")

            # the police's lead signs in with TOTP and sees what their agency owes
            await _sign_in(police, served, web, "police")
            ask = police.locator('#mine tr[data-clock="agency_summary:POLICE"]')
            assert "overdue" in await ask.inner_text()
            await _axe(police, "inbox")
            await police.screenshot(path=str(shots / "inbox.png"), full_page=True)

            # one click to the case; answering for another agency is refused, nothing recorded
            await ask.locator("a").click()
            await police.wait_for_url(case)
            before = web.recorded()
            await police.click("#step-record-agency-summary summary")
            await police.fill("#record-agency-summary-agency", "ICB")
            await police.fill("#record-agency-summary-received_on", "2025-04-14")
            await police.click("button:has-text('Record: record agency summary')")
            summary = police.locator(".govuk-error-summary")
            assert "own_agency_answer" in await summary.inner_text()
            assert web.recorded() == before
            await _axe(police, "case page with a refusal")
            await police.screenshot(path=str(shots / "refusal.png"))

            # the answer is recorded and shows in the timeline, naming who recorded it
            await police.fill("#agency", "POLICE")
            await police.click("button:has-text('Record: record agency summary')")
            await police.wait_for_url(f"{case}#timeline")
            timeline = await police.locator('[data-testid="timeline"]').inner_text()
            assert "Chris Lane" in timeline
            await _axe(police, "case page")
            await police.screenshot(path=str(shots / "case.png"), full_page=True)

            # the ICB's lead cannot see the police's ask, nor open the case
            health = await (await browser.new_context()).new_page()
            await _sign_in(health, served, web, "health")
            assert await health.locator("tr[data-ref='GSCP-2025-001']").count() == 0
            refused = await health.goto(case)
            assert refused is not None and refused.status == 403
            assert "same_agency" in await health.inner_text("main")

            # the business manager's oversight shows the case; the auditor reads its history
            manager = await (
                await browser.new_context(viewport={"width": 1200, "height": 900})
            ).new_page()
            await _sign_in(manager, served, web, "manager")
            await manager.goto(f"{served}/oversight")
            assert await manager.locator("#records tr[data-ref='GSCP-2025-001']").count() == 1
            await _axe(manager, "oversight")
            await manager.screenshot(path=str(shots / "oversight.png"), full_page=True)
            # a new case reported from its form: refused first (aware before the incident)
            await manager.click("a:has-text('Report a serious incident')")
            await manager.fill("#case_ref", "GSCP-2025-002")
            await manager.fill("#incident_on", "2025-04-10")
            await manager.fill("#aware_on", "2025-04-09")
            await manager.fill("#child_refs", "C-10002")
            await manager.check("#abuse_or_neglect")
            await manager.select_option("#harm", "seriously_harmed")
            await manager.click("button:has-text('Report the incident')")
            await manager.wait_for_selector(".govuk-error-summary [data-field='aware_on']")
            await _axe(manager, "report a serious incident, refused")
            await manager.screenshot(path=str(shots / "new-case.png"), full_page=True)
            await manager.fill("#aware_on", "2025-04-11")
            await manager.click("button:has-text('Report the incident')")
            await manager.wait_for_url("**/records/reviews/GSCP-2025-002")
            assert await manager.locator("[data-clock='panel_notification']").count() == 1

            auditor = await (await browser.new_context()).new_page()
            await _sign_in(auditor, served, web, "auditor")
            await auditor.goto(f"{case}/history")
            await auditor.fill("#purpose", "QA audit")
            await auditor.click("button:has-text('Show the history')")
            assert "Intact" in await auditor.inner_text('[data-testid="verify"]')
            await _axe(auditor, "history")
        finally:
            await browser.close()
    reads = web.services.reviews.reads("GSCP", "GSCP-2025-001")
    assert ("local:auditor", "QA audit") in [(r.actor["subject"], r.purpose) for r in reads]
