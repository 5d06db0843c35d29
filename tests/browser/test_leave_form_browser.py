"""The leave form in headless Chromium at a phone's width: opened from the chat's web_app button
with initData the emulator signs as Telegram would, submitted, and the leave stored.
Screenshots at 360 px and 1280 px go to /tmp/miniapp-*.png (to look at)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botapi_emulator.webapps import web_app_urls
from sqlalchemy import select

from rules.vocabulary import AttendanceStatus, MeetingKind
from storage import meetings as meeting_store
from storage import orgs, people
from storage.meetings import MeetingPlan
from storage.models import Attendance, utcnow
from tests.browser.chromium import SHOTS, chromium, fits_phone
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


async def test_a_member_asks_leave_in_the_form_on_a_phone(tmp_path: Path) -> None:
    from playwright.async_api import expect

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
        async with chromium() as browser:
            phone = await browser.new_page(viewport={"width": 360, "height": 740},
                                           locale="zh-CN")
            await phone.goto(bot.emulator.web_app_url(DAN, local_url))
            await expect(phone.locator("#leave h1")).to_have_text("请假")
            radio = phone.locator(f'input[name="meeting"][value="{meeting.id}"]')
            await expect(radio).to_be_checked()  # the only choice is chosen already
            await phone.fill("#reason", "当天出差")
            await fits_phone(phone, "miniapp-360-form.png")
            await phone.click("#submit")
            await expect(phone.locator("#outcome")).to_contain_text("已为")
            await phone.screenshot(path=str(SHOTS / "miniapp-360-done.png"), full_page=True)

            wide = await browser.new_page(viewport={"width": 1280, "height": 800},
                                          locale="en-US")
            await wide.goto(bot.emulator.web_app_url(BOB, local_url))
            await expect(wide.locator("#leave h1")).to_have_text("Ask for leave")
            await wide.screenshot(path=str(SHOTS / "miniapp-1280-form.png"), full_page=True)
            # Reloaded without the hash, the tab keeps its initData (as Telegram's own
            # script does); a new tab without Telegram's initData is told so, with no form.
            await wide.goto(local_url)
            await expect(wide.locator("#leave h1")).to_have_text("Ask for leave")
            bare = await browser.new_page(locale="en-US")
            await bare.goto(local_url)
            await expect(bare.locator("#outcome")).to_contain_text("could not tell who")
            await expect(bare.locator("form")).to_have_count(0)

        await bot.settle()
        line = (await lines_of(bot, meeting.id))[DAN]
        assert line.status is AttendanceStatus.LEAVE_REQUESTED
        assert line.leave_reason == "当天出差"
        assert "当天出差" in crowd[SEC].last_text
        assert (await lines_of(bot, meeting.id))[BOB].status is AttendanceStatus.EXPECTED


async def test_the_sandbox_chat_page_opens_the_form(tmp_path: Path) -> None:
    """The sandbox's chat page opens web_app buttons and the menu button in a panel, signed by
    its emulator, with no https address of the bot's own."""
    from playwright.async_api import expect

    from bot.config import Settings
    from bot.sandbox.runner import SANDBOX_FORMS, SANDBOX_SECRETARY, sandbox

    database_url = f"sqlite+aiosqlite:///{tmp_path / 'sandbox.db'}"
    settings = Settings(database_url=database_url, sandbox_port=0, web_port=0, metrics_port=0)
    async with sandbox(settings) as running, chromium() as browser:
        database = running.application.database
        async with database.session() as session:
            org_id = (await orgs.member_orgs(session))[0].id
            starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
            await meeting_store.schedule(session, MeetingPlan(
                org_id=org_id, kind=MeetingKind.ASSEMBLY, starts_at=starts,
                ends_at=starts + timedelta(hours=2), topic="Demo"), created_by=SANDBOX_SECRETARY,
                now=utcnow())
        page = await browser.new_page(viewport={"width": 1200, "height": 800})
        await page.goto(running.emulator.page_url)
        await page.click(f'[data-persona-id="{SANDBOX_SECRETARY}"]')
        await page.fill("#composer-input", "/meetings")
        await page.click("#composer-send")
        button = page.locator(".inline-btn.web-app", has_text="请假（表单）")
        await expect(button).to_have_attribute("title", SANDBOX_FORMS + "/app/leave")
        await button.click()
        frame = page.frame_locator("#webapp-frame")
        await expect(frame.locator("#leave h1")).to_have_text("请假")
        # The browser asked in English; the page follows the person's language.
        await expect(frame.locator("#title")).to_have_text("请假")
        await frame.locator("#reason").fill("外出培训")
        await frame.locator("#submit").click()
        await expect(frame.locator("#outcome")).to_contain_text("已为")
        await page.screenshot(path=str(SHOTS / "miniapp-sandbox.png"))
        await page.click("#webapp-close")
        # The menu button opens the same form (nothing left to ask leave from now).
        await expect(page.locator("#menu-app-btn")).to_have_text("📝 请假")
        await page.click("#menu-app-btn")
        await expect(frame.locator("#outcome")).to_contain_text("没有可以请假的会议")
        async with database.session() as session:
            reasons = list(await session.scalars(select(Attendance.leave_reason).where(
                Attendance.status == AttendanceStatus.LEAVE_REQUESTED)))
        assert reasons == ["外出培训"]
