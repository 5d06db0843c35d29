"""The yearly democratic appraisal as hints (issue 17, 民主评议): on 1 December, 08:00 local, a
branch's leaders hear once that the year's appraisal is not opened yet; a week after it opens,
each member who has not written a self-assessment is nudged once; a member may switch these off.
Planner and courier run on the test's clock (tests/chat/test_reminders.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from rules.vocabulary import ReminderKind
from storage import appraisal
from tests.chat.test_drift import membership_of
from tests.chat.test_reminders import ALICE, BOB, SECRETARY, World, outbox_rows, world
from tests.chat.test_talks_reminders import days
from tests.harness import Bot

NOT_OPENED = "🗳 Democratic appraisal 2030, Branch A: not opened yet."
NUDGE = "🗳 Democratic appraisal 2030, Branch A: your self-assessment is not written yet."


def said(w: World, telegram_id: int, fragment: str) -> list[str]:
    return [text for text in w.texts(telegram_id) if fragment in text]


async def open_appraisal(w: World, at: datetime) -> int:
    assert w.bot.app is not None
    async with w.bot.app.database.session() as session:
        opened = await appraisal.open_year(session, org_id=w.branch, year=at.year, by=SECRETARY,
                                           now=at)
        return opened.id


async def write_self(w: World, telegram_id: int, appraisal_id: int, at: datetime) -> None:
    assert w.bot.app is not None
    member = await membership_of(w, telegram_id)
    async with w.bot.app.database.session() as session:
        found = await session.get(appraisal.Appraisal, appraisal_id)
        assert found is not None
        await appraisal.submit_self(session, found, person_id=member.person_id,
                                    text="Studied, served.", by=telegram_id, now=at)


async def test_leaders_hear_once_that_the_appraisal_is_not_opened(bot: Bot) -> None:
    w = await world(bot)
    await days(w, date(2030, 11, 28), date(2030, 12, 3))
    [told] = said(w, SECRETARY, NOT_OPENED)
    assert told.endswith("It is usually held at the year's end: /appraisal")
    assert said(w, ALICE, "Democratic appraisal") == []  # members are not told
    [row] = await outbox_rows(w, ReminderKind.APPRAISAL)
    assert row.key == f"appraisal:2030:{w.branch}:{SECRETARY}"
    assert row.due_at == datetime(2030, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai


async def test_an_appraisal_opened_in_time_is_not_reminded_and_members_are_nudged_once(
    bot: Bot
) -> None:
    w = await world(bot)
    opened = await open_appraisal(w, datetime(2030, 11, 20, 2, tzinfo=UTC))
    await write_self(w, ALICE, opened, datetime(2030, 11, 21, 2, tzinfo=UTC))
    await days(w, date(2030, 11, 20), date(2030, 12, 3))
    assert said(w, SECRETARY, NOT_OPENED) == []  # opened before 1 December
    assert said(w, ALICE, NUDGE) == []  # she wrote hers
    [nudge] = said(w, BOB, NUDGE)
    assert nudge.endswith("A few lines are enough, if you wish: /appraisal")
    assert len(said(w, SECRETARY, NUDGE)) == 1  # a party member too
    rows = {row.key: row.due_at for row in await outbox_rows(w, ReminderKind.APPRAISAL)}
    assert rows[f"appraisal:self:{opened}:{BOB}"] == datetime(2030, 11, 27, 0, 0, tzinfo=UTC)
    await days(w, date(2030, 12, 4), date(2030, 12, 12))
    assert len(said(w, BOB, NUDGE)) == 1  # once


async def test_a_member_may_switch_the_appraisal_hints_off(bot: Bot) -> None:
    w = await world(bot)
    bob = bot.person(BOB, "Bob", language_code="en")
    await bob.say("/settings")
    await bob.tap("🔔 The yearly democratic appraisal")
    assert "🔕 The yearly democratic appraisal" in bob.last_text
    await open_appraisal(w, datetime(2030, 11, 20, 2, tzinfo=UTC))
    await days(w, date(2030, 11, 26), date(2030, 11, 28))
    assert said(w, BOB, NUDGE) == []
    assert len(said(w, ALICE, NUDGE)) == 1
