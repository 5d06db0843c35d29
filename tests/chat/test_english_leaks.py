"""The end-of-test language check (tests/english_leaks.py) catches the ways English reached
Chinese readers before: a button, a heading with values filled in, a line inside a message."""

from __future__ import annotations

import pytest

from handlers.kit.i18n import translator
from tests.english_leaks import leaks_in
from tests.harness import Bot

zh, en = translator("zh"), translator("en")


def test_catalog_english_is_found_whole_inside_or_with_values() -> None:
    assert leaks_in(en.as_plain("✅ Approve leave"), []) == ["✅ Approve leave"]
    moved = en("⏰ <b>Meeting moved</b> (it was on {when})", when="2030-01-07 10:00")
    assert leaks_in(moved, []) == ["Meeting moved", "it was on"]
    reminder = zh("📅 <b>New meeting</b>") + "\n" + en("Please choose with the buttons above, "
                                                      "or /cancel.")
    assert leaks_in(reminder, []) == ["Please choose with the buttons above, or"]


def test_chinese_and_what_people_typed_are_not_leaks() -> None:
    assert leaks_in(zh.as_plain("✅ Approve leave"), []) == []
    assert leaks_in(zh("⏰ <b>Meeting moved</b> (it was on {when})", when="2030-01-07"), []) == []
    typed = "Please choose with the buttons above"  # a topic a test typed, shown back as is
    assert leaks_in(zh("Topic: {topic}", topic=typed), [typed]) == []


@pytest.mark.english("Please choose with the buttons above, or /cancel.")
async def test_the_check_sees_a_leak_in_a_real_chat(bot: Bot) -> None:
    """An English message sent to a Chinese reader is reported (the mark lets teardown pass)."""
    from tests.english_leaks import english_leaks

    assert bot.app is not None
    reader = bot.person(771_001, "王丽")  # a Chinese Telegram client
    await reader.say("/start")
    await bot.app.bot.send_message(reader.user_id, en("Please choose with the buttons above, "
                                                      "or /cancel."))
    leaks = await english_leaks(bot.emulator, bot.app.database)
    assert len(leaks) == 1 and "Please choose with the buttons above" in leaks[0]


async def test_a_bot_started_inside_a_test_is_checked_when_it_stops(database_url: str) -> None:
    """Not only the `bot` fixture: a bot a test starts itself (webhook, throttle, paid
    broadcast…) is checked as it stops, and the `english` mark does not hide other leaks."""
    from tests.harness import running_bot

    with pytest.raises(AssertionError, match="English reached a Chinese reader"):
        async for started in running_bot(database_url):
            assert started.app is not None
            reader = started.person(771_002, "王丽")
            await reader.say("/start")
            await started.app.bot.send_message(reader.user_id, en("✅ Approve leave"))


@pytest.mark.english("Please choose with the buttons above, or /cancel.")
async def test_a_bot_started_inside_a_test_reads_the_english_mark(database_url: str) -> None:
    from tests.harness import running_bot

    async for started in running_bot(database_url):
        assert started.app is not None
        reader = started.person(771_003, "王丽")
        await reader.say("/start")
        await started.app.bot.send_message(
            reader.user_id, en("Please choose with the buttons above, or /cancel.")
        )
