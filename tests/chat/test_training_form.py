"""The "Log a training" form (a Telegram Mini App) over the bot's real web server: signed
initData as the emulator signs it, the same stored record and the same cards to the leaders as
the chat's flow, and refusals for forged or old initData, non-members and bad values, in
English and Chinese."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import date, timedelta

import aiohttp
import pytest
from botapi_emulator.webapps import web_app_urls
from sqlalchemy import select

from bot.web.forms.training import BAD_DATES, LATER
from handlers.training import views
from handlers.training.log_views import PROBLEM_TEXTS
from rules.training import TrainingProblem
from rules.vocabulary import TrainingState
from storage import people
from storage.models import TrainingYear
from tests.chat.test_leave_form import BASE, init_data, server, t, zh
from tests.chat.test_training_chat import (
    ALICE,
    BOB,
    COM_A,
    SEC_A,
    TZ,
    build_world,
    count,
    press,
    records,
    say,
    who,
)
from tests.harness import ADMIN_ID, Bot, running_bot

SAME = ("person_id", "kind", "organizer", "starts_on", "ends_on", "minutes", "state",
        "batch_id", "logged_by")
CARD = "Training to verify"


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Bot]:
    """The bot with a public https address, so the chat offers the form."""
    async for running in running_bot(database_url, web_base_url=BASE):
        yield running


def today(bot: Bot) -> date:
    """Today in the branch, by the bot's own clock."""
    assert bot.app is not None
    return bot.app.now().astimezone(TZ).date()


async def form_of(bot: Bot, init: str, query: str = "") -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(
        server(bot) + "/app/training/form" + query, headers={"X-Telegram-Init-Data": init},
    ) as response:
        return response.status, await response.text()


async def submit(bot: Bot, init: str, **fields: str) -> tuple[int, str]:
    day = today(bot).isoformat()
    data = {"initData": init, "year": str(today(bot).year), "kind": "concentrated",
            "course": "Party history course", "organizer": "District Party School",
            "start": day, "end": day, "amount": "6", "unit": "hours", **fields}
    async with aiohttp.ClientSession() as http, http.post(
        server(bot) + "/app/training", data=data,
    ) as response:
        return response.status, await response.text()


async def years_of(bot: Bot, record_id: int) -> list[tuple[int, int]]:
    assert bot.app is not None
    async with bot.app.database.session() as s:
        rows = await s.execute(select(TrainingYear.year, TrainingYear.minutes)
                               .where(TrainingYear.record_id == record_id))
        return sorted((year, minutes) for year, minutes in rows.all())


async def test_the_form_logs_as_the_chat_does(bot: Bot) -> None:
    w = await build_world(bot)
    alice, sec = who(bot, ALICE), who(bot, SEC_A)
    year, day = today(bot).year, today(bot)

    # The year view offers the form next to the chat's flow, as a Mini App button.
    await say(alice, "/training")
    assert web_app_urls(alice.last.raw.get("reply_markup")) == [
        ("📝 Log with a form", f"{BASE}/app/training?year={year}")]

    # Through the chat first.
    await press(alice, "➕ Log a training")
    await press(alice, "Concentrated training")
    await say(alice, "Party history course")
    await say(alice, "District Party School")
    await press(alice, "Today")
    await press(alice, f"Same day ({day.isoformat()})")
    await say(alice, "6")
    await press(alice, "Skip")
    assert "Logged: Party history course" in await press(alice, "✅ Submit")
    await bot.settle()
    cards = {leader: count(who(bot, leader), CARD) for leader in (SEC_A, COM_A)}
    assert cards[SEC_A] == 1

    # The form: this year, the kinds, dates bounded to the years that can be logged.
    status, page = await form_of(bot, init_data(bot, ALICE), f"?year={year}")
    assert status == 200, page
    assert 'id="training"' in page and 'type="date"' in page
    assert f'max="{day.isoformat()}"' in page and f'min="{year - 1}-01-01"' in page
    assert "Concentrated training" in page and "Add a file" in page
    assert "Branch training" not in page  # not a leader: nothing about logging for many
    # The same course again: refused as the chat refuses it, the values kept.
    status, page = await submit(bot, init_data(bot, ALICE))
    assert status == 400 and "You have already logged Party history course starting on" in page
    assert 'value="District Party School"' in page

    # Another title; a forged person id is no field of the form and changes nothing.
    status, page = await submit(bot, init_data(bot, ALICE), course=" Party history course II ",
                                person=str(w.person[BOB]))
    assert status == 200, page
    assert "Logged: Party history course II, 6 hours" in page and "Add a file" in page
    await bot.settle()
    by_chat, by_form = await records(bot)
    assert by_form.title == "Party history course II"
    assert [getattr(by_form, k) for k in SAME] == [getattr(by_chat, k) for k in SAME]
    assert by_form.state is TrainingState.PENDING and by_form.person_id == w.person[ALICE]
    assert await years_of(bot, by_form.id) == await years_of(bot, by_chat.id)
    # The leaders got the same card, through the outbox; the member's chat says so, with
    # the buttons to add the certificate and see the year.
    assert {leader: count(who(bot, leader), CARD) for leader in (SEC_A, COM_A)} == {
        leader: 2 * n for leader, n in cards.items()}
    assert "Party history course II" in sec.last_text
    assert "Logged: Party history course II" in alice.last_text
    assert [b.text for b in alice.last.buttons] == ["📎 Add a file", "📚 My training"]
    # The chat's own flow adds the certificate to the form's record.
    assert "Send a photo of the certificate or a PDF for Party history course II" in (
        await press(alice, "📎 Add a file"))

    # A leader is told that logging for many stays in the chat.
    status, page = await form_of(bot, init_data(bot, SEC_A))
    assert status == 200 and "Branch training" in page


async def test_forged_old_or_bad_submissions_are_refused(bot: Bot) -> None:
    w = await build_world(bot)
    who(bot, ALICE)
    day = today(bot)
    first = day.year - 1

    # A bad signature: Alice's initData with the user changed to Bob.
    alice = init_data(bot, ALICE)
    forged = alice.replace(f"%22id%22%3A{ALICE}", f"%22id%22%3A{BOB}")
    assert forged != alice
    for status, page in (await form_of(bot, forged), await submit(bot, forged)):
        assert status == 401 and zh("This form could not tell who you are. Close it and open "
                                    "it again from the chat with the bot.") in page
    # Signed more than a day ago.
    old = init_data(bot, ALICE, auth_date=int(time.time()) - 25 * 3600)
    assert (await submit(bot, old))[0] == 401
    # Not a member (the admin): no form, and a post is refused.
    status, page = await form_of(bot, init_data(bot, ADMIN_ID))
    assert status == 403 and t(views.NOT_REGISTERED) in page
    assert (await submit(bot, init_data(bot, ADMIN_ID)))[0] == 403

    def kept(page: str) -> None:
        assert 'id="training"' in page and 'value="District Party School"' in page

    # An end before the start, a day to come, a year that can no longer be logged, a year
    # forged in the form, too many hours, no number, no date: the form again, values kept.
    yesterday = (day - timedelta(days=1)).isoformat()
    if (day - timedelta(days=1)).year == day.year:
        status, page = await submit(bot, alice, start=day.isoformat(), end=yesterday)
        assert status == 400 and t(PROBLEM_TEXTS[TrainingProblem.END_BEFORE_START],
                                   start=day.isoformat(), end=yesterday) in page
        kept(page)
    tomorrow = (day + timedelta(days=1)).isoformat()
    status, page = await submit(bot, alice, end=tomorrow)
    assert status == 400 and "is in the future" in page and tomorrow in page
    kept(page)
    long_ago = date(first - 1, 6, 1).isoformat()
    for fields in ({"start": long_ago, "end": long_ago},
                   {"year": str(first - 1)}, {"year": "99999999999"}):
        status, page = await submit(bot, alice, **fields)
        assert status == 400, fields
        assert (f"Only training of {first} and {day.year} can be logged now" in page
                or "choose the kind of training" in page), page
        kept(page)
    status, page = await submit(bot, alice, amount="30")
    assert status == 400 and "more than 24 hours" in page
    status, page = await submit(bot, alice, amount="six")
    assert status == 400 and t(views.TYPE_A_NUMBER) in page
    status, page = await submit(bot, alice, start="2026-13-45")
    assert status == 400 and t(BAD_DATES) in page
    # Markup in the title is shown as text.
    status, page = await submit(bot, alice, course="<b>x</b>", amount="0")
    assert status == 400 and "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    assert await records(bot) == []
    assert w.person[ALICE]


async def test_chinese_readers_get_the_form_and_its_refusals_in_chinese(bot: Bot) -> None:
    await build_world(bot)
    assert bot.app is not None
    async with bot.app.database.session() as session:
        await people.set_language(session, BOB, "zh")
    who(bot, BOB)
    status, page = await form_of(bot, init_data(bot, BOB))
    assert status == 200 and zh("Log a training") in page and zh("First day") in page
    tomorrow = (today(bot) + timedelta(days=1)).isoformat()
    status, page = await submit(bot, init_data(bot, BOB), end=tomorrow)
    assert status == 400 and zh(PROBLEM_TEXTS[TrainingProblem.IN_FUTURE], date=tomorrow,
                                today=today(bot).isoformat()) in page
    status, page = await submit(bot, init_data(bot, BOB), course="党史学习")
    assert status == 200 and zh(LATER) in page
    (record,) = await records(bot)
    assert record.title == "党史学习"
