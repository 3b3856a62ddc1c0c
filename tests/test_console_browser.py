"""The office's web console in a real browser: Debian's headless Chromium (``/usr/bin/chromium``,
driven by Playwright through ``executable_path`` — no browser is downloaded) signs in through a
one-time link and walks the main path: the dashboard → a report → its claim state → a rule added
and dry-run → a member invited → sign out.
A screenshot of the dashboard is saved as a test artefact (``artifacts/console-dashboard.png``, and
``console-dashboard-phone.png`` at a phone's width, where nothing may be wider than the screen).
Skips, saying why, where Chromium or Playwright is not installed (``.ci/run`` installs
``chromium`` and ``fonts-noto-cjk``, without which Chinese shows as boxes)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.console.app import make_app
from handlers.core.i18n import translator
from handlers.office.rules import list_rules
from tests.test_console import link_for, reports_world

STACK_TIER = "fast"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
zh = translator("zh")

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is not installed (pip install -e '.[test]')")
pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists(),
                                reason=f"no Chromium at {CHROMIUM} (apt-get install -y chromium fonts-noto-cjk)")


async def test_sign_in_dashboard_report_claim_state_sign_out(stack, tmp_path):
    codes = await reports_world(stack)
    server = TestServer(make_app(stack.app.db, stack.app.scheduler.config, stack.app.clock), host="127.0.0.1")
    await server.start_server()
    try:
        link = str(server.make_url(await link_for(stack, "O001")))
        async with playwright_api.async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-gpu"])
            try:
                page = await browser.new_page(viewport={"width": 1100, "height": 900}, locale="zh-CN")
                await page.goto(link)
                await page.get_by_role("button", name=zh.plain("Enter the console")).click()
                await page.wait_for_url("**/dashboard")
                assert await page.locator("h1").inner_text() == zh.plain("Dashboard")
                totals = await page.locator("#totals").inner_text()
                assert zh.plain("New") in totals and "3" in totals
                chart = page.locator("img.chart")
                await chart.wait_for()
                assert await chart.evaluate("img => img.complete && img.naturalWidth > 0")  # the chart loaded
                ARTIFACTS.mkdir(exist_ok=True)
                for target in (ARTIFACTS / "console-dashboard.png", tmp_path / "console-dashboard.png"):
                    await page.screenshot(path=str(target))
                assert (ARTIFACTS / "console-dashboard.png").stat().st_size > 10_000
                # readable on a phone: nothing wider than the screen (wide tables scroll in their own box)
                await page.set_viewport_size({"width": 390, "height": 844})
                assert await page.evaluate("document.documentElement.scrollWidth") <= 390
                await page.screenshot(path=str(ARTIFACTS / "console-dashboard-phone.png"))
                await page.set_viewport_size({"width": 1100, "height": 900})
                # the reports list, then the claimed one: its state and who claimed it
                await page.get_by_role("link", name=zh.plain("Reports"), exact=True).click()
                await page.screenshot(path=str(ARTIFACTS / "console-reports.png"), full_page=True)
                await page.get_by_role("link", name=codes["city"], exact=False).click()
                await page.wait_for_url(f"**/reports/{codes['city']}")
                assert await page.locator("#status").inner_text() == zh.plain("being handled")
                assert "张伟东" in await page.locator("main").inner_text()
                assert "市政协·智慧停车主题议政群" in await page.locator("#stands").inner_text()
                await page.screenshot(path=str(ARTIFACTS / "console-report.png"), full_page=True)
                # the anonymous Hongqiao report does not name its author
                await page.goto(str(server.make_url(f"/reports/{codes['hongqiao']}")))
                assert await page.locator("#author").inner_text() == zh.plain("anonymous member")
                # a rule added and dry-run (screens/rules.py), then a member invited (screens/roster.py)
                await page.get_by_role("link", name=zh.plain("Routing"), exact=True).click()
                await page.wait_for_url("**/rules")
                add = page.locator("#add form")
                await add.locator("input[name=targets]").fill("district:hongqiao")
                await add.locator("select[name=topic]").select_option("smart_parking")
                await add.locator("select[name=district]").select_option("hongqiao")
                async with stack.app.db.read() as conn:  # before the district port: it takes every Hongqiao report
                    port = next(r.id for r in await list_rules(conn) if r.note == "Hongqiao pilot: district port")
                await add.locator("select[name=before]").select_option(str(port))
                await add.get_by_role("button", name=zh.plain("Add rule")).click()
                await page.wait_for_url("**/rules?done=added*")
                assert "topic=smart_parking district=hongqiao" in await page.locator("table.rules").inner_text()
                trial = page.locator("#try form")
                await trial.locator("select[name=topic]").select_option("smart_parking")
                await trial.locator("select[name=district]").select_option("hongqiao")
                await trial.get_by_role("button", name=zh.plain("Try")).click()
                await page.wait_for_url("**/rules/try?*")
                assert "district:hongqiao" in await page.locator(".trial").inner_text()
                await page.get_by_role("link", name=zh.plain("Roster and invites"), exact=True).click()
                invites = page.locator("#invites form")
                await invites.locator("input[name=members]").fill("H006")
                await invites.get_by_role("button", name=zh.plain("Printable page with QR codes")).click()
                card = page.locator(".invite")
                assert await card.count() == 1 and "马俊杰" in await card.inner_text()
                assert "https://t.me/" in await card.inner_text() and await card.locator("svg").count() == 1
                await page.get_by_role("link", name=zh.plain("Dashboard"), exact=True).click()
                await page.get_by_role("button", name=zh.plain("Sign out")).click()
                await page.wait_for_url("**/signed-out")
                assert zh.plain("You have signed out") in await page.locator("h1").inner_text()
                await page.goto(str(server.make_url("/dashboard")))
                assert zh.plain("Please sign in") in await page.locator("h1").inner_text()
            finally:
                await browser.close()
    finally:
        await server.close()
