"""The dashboard in headless Chromium: the bot sends an admin the sign-in link through the
emulator, the browser opens it, sees the overview, drills into a branch and downloads a
table as .xlsx."""

from __future__ import annotations

import io
import re
import socket
from pathlib import Path

import openpyxl
import pytest
from aiohttp import web

from bot.web.dashboard import setup_dashboard
from tests.browser.chromium import chromium
from tests.chat.test_overview_chat import build_world
from tests.harness import ADMIN_ID, running_bot

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_admin_opens_the_link_and_exports_a_branch(tmp_path: Path) -> None:
    from playwright.async_api import expect

    port = free_port()
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'dashboard.db'}"
    async for bot in running_bot(database_url, web_base_url=f"http://127.0.0.1:{port}",
                                 web_port=0, metrics_port=0):
        assert bot.app is not None
        world = await build_world(bot)
        app = web.Application()
        setup_dashboard(app, bot.app)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            admin = bot.person(ADMIN_ID, "Admin", language_code="en")
            replies = await admin.say("/dashboard")
            found = re.search(r"http://127\.0\.0\.1:\d+/login/\S+", replies[-1].text)
            assert found, replies[-1].text
            async with chromium() as browser:
                page = await browser.new_page(viewport={"width": 1200, "height": 900},
                                              accept_downloads=True)
                await page.goto(found.group(0))
                # Opening the link asks first; the person's press signs in.
                await expect(page.locator("h1")).to_have_text("Sign in")
                await page.click("#signin")
                await expect(page.locator("h1")).to_have_text("Overview")
                await expect(page.locator("#t-coverage")).to_contain_text("80%")
                await expect(page.locator("img.chart")).to_be_visible()
                await page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

                await page.click("header >> text=Branches")
                await expect(page.locator("#t-branches")).to_contain_text("Joint Branch")
                await page.click("#t-branches >> text=Branch A")
                await expect(page.locator("h1")).to_have_text("Branch A")
                await expect(page.locator("#t-training")).to_contain_text("Sam Secretary")
                assert page.url.endswith(f"/dashboard/branch/{world.branch_a}")

                async with page.expect_download() as waiting:
                    await page.click("#export")
                download = await waiting.value
                saved = tmp_path / download.suggested_filename
                await download.save_as(saved)
                assert saved.suffix == ".xlsx"
                book = openpyxl.load_workbook(io.BytesIO(saved.read_bytes()))
                assert book.worksheets[0]["A1"].value == "Branch A"
                names = {r[0] for r in book.worksheets[4].iter_rows(min_row=5,
                                                                    values_only=True)}
                assert names == {"Sam Secretary", "Alice Wang"}

                # The link was used up: opening it again shows the refusal.
                again = await browser.new_page()
                await again.goto(found.group(0))
                await expect(again.locator("h1")).to_have_text("This link no longer works")
        finally:
            await runner.cleanup()
