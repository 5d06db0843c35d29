"""The emulator's group chats, seen by a bare PTB client as Telegram would show them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botapi_emulator import BotApiEmulator
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden

from bot.transport import AiohttpRequest
from tests.chat.test_emulator import ALICE, BOB, fetch_one, started

CAROL = 1003


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        emulator.add_user(ALICE, "Alice", language_code="zh-hans")
        emulator.add_user(BOB, "Bob", username="bob", language_code="en")
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(
        emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url,
        request=AiohttpRequest(), get_updates_request=AiohttpRequest(connection_pool_size=1),
    ) as client:
        yield client


async def test_adding_the_bot_and_a_command_in_the_group(emu: BotApiEmulator, bot: Bot) -> None:
    await started(emu, bot)
    group = emu.add_group("Club", [ALICE, BOB], added_by=ALICE)
    added, service = await bot.get_updates()
    assert added.my_chat_member is not None
    assert added.my_chat_member.chat.id == group.id < 0
    assert added.my_chat_member.new_chat_member.status == "member"
    assert service.message is not None and service.message.new_chat_members[0].is_bot
    await bot.get_updates(offset=service.update_id + 1)

    emu.send_group_text(group.id, BOB, "/help@branchbot_sandbox_bot now")
    message = (await fetch_one(bot)).message
    assert message is not None and message.chat.type == "group"
    assert message.chat.id == group.id and message.chat.title == "Club"
    assert message.from_user is not None and message.from_user.id == BOB
    assert message.entities[0].length == len("/help@branchbot_sandbox_bot")

    sent = await bot.send_message(group.id, "hello group", reply_to_message_id=message.message_id)
    assert sent.chat.id == group.id and sent.reply_to_message is not None
    assert [m.text for m in emu.bot_messages(group.id)] == ["hello group"]
    # Writing in a group is not pressing Start: Bob's private chat stays closed to the bot.
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(BOB, "psst")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_chat_action(BOB, "typing")
    assert (await bot.send_message(ALICE, "psst")).chat.type == "private"


async def test_privacy_mode_decides_what_the_bot_receives(emu: BotApiEmulator, bot: Bot) -> None:
    group = emu.add_group("Club", [ALICE, BOB], supergroup=True)
    assert group.chat_api()["type"] == "supergroup"
    assert emu.send_group_text(group.id, ALICE, "just chatting") is None
    assert emu.send_group_text(group.id, ALICE, "/help@another_bot") is None
    assert emu.send_group_text(group.id, ALICE, "/help") is not None  # no other bot spoke
    posted = await bot.send_message(group.id, "I am the bot")
    assert emu.send_group_text(group.id, BOB, "a reply", reply_to=posted.message_id) is not None
    assert emu.send_group_location(group.id, BOB, 31.2, 121.4) is None
    emu.add_group_bot(group.id, 777, "another_bot")
    emu.other_bot_posts(group.id, 777, "me too")
    assert emu.send_group_text(group.id, ALICE, "/help") is None  # now another bot's
    assert emu.send_group_text(group.id, ALICE, "/help@branchbot_sandbox_bot") is not None
    emu.add_user(CAROL, "Carol")
    assert emu.join_group(group.id, CAROL) is not None  # service messages always arrive
    updates = await bot.get_updates()
    assert [u.effective_message.text for u in updates if u.effective_message] == [
        "/help", "a reply", "/help@branchbot_sandbox_bot", None,
    ]
    await bot.get_updates(offset=updates[-1].update_id + 1)
    assert not (await bot.get_me()).can_read_all_group_messages
    emu.group_privacy = False  # privacy mode off: everything, other bots' commands too
    assert (await bot.get_me()).can_read_all_group_messages
    assert emu.send_group_text(group.id, ALICE, "just chatting") is not None
    assert emu.send_group_text(group.id, ALICE, "/help@another_bot") is not None
    with pytest.raises(LookupError):
        emu.send_group_text(group.id, 4242, "not a member")


async def test_a_press_under_a_group_message(emu: BotApiEmulator, bot: Bot) -> None:
    group = emu.add_group("Club", [ALICE, BOB])
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    posted = await bot.send_message(group.id, "press me", reply_markup=markup)
    emu.press_group_button(group.id, BOB, posted.message_id, "Go")
    query = (await fetch_one(bot)).callback_query
    assert query is not None and query.from_user.id == BOB and query.data == "go"
    assert query.message is not None and query.message.chat.id == group.id
    assert query.message.message_id == posted.message_id
    assert await query.answer("only in private")
    assert emu.callback_answers(BOB)[-1].text == "only in private"
    assert [a.text for a in emu.group_callback_answers(group.id)] == ["only in private"]


async def test_a_group_without_the_bot_refuses_its_sends(emu: BotApiEmulator, bot: Bot) -> None:
    group = emu.add_group("Quiet", [ALICE], added_by=None)
    group.bot_member = False
    assert emu.send_group_text(group.id, ALICE, "/help@branchbot_sandbox_bot") is None
    with pytest.raises(Forbidden, match="bot is not a member of the group chat"):
        await bot.send_message(group.id, "hello")
