"""The leave form in headless Chromium at a phone's width: opened from the chat's web_app button
with initData the emulator signs as Telegram would, submitted, and the leave stored.
Screenshots at 360 px and 1280 px go to /tmp/miniapp-*.png (to look at)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botapi_emulator.webapps import web_app_urls

from rules.vocabulary import AttendanceStatus
from storage import people
from tests.browser.test_sandbox_browser import CHROMIUM, CHROMIUM_FLAGS, CHROMIUM_PRESENT
from tests.chat.test_meetings_chat import (
    BOB,
    DAN,
    SEC,
    lines_of,
    local,
    meetings_in_db,
    people_of,
    schedule_by_chat,
    seed,
)
from tests.harness import running_bot

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp")


async def test_a_member_asks_leave_in_the_form_on_a_phone(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    assert CHROMIUM_PRESENT, "Debian's chromium is needed (scripts/test installs it)"
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'leave.db'}"
    async for bot in running_bot(database_url, web_base_url="https://branchbot.example"):
        assert bot.app is not None and bot.app.web is not None
        await seed(bot)
        crowd = people_of(bot)
        async with bot.app.database.session() as session:
            await people.set_language(session, DAN, "zh")  # the default language's screens
        await schedule_by_chat(bot, crowd[SEC], "Branch general assembly", local(5))
        await crowd[SEC].tap("✅ Schedule")
        (meeting,) = await meetings_in_db(bot)

        # The button the chat shows, opened as a reverse proxy would pass it to our server.
        replies = await crowd[DAN].say("/meetings")
        ((_label, public),) = [found for r in replies
                               for found in web_app_urls(r.raw.get("reply_markup"))]
        local_url = bot.app.web.url + urlsplit(public).path
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                       args=CHROMIUM_FLAGS)
            try:
                phone = await browser.new_page(viewport={"width": 360, "height": 740},
                                               locale="zh-CN")
                await phone.goto(bot.emulator.web_app_url(DAN, local_url))
                await expect(phone.locator("#leave h1")).to_have_text("请假")
                radio = phone.locator(f'input[name="meeting"][value="{meeting.id}"]')
                await expect(radio).to_be_checked()  # the only choice is chosen already
                await phone.fill("#reason", "当天出差")
                # Nothing is wider than the phone.
                width = await phone.evaluate("document.documentElement.scrollWidth")
                assert width <= 360, width
                await phone.screenshot(path=str(SHOTS / "miniapp-360-form.png"), full_page=True)
                await phone.click("#submit")
                await expect(phone.locator("#outcome")).to_contain_text("已为")
                await phone.screenshot(path=str(SHOTS / "miniapp-360-done.png"), full_page=True)

                wide = await browser.new_page(viewport={"width": 1280, "height": 800},
                                              locale="en-US")
                await wide.goto(bot.emulator.web_app_url(BOB, local_url))
                await expect(wide.locator("#leave h1")).to_have_text("Ask for leave")
                await wide.screenshot(path=str(SHOTS / "miniapp-1280-form.png"), full_page=True)
                # Opened without Telegram's initData: it says so, and shows no form.
                await wide.goto(local_url)
                await expect(wide.locator("#outcome")).to_contain_text("could not tell who")
            finally:
                await browser.close()

        await bot.settle()
        line = (await lines_of(bot, meeting.id))[DAN]
        assert line.status is AttendanceStatus.LEAVE_REQUESTED
        assert line.leave_reason == "当天出差"
        assert "当天出差" in crowd[SEC].last_text
        assert (await lines_of(bot, meeting.id))[BOB].status is AttendanceStatus.EXPECTED
