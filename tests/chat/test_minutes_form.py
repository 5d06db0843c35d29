"""The minutes form (a Telegram Mini App) over the bot's real web server: signed initData as the
emulator signs it, the same frozen record, audit and catch-up notices as the chat's closing
flow, and refusals for forged or old initData, meetings outside the actor's rights and empty
or over-long minutes. The bot's clock is stopped at noon in Shanghai (the harness's clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from botapi_emulator.webapps import web_app_urls
from sqlalchemy import select

from bot.web.forms.minutes import NONE_AWAITING, TITLE
from bot.web.miniapp import GONE
from handlers.checkin.views import NOT_STARTED, REFUSALS
from handlers.kit.chat import NOT_ALLOWED
from rules.vocabulary import AttendanceStatus, MeetingKind
from storage import meetings as store
from storage import people
from storage.models import AuditEvent, Meeting
from tests.chat.test_checkin_chat import (
    CAROL,
    DAVE,
    ERIN,
    NAMES,
    NOON,
    SEC,
    SEC_B,
    World,
    lines,
    person,
    seed,
    snapshot,
)
from tests.chat.test_leave_form import BASE, server, t, zh
from tests.harness import Bot, running_bot

MINUTES = "Studied the constitution, chapter 5.\nDecided: a theme day in May."


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Bot]:
    """The bot with a public https address, so the chat offers the form."""
    async for running in running_bot(database_url, web_base_url=BASE):
        yield running


def init_data(bot: Bot, telegram_id: int, *, age: timedelta = timedelta(0)) -> str:
    """initData signed at the bot's (stopped) clock, `age` ago."""
    assert bot.app is not None
    return bot.emulator.web_app_init_data(
        telegram_id, auth_date=int((bot.app.now() - age).timestamp()))


async def form_of(bot: Bot, init: str, query: str = "") -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(
        server(bot) + "/app/minutes/form" + query, headers={"X-Telegram-Init-Data": init},
    ) as response:
        return response.status, await response.text()


async def submit(bot: Bot, init: str, meeting: Any, text: str = MINUTES) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.post(
        server(bot) + "/app/minutes",
        data={"initData": init, "meeting": str(meeting), "text": text},
    ) as response:
        return response.status, await response.text()


async def twin(bot: Bot, w: World, *, hours_before: int = 4) -> int:
    """A second meeting of branch A like the seeded one (Erin on approved leave), earlier."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        starts_at = w.now - timedelta(hours=hours_before)
        meeting = await store.schedule(session, store.MeetingPlan(
            org_id=w.branch, kind=MeetingKind.ASSEMBLY, starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=3), topic="Study the constitution",
            place="Room 101", host="Sam Secretary", recorder="Alice Adams",
        ), created_by=SEC, now=starts_at - timedelta(hours=1))
        leave = await store.answer(session, meeting, w.memberships[ERIN], attending=False,
                                   reason="family visit")
        assert await store.decide_leave(session, leave, approve=True, by=SEC)
        return meeting.id


async def closing_events(bot: Bot, meeting: int) -> list[tuple[int | None, dict[str, Any]]]:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        events = await session.scalars(select(AuditEvent).where(
            AuditEvent.action == "meeting.close", AuditEvent.target_id == meeting))
        return [(e.actor_telegram_id, e.details) for e in events.all()]


async def meeting_row(bot: Bot, meeting: int) -> Meeting:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        found = await session.get(Meeting, meeting)
        assert found is not None
        return found


def catch_ups(bot: Bot, telegram_id: int) -> int:
    return sum("You were absent from" in m.text for m in bot.emulator.bot_messages(telegram_id))


async def test_the_form_closes_as_the_chat_does(bot: Bot) -> None:
    w = await seed(bot, now=NOON)
    other = await twin(bot, w)
    sec = person(bot, SEC)

    # Both meetings await their minutes; the form without an id offers them to pick.
    status, page = await form_of(bot, init_data(bot, SEC))
    assert status == 200, page
    assert f'value="{w.meeting}"' in page and f'value="{other}"' in page
    assert "Which meeting?" in page and "Study the constitution" in page

    # The chat's closing flow, where the minutes are asked, offers the form for this meeting.
    await sec.say("/start")
    await sec.forge(f"ck:close:{w.meeting}")
    assert "Type the minutes" in sec.last_text
    assert web_app_urls(sec.last.raw.get("reply_markup")) == [
        ("📝 Record minutes in a form", f"{BASE}/app/minutes?meeting={w.meeting}")]
    await sec.say(MINUTES)
    await sec.tap("Done")
    await sec.tap("🔒 Close and freeze")
    await bot.settle()
    before = {who: catch_ups(bot, who) for who in NAMES}

    # The form for the other meeting: the meeting, its counts so far, the minutes box.
    status, page = await form_of(bot, init_data(bot, SEC), f"?meeting={other}")
    assert status == 200, page
    assert "Branch general assembly" in page and "Study the constitution" in page
    assert "Room 101" in page and "Branch A" in page and "(Wednesday) 08:00–11:00" in page
    assert "If closed now: Expected 6 · present 0 · on leave 1 · absent 5" in page
    assert f'value="{other}"' in page and f'value="{w.meeting}"' not in page
    assert 'maxlength="4000"' in page and "sign-in sheet" in page
    status, page = await submit(bot, init_data(bot, SEC), other)
    assert status == 200, page
    assert "Closed. The record is frozen." in page
    assert "Expected 6 · present 0 · on leave 1 · absent 5" in page
    assert "5 absent members were asked to catch up" in page
    await bot.settle()

    # The same record as the chat stored: state, minutes, who and when, every line, the audit.
    by_chat, by_form = await meeting_row(bot, w.meeting), await meeting_row(bot, other)
    same = ("state", "minutes", "closed_by", "closed_at", "entered_afterwards")
    assert [getattr(by_form, k) for k in same] == [getattr(by_chat, k) for k in same]
    assert by_form.minutes == MINUTES
    chat_lines, form_lines = await lines(bot, w.meeting), await lines(bot, other)
    assert {k: v.status for k, v in form_lines.items()} == {
        k: v.status for k, v in chat_lines.items()}
    assert form_lines[w.memberships[CAROL]].status is AttendanceStatus.ABSENT
    assert [d for _who, d in await closing_events(bot, other)] == [
        d for _who, d in await closing_events(bot, w.meeting)]
    assert (await closing_events(bot, other))[0][0] == SEC
    # The absent are asked to catch up, as after the chat; the record comes to the chat.
    absent = {who for who in NAMES if (line := chat_lines.get(w.memberships[who]))
              and line.status is AttendanceStatus.ABSENT}
    assert absent == {SEC, CAROL, DAVE, 741_002, 741_003}
    assert {who: catch_ups(bot, who) for who in NAMES} == {
        who: before[who] + (who in absent) for who in NAMES}
    assert "Closed. The record is frozen." in sec.last_text
    assert "Expected 6 · present 0 · on leave 1 · absent 5" in sec.last_text
    assert "Decided: a theme day in May." in sec.last_text
    assert sec.buttons() == ["📋 Roster", "✏️ Edit minutes"]

    # Nothing awaits minutes now; closing again is refused, nothing changes.
    assert (await form_of(bot, init_data(bot, SEC)))[1].count(t(NONE_AWAITING)) == 1
    snap = await snapshot(bot)
    status, page = await submit(bot, init_data(bot, SEC), other, "Again")
    assert status == 403 and t(REFUSALS["closed"]) in page
    assert await snapshot(bot) == snap


async def test_forged_old_foreign_or_bad_submissions_are_refused(bot: Bot) -> None:
    w = await seed(bot, now=NOON)
    for who in NAMES:
        person(bot, who)
    snap = await snapshot(bot)

    # A bad signature: the secretary's initData with the user changed to Dave.
    sec = init_data(bot, SEC)
    forged = sec.replace(f"%22id%22%3A{SEC}", f"%22id%22%3A{DAVE}")
    assert forged != sec
    for status, page in (await form_of(bot, forged), await submit(bot, forged, w.meeting)):
        assert status == 401
        assert zh("This form could not tell who you are. Close it and open it again from the "
                  "chat with the bot.") in page
    # Signed more than a day ago (by the bot's clock).
    old = init_data(bot, SEC, age=timedelta(hours=25))
    assert (await submit(bot, old, w.meeting))[0] == 401
    # A member who leads nothing: no form, and a post is refused.
    assert (await form_of(bot, init_data(bot, DAVE)))[0] == 403
    status, page = await submit(bot, init_data(bot, DAVE), w.meeting)
    assert status == 403 and t(NOT_ALLOWED) in page
    # Branch B's secretary for branch A's meeting: refused in her language (Chinese here).
    assert bot.app is not None
    async with bot.app.database.session() as session:
        await people.set_language(session, SEC_B, "zh")
    status, page = await form_of(bot, init_data(bot, SEC_B), f"?meeting={w.meeting}")
    assert status == 403 and zh(NOT_ALLOWED) in page and "Study the constitution" not in page
    status, page = await submit(bot, init_data(bot, SEC_B), w.meeting)
    assert status == 403 and zh(NOT_ALLOWED) in page
    # A meeting id that does not exist, or is no number.
    status, page = await submit(bot, init_data(bot, SEC), 987_654)
    assert status == 403 and t(GONE) in page
    status, page = await submit(bot, init_data(bot, SEC), "1 OR 1=1")
    assert status == 400 and t(GONE) in page
    # Empty or over-long minutes: the form again, the text kept (escaped), nothing stored.
    status, page = await submit(bot, init_data(bot, SEC), w.meeting, "   ")
    assert status == 400 and t("Please type something.") in page and 'id="minutes"' in page
    long = "<b>x</b>" + "x" * 4000
    status, page = await submit(bot, init_data(bot, SEC), w.meeting, long)
    assert status == 400 and t("That is too long (at most {limit} characters).",
                               limit=4000) in page
    assert "&lt;b&gt;x&lt;/b&gt;xxx" in page and "<b>x</b>" not in page
    assert await snapshot(bot) == snap
    assert await closing_events(bot, w.meeting) == []


async def test_in_chinese_and_not_before_the_start(bot: Bot) -> None:
    w = await seed(bot, starts_in=timedelta(minutes=20), now=NOON)
    person(bot, SEC)
    assert bot.app is not None
    async with bot.app.database.session() as session:
        await people.set_language(session, SEC, "zh")
    # The meeting has not begun: nothing awaits minutes, and a post is refused.
    status, page = await form_of(bot, init_data(bot, SEC))
    assert status == 200 and zh(NONE_AWAITING) in page
    status, page = await form_of(bot, init_data(bot, SEC), f"?meeting={w.meeting}")
    assert status == 403 and zh(NOT_STARTED) in page
    status, page = await submit(bot, init_data(bot, SEC), w.meeting)
    assert status == 403 and zh(NOT_STARTED) in page
    assert (await meeting_row(bot, w.meeting)).closed_at is None
    # Once it began (an hour later by the bot's clock), the form is in Chinese and closes it.
    later = NOON + timedelta(hours=1)
    bot.app.courier.clock = lambda: later
    status, page = await form_of(bot, init_data(bot, SEC), f"?meeting={w.meeting}")
    assert status == 200 and zh(TITLE) in page and 'lang="zh-CN"' in page
    status, page = await submit(bot, init_data(bot, SEC), w.meeting, "学习党章第五章。")
    assert status == 200 and zh("🔒 Closed. The record is frozen.") in page
    assert (await meeting_row(bot, w.meeting)).minutes == "学习党章第五章。"
