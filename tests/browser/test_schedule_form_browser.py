"""The schedule form in headless Chromium at a phone's width: opened from the button /schedule
shows, with initData the emulator signs as Telegram would, submitted, and the meeting stored
and announced. A screenshot goes to /tmp/schedform-360.png (to look at)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botapi_emulator.webapps import web_app_urls

from storage import people
from tests.browser.chromium import SHOTS, chromium, fits_phone
from tests.chat.test_meetings_chat import DAN, SEC, TZ, meetings_in_db, people_of, seed
from tests.harness import running_bot

pytestmark = pytest.mark.browser


async def test_a_secretary_schedules_in_the_form_on_a_phone(tmp_path: Path) -> None:
    from playwright.async_api import expect

    database_url = f"sqlite+aiosqlite:///{tmp_path / 'schedule.db'}"
    async for bot in running_bot(database_url, web_base_url="https://branchbot.example"):
        assert bot.app is not None and bot.app.web is not None
        seeded = await seed(bot)
        crowd = people_of(bot)
        async with bot.app.database.session() as session:
            await people.set_language(session, SEC, "zh")  # the default language's screens
        await crowd[SEC].say("/schedule")
        ((_label, public),) = web_app_urls(crowd[SEC].last.raw.get("reply_markup"))
        parts = urlsplit(public)
        local_url = f"{bot.app.web.url}{parts.path}?{parts.query}"
        day = (datetime.now(TZ) + timedelta(days=4)).strftime("%Y-%m-%d")
        async with chromium() as browser:
            phone = await browser.new_page(viewport={"width": 360, "height": 740},
                                           locale="zh-CN")
            await phone.goto(bot.emulator.web_app_url(SEC, local_url))
            await expect(phone.locator("#schedule h1")).to_have_text("安排会议")
            await expect(phone.locator("#org")).to_have_value(str(seeded.branch_a))
            await phone.select_option("#kind", "lesson")
            await phone.fill("#topic", "学习党章")
            await phone.fill("#date", day)
            await phone.fill("#start", "09:00")
            await phone.fill("#end", "10:30")
            await phone.fill("#place", "302 会议室")
            await phone.fill("#lect", "王老师")
            await fits_phone(phone, "schedform-360.png")
            await phone.click("#submit")
            await expect(phone.locator("#outcome")).to_contain_text("已安排")
            await phone.screenshot(path=str(SHOTS / "schedform-360-done.png"),
                                   full_page=True)
        await bot.settle()
        (meeting,) = await meetings_in_db(bot)
        assert meeting.topic == "学习党章" and meeting.lecturer == "王老师"
        assert meeting.starts_at.astimezone(TZ).strftime("%Y-%m-%d %H:%M") == day + " 09:00"
        assert "New meeting" in crowd[DAN].last_text
