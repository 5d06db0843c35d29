"""The sandbox chat page in headless Chromium: a person registers and sees the bot's replies."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.sandbox.runner import SANDBOX_SECRETARY, sandbox
from rules.vocabulary import MembershipState
from storage.models import Membership, Person
from tests.browser.chromium import chromium

pytestmark = pytest.mark.browser

MEMBER = 30_001


async def test_member_registers_through_the_chat_page(tmp_path: Path) -> None:
    from playwright.async_api import expect

    database_url = f"sqlite+aiosqlite:///{tmp_path / 'sandbox.db'}"
    settings = Settings(database_url=database_url, sandbox_port=0, metrics_port=0)
    async with sandbox(settings) as running, chromium() as browser:
        page = await browser.new_page(viewport={"width": 1200, "height": 800})
        await page.goto(running.emulator.page_url)
        bot_text = page.locator(".msg.bot .msg-text")

        async def say(text: str) -> None:
            await page.fill("#composer-input", text)
            await page.click("#composer-send")

        # The secretary opens the bot first (Telegram lets bots write only to such people).
        await page.click(f'[data-persona-id="{SANDBOX_SECRETARY}"]')
        await say("/start")
        await expect(bot_text.last).to_contain_text("欢迎回来")

        await page.click(f'[data-persona-id="{MEMBER}"]')
        await say(f"/start {running.invite_code}")
        await page.locator(".inline-btn", has_text="中文").last.click()
        await expect(bot_text.last).to_contain_text("真实姓名")
        await say("王丽")
        await page.locator(".inline-btn", has_text="正式党员").last.click()
        await expect(bot_text.last).to_contain_text("入党")
        await say("2016-07-01")
        await page.locator(".reply-btn", has_text="跳过").click()
        await expect(bot_text.last).to_contain_text("请核对")
        await page.locator(".inline-btn", has_text="提交").last.click()
        await expect(page.locator(".msg.bot").filter(has_text="已提交")).to_have_count(1)
        await page.screenshot(path=str(tmp_path / "member.png"))

        # The secretary, switching persona on the same page, approves with a button.
        await page.click(f'[data-persona-id="{SANDBOX_SECRETARY}"]')
        await expect(bot_text.last).to_contain_text("王丽")
        await page.locator(".inline-btn", has_text="批准").last.click()
        await expect(bot_text.last).to_contain_text("已批准")
        async with running.application.database.session() as session:
            state = await session.scalar(
                select(Membership.state).join(Person).where(Person.telegram_id == MEMBER)
            )
    assert state is MembershipState.ACTIVE
