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

from bot.web.forms.training import BAD_DATES, FOR_MANY, LATER
from handlers.kit.chat import NOT_ALLOWED
from handlers.training import views
from handlers.training.log_views import PROBLEM_TEXTS
from handlers.training.many_records import NOT_IN_BRANCH
from rules.training import TrainingProblem
from rules.vocabulary import TrainingState
from storage import people
from storage.models import TrainingYear
from tests.chat.test_leave_form import BASE, init_data, server, t, zh
from tests.chat.test_training_chat import (
    ALICE,
    AMY,
    BOB,
    CAROL,
    COM_A,
    SEC_A,
    SEC_B,
    TZ,
    build_world,
    count,
    newest,
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


# ---------------------------------------------------------------------------------------
# A leader logs one training for many members of their branch (?org=N)
# ---------------------------------------------------------------------------------------

MANY = "Sam Secretary logged a training for you"


async def submit_many(bot: Bot, init: str, org: int | str, chosen: list[int | str],
                      **fields: str) -> tuple[int, str]:
    day = today(bot).isoformat()
    values = {"initData": init, "org": str(org), "kind": "concentrated",
              "course": "Party history course", "organizer": "District Party School",
              "start": day, "end": day, "amount": "6", "unit": "hours", **fields}
    data = [*values.items(), *(("person", str(pid)) for pid in chosen)]
    async with aiohttp.ClientSession() as http, http.post(
        server(bot) + "/app/training", data=data,
    ) as response:
        return response.status, await response.text()


async def test_a_leader_logs_for_members_as_the_chat_does(bot: Bot) -> None:
    w = await build_world(bot)
    sec, alice = who(bot, SEC_A), who(bot, ALICE)
    day, org = today(bot), w.branch_a
    pair = [w.person[ALICE], w.person[BOB]]

    # The branch's panel offers the form next to the chat's flow, for that branch.
    await say(sec, "/training")
    await press(sec, "🏢 Branch training")
    panel = newest(sec, "Training · Branch A")
    assert web_app_urls(panel.raw.get("reply_markup")) == [
        ("📝 Log for members with a form", f"{BASE}/app/training?org={org}")]
    async with aiohttp.ClientSession() as http, http.get(
        server(bot) + f"/app/training?org={org}&year=x",
    ) as response:
        assert f'data-form="/app/training/form?org={org}"' in await response.text()

    # Through the chat first: two members, verified at once.
    await press(sec, "👥 Log for members")
    await press(sec, "☐ Alice Wang · Member")
    await press(sec, "☐ Bob Li · Member")
    await press(sec, "Next › (2 chosen)")
    await press(sec, "Concentrated training")
    await say(sec, "Party history course")
    await say(sec, "District Party School")
    await press(sec, "Today")
    await press(sec, f"Same day ({day.isoformat()})")
    await say(sec, "6")
    await press(sec, "Skip")
    chat_done = await press(sec, "✅ Log and verify")
    assert "Logged for 2 members of Branch A." in chat_done
    await bot.settle()
    told = count(alice, MANY)

    # The form: every member of the branch, none ticked, the same fields, verifying offered.
    status, page = await form_of(bot, init_data(bot, SEC_A), f"?org={org}")
    assert status == 200, page
    assert page.count('type="checkbox" name="person"') == 5 and " checked" not in page
    assert "Alice Wang" in page and "Amy Activist" in page and "Carol Sun" not in page
    assert 'type="date"' in page and "Concentrated training" in page
    assert t(FOR_MANY) in page and f'name="org" value="{org}"' in page

    # The same two, another title, verified now: the same records as the chat's.
    status, page = await submit_many(bot, init_data(bot, SEC_A), org, pair,
                                     course="Party history course II", verify="1")
    assert status == 200, page
    assert "Logged for 2 members of Branch A." in page and "2 records are verified." in page
    assert "2 people were told." in page
    await bot.settle()
    logged = await records(bot)
    by_chat, by_form = logged[:2], logged[2:]
    assert [r.title for r in by_form] == ["Party history course II"] * 2
    keys = [k for k in SAME if k != "batch_id"] + ["decided_by"]
    assert ([[getattr(r, k) for k in keys] for r in by_form]
            == [[getattr(r, k) for k in keys] for r in by_chat])
    assert {r.state for r in by_form} == {TrainingState.VERIFIED}
    assert len({r.batch_id for r in by_form}) == 1 and by_form[0].batch_id != by_chat[0].batch_id
    assert count(alice, MANY) == told + 1 and "Verified: it counts in your year." in (
        newest(alice, MANY).text)
    assert "Logged for 2 members of Branch A." in sec.last_text

    # Again with Amy, left pending: Alice has it already and is skipped, as in the chat.
    status, page = await submit_many(bot, init_data(bot, SEC_A), org,
                                     [w.person[ALICE], w.person[AMY]],
                                     course="Party history course II")
    assert status == 200, page
    assert "Logged for 1 member of Branch A." in page and "0 records are verified." in page
    assert "1 member already had it and was skipped." in page
    amy = (await records(bot))[-1]
    assert amy.person_id == w.person[AMY] and amy.state is TrainingState.PENDING
    # Everyone chosen has it: refused as the chat refuses it, the form again with the ticks.
    status, page = await submit_many(bot, init_data(bot, SEC_A), org, pair,
                                     course="Party history course II")
    assert status == 400 and t(views.ERROR_TEXTS["duplicate"]) in page
    assert page.count(" checked") == 2
    assert len(await records(bot)) == 5


async def test_logging_for_members_is_refused_outside_ones_branch(bot: Bot) -> None:
    w = await build_world(bot)
    org = w.branch_a
    sec, alice = init_data(bot, SEC_A), init_data(bot, ALICE)
    for person in (ALICE, SEC_B):
        who(bot, person)

    # A member who leads nothing, a leader of another branch, a committee above one's branch,
    # no id: no form, and a post is refused.
    for init, query in ((alice, org), (init_data(bot, SEC_B), org), (sec, w.committee),
                        (sec, "abc")):
        status, page = await form_of(bot, init, f"?org={query}")
        assert status == 403 and t(NOT_ALLOWED) in page, (query, page)
        status, page = await submit_many(bot, init, query, [w.person[ALICE]])
        assert status == 403, (query, page)
    # A person of another branch among the chosen refuses it all, and so does no id.
    status, page = await submit_many(bot, sec, org, [w.person[ALICE], w.person[CAROL]])
    assert status == 403 and t(NOT_IN_BRANCH, org="Branch A") in page
    status, page = await submit_many(bot, sec, org, [w.person[ALICE], "1 OR 1=1"])
    assert status == 403
    # None chosen, or a bad day: the form again, the values and the ticks kept.
    status, page = await submit_many(bot, sec, org, [])
    assert status == 400 and t(views.ERROR_TEXTS["no_members"]) in page
    assert 'value="District Party School"' in page
    tomorrow = (today(bot) + timedelta(days=1)).isoformat()
    status, page = await submit_many(bot, sec, org, [w.person[BOB]], end=tomorrow)
    assert status == 400 and "is in the future" in page and page.count(" checked") == 1
    assert await records(bot) == []
