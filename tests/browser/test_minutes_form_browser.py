"""The minutes form in headless Chromium at a phone's width: opened from the button the chat's
closing flow shows where it asks for the minutes, with initData the emulator signs at the bot's
clock, submitted, and the meeting closed with the record in the chat. Screenshots go to
/tmp/minutesform-*.png (at 360 and 1280 px, to look at)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botapi_emulator.webapps import web_app_urls

from rules.vocabulary import MeetingState
from storage import people
from storage.models import Meeting
from tests.browser.chromium import SHOTS, chromium, fits_phone
from tests.chat.test_checkin_chat import CAROL, NAMES, NOON, SEC, person, seed
from tests.harness import running_bot

pytestmark = pytest.mark.browser

MINUTES = "学习党章第五章。\n决定：五月举办主题党日。"


async def test_a_secretary_records_minutes_in_the_form_on_a_phone(tmp_path: Path) -> None:
    from playwright.async_api import expect

    database_url = f"sqlite+aiosqlite:///{tmp_path / 'minutes.db'}"
    async for bot in running_bot(database_url, web_base_url="https://branchbot.example"):
        assert bot.app is not None and bot.app.web is not None
        w = await seed(bot, now=NOON)
        for who in NAMES:
            person(bot, who)
        sec = person(bot, SEC)
        async with bot.app.database.session() as session:
            await people.set_language(session, SEC, "zh")  # the default language's screens
        await sec.say("/start")
        await sec.forge(f"ck:close:{w.meeting}")
        ((_label, public),) = web_app_urls(sec.last.raw.get("reply_markup"))
        parts = urlsplit(public)
        local_url = f"{bot.app.web.url}{parts.path}?{parts.query}"
        signed = int(bot.app.now().timestamp())  # the bot's clock, not the wall clock
        async with chromium() as browser:
            wide = await browser.new_page(viewport={"width": 1280, "height": 800},
                                          locale="zh-CN")
            await wide.goto(bot.emulator.web_app_url(SEC, local_url, auth_date=signed))
            await expect(wide.locator("#minutes h1")).to_have_text("填写会议记录")
            await wide.fill("#text", MINUTES)
            await wide.screenshot(path=str(SHOTS / "minutesform-1280.png"), full_page=True)

            phone = await browser.new_page(viewport={"width": 360, "height": 740},
                                           locale="zh-CN")
            await phone.goto(bot.emulator.web_app_url(SEC, local_url, auth_date=signed))
            await expect(phone.locator("#minutes h1")).to_have_text("填写会议记录")
            await expect(phone.locator(f'input[name="meeting"][value="{w.meeting}"]')
                         ).to_be_checked()
            await phone.fill("#text", MINUTES)
            await fits_phone(phone, "minutesform-360.png")
            await phone.click("#submit")
            await expect(phone.locator("#outcome")).to_contain_text("记录已锁定")
            await phone.screenshot(path=str(SHOTS / "minutesform-360-done.png"),
                                   full_page=True)
        await bot.settle()
        async with bot.app.database.session() as session:
            meeting = await session.get(Meeting, w.meeting)
        assert meeting is not None and meeting.state is MeetingState.CLOSED
        assert meeting.minutes == MINUTES and meeting.closed_by == SEC
        assert "决定：五月举办主题党日。" in sec.last_text
        assert "You were absent from" in person(bot, CAROL).last_text
