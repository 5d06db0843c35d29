"""Once a quarter (the 15th of its middle month, 08:00 local) the branch's secretary is told how
many members are not talked with yet this year (issue 17, 谈心谈话): once per quarter, however
many passes run, and not at all once everyone is talked with. Planner and courier run on the
test's clock (tests/chat/test_reminders.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from rules.vocabulary import ReminderKind
from storage import talks
from tests.chat.test_drift import membership_of
from tests.chat.test_reminders import ALICE, BOB, SECRETARY, World, outbox_rows, world
from tests.harness import Bot

SAID = "One-to-one talks 2030, Branch A:"


def reminders(w: World, telegram_id: int) -> list[str]:
    return [text for text in w.texts(telegram_id) if SAID in text]


async def days(w: World, first: date, last: date) -> None:
    """A pass every morning (10:00 local) and one more at noon, first..last."""
    day = first
    while day <= last:
        await w.plan(datetime.combine(day, time(2), UTC))
        await w.plan(datetime.combine(day, time(4), UTC))
        day += timedelta(days=1)


async def talk_with(w: World, telegram_id: int, on: date) -> None:
    assert w.bot.app is not None
    member, secretary = await membership_of(w, telegram_id), await membership_of(w, SECRETARY)
    async with w.bot.app.database.session() as session:
        await talks.record_talk(session, org_id=w.branch, person_id=member.person_id,
                                by_person_id=secretary.person_id, held_on=on, topic="Work",
                                by=SECRETARY, now=datetime.combine(on, time(2), UTC))


async def test_the_secretary_is_reminded_once_a_quarter(bot: Bot) -> None:
    w = await world(bot)
    await days(w, date(2030, 2, 10), date(2030, 2, 20))
    [first] = reminders(w, SECRETARY)
    assert "2 members not talked with yet this year. See /talks." in first
    assert reminders(w, ALICE) == [] and reminders(w, BOB) == []  # members are not told
    [row] = await outbox_rows(w, ReminderKind.TALKS)
    assert row.key == f"talks:2030-Q1:{w.branch}:{SECRETARY}"
    assert row.due_at == datetime(2030, 2, 15, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai

    await talk_with(w, ALICE, date(2030, 3, 2))
    await days(w, date(2030, 3, 1), date(2030, 3, 31))  # no second reminder in the quarter
    assert len(reminders(w, SECRETARY)) == 1
    await days(w, date(2030, 5, 14), date(2030, 5, 16))
    second = reminders(w, SECRETARY)[1:]
    assert len(second) == 1 and "1 member not talked with yet this year." in second[0]

    await talk_with(w, BOB, date(2030, 6, 1))
    await days(w, date(2030, 8, 14), date(2030, 8, 16))  # everyone talked with: nothing
    assert len(reminders(w, SECRETARY)) == 2
    assert len(await outbox_rows(w, ReminderKind.TALKS)) == 2


async def test_a_secretary_may_switch_the_reminder_off(bot: Bot) -> None:
    w = await world(bot)
    secretary = bot.person(SECRETARY, "Sec", language_code="en")
    await secretary.say("/settings")
    await secretary.tap("🔔 Members not talked with yet this year (secretaries)")
    assert "🔕 Members not talked with yet this year (secretaries)" in secretary.last_text
    alice = bot.person(ALICE, "Alice", language_code="en")
    await alice.say("/settings")
    assert "not talked with" not in alice.last_text  # a secretary's kind
    await days(w, date(2030, 2, 14), date(2030, 2, 16))
    assert reminders(w, SECRETARY) == []
