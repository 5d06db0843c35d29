"""The leave form (a Telegram Mini App) over the bot's real web server: signed initData as the
emulator signs it (as Telegram would), the same stored leave as the chat flow, and refusals for
forged or old initData and meetings outside the actor's rights."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from botapi_emulator.webapps import web_app_urls

from bot.web.miniapp import GONE
from handlers.kit.chat import NOT_ALLOWED
from handlers.kit.i18n import translator
from handlers.meetings.manage import LEAVE_REFUSALS
from handlers.menu import SHORT_DESCRIPTION
from rules.vocabulary import AttendanceStatus
from storage import people
from tests.chat.test_meetings_chat import (
    ALICE,
    BOB,
    CAROL,
    DAN,
    SEC,
    lines_of,
    local,
    meetings_in_db,
    people_of,
    schedule_by_chat,
    seed,
)
from tests.harness import Bot, running_bot

BASE = "https://branchbot.example"
t = translator("en")
zh = translator("zh")


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Bot]:
    """The bot with a public https address, so the chat offers the form."""
    async for running in running_bot(database_url, web_base_url=BASE):
        yield running


def server(bot: Bot) -> str:
    assert bot.app is not None and bot.app.web is not None
    return bot.app.web.url


def init_data(bot: Bot, telegram_id: int, *, auth_date: int | None = None) -> str:
    return bot.emulator.web_app_init_data(telegram_id, auth_date=auth_date)


async def form_of(bot: Bot, init: str, **headers: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(
        server(bot) + "/app/leave/form", headers={"X-Telegram-Init-Data": init, **headers},
    ) as response:
        return response.status, await response.text()


async def submit(bot: Bot, init: str, meeting: Any, reason: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.post(
        server(bot) + "/app/leave",
        data={"initData": init, "meeting": str(meeting), "reason": reason},
    ) as response:
        return response.status, await response.text()


async def answers(bot: Bot, *meetings: int) -> list[tuple[int, int, Any, Any]]:
    found = []
    for meeting in meetings:
        found += [(meeting, who, line.status, line.leave_reason)
                  for who, line in (await lines_of(bot, meeting)).items()]
    return sorted(found)


async def test_the_form_asks_leave_as_the_chat_does(bot: Bot) -> None:
    await seed(bot)
    crowd = people_of(bot)
    sec, bob = crowd[SEC], crowd[BOB]
    await schedule_by_chat(bot, sec, "Branch general assembly", local(5))
    await sec.tap("✅ Schedule")
    (meeting,) = await meetings_in_db(bot)

    # /meetings offers the form as a Mini App button to the form's https address.
    replies = await crowd[DAN].say("/meetings")
    (header,) = [r for r in replies if "Your upcoming meetings" in r.text]
    assert [(b.text, b.kind) for b in header.buttons] == [("📝 Ask for leave (form)", "web_app")]
    assert web_app_urls(header.raw.get("reply_markup")) == [
        ("📝 Ask for leave (form)", f"{BASE}/app/leave")]
    # ...and the chat's menu button opens it too (set at startup), with the bot's
    # description and short description in each language.
    assert bot.emulator.menu_button_of(DAN)["web_app"] == {"url": f"{BASE}/app/leave"}
    assert bot.app is not None
    for language, code in (("zh", None), ("en", "en")):
        said = await bot.app.bot.get_my_short_description(language_code=code)
        assert said.short_description == translator(language).as_plain(SHORT_DESCRIPTION)
        assert (await bot.app.bot.get_my_description(language_code=code)).description

    # Bob asks in the chat.
    await bob.tap("🙋 Ask for leave")
    await bob.say("Family emergency")
    # Dan opens the form: his meeting is offered; he asks with the same reason.
    status, page = await form_of(bot, init_data(bot, DAN))
    assert status == 200, page
    assert f'value="{meeting.id}"' in page and "Branch general assembly" in page
    assert "Why can you not attend?" in page
    status, page = await submit(bot, init_data(bot, DAN), meeting.id, "  Family emergency ")
    assert status == 200, page
    assert "Leave requested from Branch general assembly" in page
    await bot.settle()

    lines = await lines_of(bot, meeting.id)
    by_chat, by_form = lines[BOB], lines[DAN]
    stored = ("status", "leave_reason", "leave_decided_by", "checked_in_at")
    assert [getattr(by_form, k) for k in stored] == [getattr(by_chat, k) for k in stored]
    assert by_form.status is AttendanceStatus.LEAVE_REQUESTED
    assert by_form.leave_reason == "Family emergency"
    # The secretary got the same request, and decides it in the chat.
    request = sec.last
    assert "Leave request" in request.text and "Dan Zhou" in request.text
    assert "Family emergency" in request.text
    # Dan's own chat shows his answer, as after the chat flow.
    assert "leave requested" in crowd[DAN].last_text
    await sec.tap("✅ Approve leave", request.message_id)
    assert (await lines_of(bot, meeting.id))[DAN].status is AttendanceStatus.ON_LEAVE

    # Once asked, the meeting is no longer offered, and a second post is refused.
    status, page = await form_of(bot, init_data(bot, DAN))
    assert "You have no upcoming meetings to ask leave from." in page
    status, page = await submit(bot, init_data(bot, DAN), meeting.id, "Again")
    assert status == 403 and t(LEAVE_REFUSALS[AttendanceStatus.ON_LEAVE]) in page
    assert (await lines_of(bot, meeting.id))[DAN].leave_reason == "Family emergency"


async def test_forged_old_or_foreign_requests_are_refused(bot: Bot) -> None:
    seeded = await seed(bot)
    crowd = people_of(bot)
    sec = crowd[SEC]
    await schedule_by_chat(bot, sec, "Branch general assembly", local(5))
    await sec.tap("✅ Schedule")
    await schedule_by_chat(bot, sec, "Branch committee meeting", local(6), place=("text", "Office"))
    await sec.tap("✅ Schedule")
    assembly, committee = await meetings_in_db(bot)
    before = await answers(bot, assembly.id, committee.id)

    # A bad signature: Alice's initData with the user changed to Bob.
    alice = init_data(bot, ALICE)
    forged = alice.replace(f"%22id%22%3A{ALICE}", f"%22id%22%3A{BOB}")
    assert forged != alice
    for status, page in (await form_of(bot, forged),
                         await submit(bot, forged, assembly.id, "Busy")):
        assert status == 401
        assert zh("This form could not tell who you are. Close it and open it again from the "
                  "chat with the bot.") in page
    # Without initData at all, in the browser's language.
    status, page = await form_of(bot, "", **{"Accept-Language": "en-US"})
    assert status == 401 and "could not tell who you are" in page
    # Signed more than a day ago.
    old = init_data(bot, ALICE, auth_date=int(time.time()) - 25 * 3600)
    assert (await submit(bot, old, assembly.id, "Busy"))[0] == 401
    # Signed now: accepted (the same person, the same meeting, nothing else changed).
    assert (await form_of(bot, init_data(bot, ALICE)))[0] == 200

    # A meeting Alice is not expected at (the branch committee's).
    status, page = await submit(bot, init_data(bot, ALICE), committee.id, "Busy")
    assert status == 403 and t(NOT_ALLOWED) in page
    # Carol, of branch B, for branch A's meeting: refused in her language (Chinese here).
    assert bot.app is not None
    async with bot.app.database.session() as session:
        await people.set_language(session, CAROL, "zh")
    status, page = await submit(bot, init_data(bot, CAROL), assembly.id, "Busy")
    assert status == 403 and zh(NOT_ALLOWED) in page
    # A meeting that does not exist, and one that is not a number.
    status, page = await submit(bot, init_data(bot, ALICE), 999_999, "Busy")
    assert status == 403 and t(GONE) in page
    status, page = await submit(bot, init_data(bot, ALICE), "1 OR 1=1", "Busy")
    assert status == 400 and t(GONE) in page
    # An empty reason: the form again, with why, and nothing stored.
    status, page = await submit(bot, init_data(bot, ALICE), assembly.id, "   ")
    assert status == 400 and 'class="error"' in page and 'id="leave"' in page
    # A reason with markup is shown back as text, never as markup.
    status, page = await submit(bot, init_data(bot, ALICE), assembly.id, "<b>x</b>\n" * 30)
    assert status == 400 and "<b>x</b>" not in page

    assert await answers(bot, assembly.id, committee.id) == before
    assert seeded.branch_b


async def test_the_page_is_plain_html_with_its_own_script(bot: Bot) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(server(bot) + "/app/leave") as response:
            page = await response.text()
            policy = response.headers["Content-Security-Policy"]
        async with http.get(server(bot) + "/app/miniapp.js") as response:
            script = await response.text()
    assert '<html lang="zh-CN">' in page and "请假" in page
    assert re.findall(r'<script src="([^"]+)"', page) == ["/app/miniapp.js"]
    assert "script-src 'self'" in policy and "telegram.org" not in page
    assert "tgWebAppData" in script and "X-Telegram-Init-Data" in script


async def test_no_public_address_no_form_button(database_url: str) -> None:
    async for plain in running_bot(database_url):
        await seed(plain)
        crowd = people_of(plain)
        await schedule_by_chat(plain, crowd[SEC], "Branch general assembly", local(5))
        await crowd[SEC].tap("✅ Schedule")
        replies = await crowd[DAN].say("/meetings")
        assert not any(b.kind == "web_app" for r in replies for b in r.buttons)
        assert plain.emulator.menu_button_of(DAN) == {"type": "commands"}
