"""The "Log a training" form in headless Chromium at a phone's width: opened from the button the
year view shows, with initData the emulator signs as Telegram would, submitted, and the record
stored and sent to the secretary. Screenshots go to /tmp/trainform-*.png (to look at)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botapi_emulator.webapps import web_app_urls

from rules.vocabulary import TrainingKind, TrainingState
from storage import people
from tests.browser.chromium import SHOTS, chromium, fits_phone
from tests.chat.test_training_chat import ALICE, BOB, SEC_A, TZ, build_world, records, who
from tests.harness import running_bot

pytestmark = pytest.mark.browser


async def test_a_member_logs_a_training_in_the_form_on_a_phone(tmp_path: Path) -> None:
    from playwright.async_api import expect

    database_url = f"sqlite+aiosqlite:///{tmp_path / 'training.db'}"
    async for bot in running_bot(database_url, web_base_url="https://branchbot.example"):
        assert bot.app is not None and bot.app.web is not None
        w = await build_world(bot)
        alice, sec = who(bot, ALICE), who(bot, SEC_A)
        async with bot.app.database.session() as session:
            await people.set_language(session, ALICE, "zh")  # the default language's screens
        await alice.say("/training")
        ((_label, public),) = web_app_urls(alice.last.raw.get("reply_markup"))
        parts = urlsplit(public)
        local_url = f"{bot.app.web.url}{parts.path}?{parts.query}"
        day = bot.app.now().astimezone(TZ).date().isoformat()
        async with chromium() as browser:
            wide = await browser.new_page(viewport={"width": 1280, "height": 900},
                                          locale="zh-CN")
            await wide.goto(bot.emulator.web_app_url(ALICE, local_url))
            await expect(wide.locator("#training h1")).to_have_text("登记培训")
            await wide.screenshot(path=str(SHOTS / "trainform-1280.png"), full_page=True)
            phone = await browser.new_page(viewport={"width": 360, "height": 740},
                                           locale="zh-CN")
            await phone.goto(bot.emulator.web_app_url(ALICE, local_url))
            await expect(phone.locator("#training h1")).to_have_text("登记培训")
            await phone.select_option("#kind", TrainingKind.ONLINE.value)
            await phone.fill("#course", "学习强国专题学习")
            await phone.fill("#organizer", "区委组织部")
            await phone.fill("#start", day)
            await phone.fill("#end", day)
            await phone.fill("#amount", "1.5")
            await fits_phone(phone, "trainform-360.png")
            await phone.click("#submit")
            await expect(phone.locator("#outcome.done")).to_contain_text("学习强国专题学习")
            await phone.screenshot(path=str(SHOTS / "trainform-360-done.png"),
                                   full_page=True)
        await bot.settle()
        (record,) = await records(bot)
        assert record.person_id == w.person[ALICE] and record.kind is TrainingKind.ONLINE
        assert record.minutes == 90 and record.state is TrainingState.PENDING
        assert record.starts_on.isoformat() == day and record.organizer == "区委组织部"
        assert "学习强国专题学习" in sec.last_text


async def test_a_secretary_logs_for_members_in_the_form_on_a_phone(tmp_path: Path) -> None:
    from playwright.async_api import expect

    database_url = f"sqlite+aiosqlite:///{tmp_path / 'training.db'}"
    async for bot in running_bot(database_url, web_base_url="https://branchbot.example"):
        assert bot.app is not None and bot.app.web is not None
        w = await build_world(bot)
        sec, alice = who(bot, SEC_A), who(bot, ALICE)
        async with bot.app.database.session() as session:
            await people.set_language(session, SEC_A, "zh")
        await sec.say("/training")
        await sec.tap("🏢 支部培训")
        ((_label, public),) = web_app_urls(sec.last.raw.get("reply_markup"))
        parts = urlsplit(public)
        local_url = f"{bot.app.web.url}{parts.path}?{parts.query}"
        day = bot.app.now().astimezone(TZ).date().isoformat()
        async with chromium() as browser:
            phone = await browser.new_page(viewport={"width": 360, "height": 740},
                                           locale="zh-CN")
            await phone.goto(bot.emulator.web_app_url(SEC_A, local_url))
            await expect(phone.locator("#people input")).to_have_count(5)
            # Each is shown with a leader's role or where they stand: an activist as such.
            await expect(phone.locator("#people")).to_contain_text("入党积极分子")
            await expect(phone.locator("#people")).to_contain_text("书记")
            for person in (ALICE, BOB):
                await phone.check(f'#people input[value="{w.person[person]}"]')
            await phone.fill("#course", "党史学习教育专题培训")
            await phone.fill("#start", day)
            await phone.fill("#end", day)
            await phone.fill("#amount", "4")
            await phone.check('input[name="verify"]')
            await fits_phone(phone, "trainform-many-360.png")
            await phone.click("#submit")
            await expect(phone.locator("#outcome.done")).to_contain_text("Branch A")
            await phone.screenshot(path=str(SHOTS / "trainform-many-360-done.png"),
                                   full_page=True)
        await bot.settle()
        logged = await records(bot)
        assert sorted(r.person_id for r in logged) == sorted([w.person[ALICE], w.person[BOB]])
        assert {r.state for r in logged} == {TrainingState.VERIFIED}
        assert "党史学习教育专题培训" in alice.last_text
