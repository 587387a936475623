"""The issue's "done means", as a new user meets it: ``qa-engine dev`` (real Temporal dev
server, worker, projections, outbox sender, web app, local SMTP sink, demo records and
accounts), then two people in two browser contexts of Debian's Chromium.

The business manager signs in with the demo account the banner printed, opens a case
and asks the police for an agency summary; the police's safeguarding lead signs in,
sees the ask in their inbox and the email at the dev mail page (sent through the real
SMTP sink, delivery status ``sent``), and answers it; the business manager's case page
shows the clock met, and the lead's inbox no longer lists it."""

from __future__ import annotations

import asyncio
import os
import re
import socket
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest

from domain.calendar import LONDON
from qa_engine.calendar import england_and_wales
from qa_engine.config import Settings
from qa_engine.entry.runtime import run_dev
from tests.test_web_browser import CHROMIUM, _axe

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _accounts(banner: str) -> dict[str, tuple[str, str]]:
    """username -> (password, TOTP secret), as ``qa-engine dev`` printed them."""
    found = re.findall(r"^\s{4}(\w+)\s+(demo-\S+)\s+([A-Z2-7]{16,})\s", banner, re.M)
    return {user: (password, secret) for user, password, secret in found}


async def _sign_in(page: Any, base: str, who: str, accounts: dict[str, tuple[str, str]]) -> None:
    password, secret = accounts[who]
    await page.goto(f"{base}/sign-in")
    await page.fill("#username", who)
    await page.fill("#password", password)
    await page.fill("#code", pyotp.TOTP(secret).now())
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(f"{base}/inbox")


async def _record(page: Any, slug: str, values: dict[str, str], *, check: str = "") -> None:
    """Fill the step's form on the case page and send it (the page comes back at the
    timeline when it is recorded)."""
    await page.click(f"#step-{slug} summary")
    for name, value in values.items():
        await page.fill(f"#{slug}-{name}", value)
    if check:
        await page.check(f"#{slug}-{check}")
    await page.click(f"#step-{slug} button[type=submit]")
    await page.wait_for_url(re.compile(r".*#timeline$"))
    assert await page.locator(".govuk-error-summary").count() == 0, await page.inner_text("main")


async def test_done_means_two_people_and_an_email_through_qa_engine_dev(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from playwright.async_api import async_playwright

    shots = Path(os.environ.get("QA_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    port = _port()
    settings = Settings(
        data_dir=tmp_path,
        dev_server_port=port,
        dev_server_ui_port=_port(),
        temporal_address=f"127.0.0.1:{port}",
        web_port=_port(),
        codec_server_port=_port(),
        projection_poll_seconds=0.2,
        notify_poll_seconds=0.2,
    )
    base = f"http://{settings.web_host}:{settings.web_port}"
    stop = asyncio.Event()
    dev = asyncio.create_task(run_dev(settings, demo=True, stop=stop))
    try:
        async with asyncio.timeout(180):
            while "Press Ctrl-C to stop." not in (printed := capsys.readouterr().out):
                assert not dev.done(), dev.exception()
                await asyncio.sleep(0.2)
        assert f"{base}/dev/mail" in printed
        assert re.search(r"dev mail\s+SMTP sink 127\.0\.0\.1:\d+", printed)
        accounts = _accounts(printed)
        assert {"manager", "police"} <= set(accounts), printed
        async with httpx.AsyncClient() as http:  # the page is the dev app's, behind sign-in
            r = await http.get(f"{base}/dev/mail", follow_redirects=False)
            assert (r.status_code, r.headers["location"]) == (303, "/sign-in")

        today = datetime.now(LONDON).date()
        due = england_and_wales().add_working_days(today, 5)
        case = f"{base}/records/reviews/DEMO-001"
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            try:
                manager = await (
                    await browser.new_context(viewport={"width": 1200, "height": 900})
                ).new_page()
                await _sign_in(manager, base, "manager", accounts)
                await manager.goto(f"{base}/oversight")
                await manager.click("#records tr[data-ref='DEMO-001'] a")
                await manager.wait_for_url(case)
                day = today.isoformat()
                await _record(manager, "record-panel-notification", {"notified_on": day})
                await _record(manager, "record-partners-informed", {"informed_on": day})
                await _record(
                    manager,
                    "record-threshold-decision",
                    {"decided_on": day, "rationale": "Criteria met."},
                    check="met",
                )
                await _record(
                    manager,
                    "request-agency-summaries",
                    {"requested_on": day, "requests": f"POLICE, {due.isoformat()}"},
                )
                asked = manager.locator(
                    '[data-testid="clocks"] tr[data-clock="agency_summary:POLICE"]'
                )
                assert "open" in await asked.inner_text()

                # the police's lead, in another browser context
                police = await (
                    await browser.new_context(viewport={"width": 1200, "height": 900})
                ).new_page()
                await _sign_in(police, base, "police", accounts)
                ask = police.locator(
                    '#mine tr[data-ref="DEMO-001"][data-clock="agency_summary:POLICE"]'
                )
                assert await ask.count() == 1
                assert due.strftime("%-d %b %Y") in await ask.inner_text()

                # the email reached the SMTP sink: to the police's lead, nothing personal
                mail = police.locator('[data-testid="mail"]', has_text="Asked of POLICE").filter(
                    has_text="DEMO-001"
                )
                async with asyncio.timeout(60):
                    while True:
                        await police.goto(f"{base}/dev/mail")
                        if (
                            await mail.count() == 1
                            and "sent" in await mail.locator('[data-testid="status"]').inner_text()
                        ):
                            break
                        await asyncio.sleep(0.5)
                assert await mail.locator('[data-testid="to"]').inner_text() == (
                    "police.lead@demo.example"
                )
                body = await mail.locator('[data-testid="body"]').inner_text()
                assert f"{base}/partnerships/DEMO/reviews/DEMO-001" in body
                assert "C-00101" not in body  # the demo child's reference is never sent
                await _axe(police, "dev mail")
                await police.screenshot(path=str(shots / "dev-mail.png"), full_page=True)
                # the manager's mail (the case's other asks) is not the lead's to read
                assert await police.locator("text=business.manager@demo.example").count() == 0

                # one click from the inbox to the case; the lead answers for POLICE
                await police.goto(f"{base}/inbox")
                await ask.locator("a").click()
                await police.wait_for_url(case)
                await _record(
                    police,
                    "record-agency-summary",
                    {"agency": "POLICE", "received_on": today.isoformat()},
                )
                timeline = await police.locator('[data-testid="timeline"]').inner_text()
                assert "Chris Lane" in timeline
                await police.goto(f"{base}/inbox")
                assert await ask.count() == 0

                # the business manager sees it met
                await manager.goto(case)
                met = manager.locator(
                    '[data-testid="clocks"] tr[data-clock="agency_summary:POLICE"]'
                )
                assert "met" in await met.inner_text()
                # and the request's email, with its delivery status, on the case page
                email = manager.locator(
                    '[data-testid="emails"] tr[data-clock="agency_summary:POLICE"]'
                    '[data-what="request"]'
                )
                assert "sent" in await email.inner_text()
                await _axe(manager, "case page with its emails")
                await manager.goto(f"{base}/dev/mail")
                assert await manager.locator('[data-testid="mail"]').count() >= 1
            finally:
                await browser.close()
    finally:
        stop.set()
        await asyncio.wait_for(dev, 60)
