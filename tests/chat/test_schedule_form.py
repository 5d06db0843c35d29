"""The schedule form (a Telegram Mini App) over the bot's real web server: signed initData as
the emulator signs it, the same stored meeting and invitations as the chat's /schedule, and
refusals for forged or old initData, another secretary's branch and bad times."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import aiohttp
import pytest
from botapi_emulator.webapps import web_app_urls

from bot.web.forms.schedule import BAD_TIME
from handlers.kit.chat import NOT_ALLOWED
from handlers.meetings.views import MEETING_ERRORS
from rules.vocabulary import MeetingKind
from storage import people
from tests.chat.test_leave_form import BASE, init_data, server, t, zh
from tests.chat.test_meetings_chat import (
    A_PEOPLE,
    DAN,
    SEC,
    SEC_B,
    TZ,
    lines_of,
    local,
    meetings_in_db,
    people_of,
    schedule_by_chat,
    seed,
)
from tests.harness import Bot, running_bot

SAME = ("party_organization_id", "party_group_id", "series_id", "kind", "state", "place",
        "online_url", "latitude", "longitude", "topic", "host", "recorder", "lecturer",
        "checkin_minutes_before", "checkin_minutes_after", "created_by")


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Bot]:
    """The bot with a public https address, so the chat offers the form."""
    async for running in running_bot(database_url, web_base_url=BASE):
        yield running


async def form_of(bot: Bot, init: str, query: str = "") -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(
        server(bot) + "/app/schedule/form" + query, headers={"X-Telegram-Init-Data": init},
    ) as response:
        return response.status, await response.text()


def day(days: int) -> str:
    return (datetime.now(TZ) + timedelta(days=days)).strftime("%Y-%m-%d")


async def submit(bot: Bot, init: str, org: int, **fields: str) -> tuple[int, str]:
    data = {"initData": init, "org": str(org), "kind": MeetingKind.ASSEMBLY.value,
            "topic": "Study the branch work rules", "date": day(6), "start": "14:30",
            "end": "16:00", "place": "Room 302", "host": "Sally Sec", "rec": "Rita Recorder",
            "lect": "", "grp": "", **fields}
    async with aiohttp.ClientSession() as http, http.post(
        server(bot) + "/app/schedule", data=data,
    ) as response:
        return response.status, await response.text()


def invitations(bot: Bot, telegram_id: int) -> int:
    return sum("New meeting" in m.text for m in bot.emulator.bot_messages(telegram_id))


async def test_the_form_schedules_as_the_chat_does(bot: Bot) -> None:
    seeded = await seed(bot)
    crowd = people_of(bot)
    sec = crowd[SEC]
    # /schedule offers the form for the branch, as a Mini App button.
    await sec.say("/schedule")
    assert web_app_urls(sec.last.raw.get("reply_markup")) == [
        ("📝 Schedule with a form", f"{BASE}/app/schedule?org={seeded.branch_a}")]

    await schedule_by_chat(bot, sec, "Branch general assembly", local(5))
    await sec.tap("✅ Schedule")
    before = {who: invitations(bot, who) for who in A_PEOPLE}

    # The form: only the secretary's branch, with the branch chosen in the chat preselected.
    status, page = await form_of(bot, init_data(bot, SEC), f"?org={seeded.branch_a}")
    assert status == 200, page
    assert f'<option value="{seeded.branch_a}" selected>' in page
    assert f'value="{seeded.branch_b}"' not in page and "Branch B" not in page
    assert 'type="date"' in page and 'type="time"' in page and "monthly series" in page
    assert "Group One" in page  # the branch's party groups, for a group meeting
    status, page = await submit(bot, init_data(bot, SEC), seeded.branch_a,
                                topic="  Study the branch work rules ")
    assert status == 200, page
    assert "Scheduled: Branch general assembly" in page and "6 people were told" in page
    await bot.settle()
    # The secretary's chat says so, with the meeting's button, as after the chat flow.
    assert "1 meeting scheduled." in sec.last_text
    assert [b.text for b in sec.last.buttons] == ["Open the meeting"]

    by_chat, by_form = await meetings_in_db(bot)
    assert [getattr(by_form, k) for k in SAME] == [getattr(by_chat, k) for k in SAME]
    assert by_form.ends_at - by_form.starts_at == by_chat.ends_at - by_chat.starts_at
    assert by_form.starts_at.astimezone(TZ).strftime("%Y-%m-%d %H:%M") == day(6) + " 14:30"
    chat_lines, form_lines = await lines_of(bot, by_chat.id), await lines_of(bot, by_form.id)
    assert {k: v.status for k, v in form_lines.items()} == {
        k: v.status for k, v in chat_lines.items()}
    # Everyone on the list got the invitation, through the outbox, as after the chat.
    assert {who: invitations(bot, who) for who in A_PEOPLE} == {
        who: before[who] + 1 for who in A_PEOPLE}

    # A group meeting names one of the branch's groups; only that group is expected.
    status, page = await submit(bot, init_data(bot, SEC), seeded.branch_a,
                                kind=MeetingKind.GROUP.value, grp=str(seeded.group_two),
                                date=day(7))
    assert status == 200, page
    group = (await meetings_in_db(bot))[-1]
    assert group.party_group_id == seeded.group_two
    assert set(await lines_of(bot, group.id)) == {DAN}


async def test_forged_old_foreign_or_bad_submissions_are_refused(bot: Bot) -> None:
    seeded = await seed(bot)
    people_of(bot)
    a = seeded.branch_a

    # A bad signature: the secretary's initData with the user changed to Dan.
    sec = init_data(bot, SEC)
    forged = sec.replace(f"%22id%22%3A{SEC}", f"%22id%22%3A{DAN}")
    assert forged != sec
    for status, page in (await form_of(bot, forged), await submit(bot, forged, a)):
        assert status == 401 and "could not tell who you are" not in page  # zh by default
        assert zh("This form could not tell who you are. Close it and open it again from the "
                  "chat with the bot.") in page
    # Signed more than a day ago.
    old = init_data(bot, SEC, auth_date=int(time.time()) - 25 * 3600)
    assert (await submit(bot, old, a))[0] == 401
    # A member who leads nothing: no form, and a post is refused.
    assert (await form_of(bot, init_data(bot, DAN)))[0] == 403
    status, page = await submit(bot, init_data(bot, DAN), a)
    assert status == 403 and t(NOT_ALLOWED) in page
    # Branch B's secretary for branch A: refused in her language (Chinese here).
    assert bot.app is not None
    async with bot.app.database.session() as session:
        await people.set_language(session, SEC_B, "zh")
    status, page = await submit(bot, init_data(bot, SEC_B), a)
    assert status == 403 and zh(NOT_ALLOWED) in page

    def kept(page: str) -> None:
        assert 'id="schedule"' in page and 'value="Rita Recorder"' in page

    # A past date, an end before the start, no date: the form again, values kept.
    status, page = await submit(bot, init_data(bot, SEC), a, date=day(-1))
    assert status == 400 and t(MEETING_ERRORS["in_past"]) in page
    kept(page)
    status, page = await submit(bot, init_data(bot, SEC), a, start="16:00", end="15:00")
    assert status == 400 and t(MEETING_ERRORS["end_before_start"]) in page
    kept(page)
    assert f'value="{day(6)}"' in page and 'value="16:00"' in page
    status, page = await submit(bot, init_data(bot, SEC), a, date="2026-13-45")
    assert status == 400 and t(BAD_TIME) in page
    # A group meeting without a group; markup in the topic is shown as text.
    status, page = await submit(bot, init_data(bot, SEC), a, kind=MeetingKind.GROUP.value,
                                topic="<b>x</b>")
    assert status == 400 and t(MEETING_ERRORS["group_needed"]) in page
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert await meetings_in_db(bot) == []


async def test_a_clash_is_refused_as_in_the_chat(bot: Bot) -> None:
    seeded = await seed(bot)
    people_of(bot)
    assert (await submit(bot, init_data(bot, SEC), seeded.branch_a))[0] == 200
    status, page = await submit(bot, init_data(bot, SEC), seeded.branch_a, start="15:00",
                                end="17:00", topic="Another")
    assert status == 400 and "already has a meeting" in page
    assert len(await meetings_in_db(bot)) == 1


