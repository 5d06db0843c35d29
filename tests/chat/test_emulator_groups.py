"""The emulator's group chats, seen by a bare PTB client as Telegram would show them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botapi_emulator import BotApiEmulator
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden

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


# ------------------------------------------------------------------------------------------
# Invite links and join requests
# ------------------------------------------------------------------------------------------


async def test_invite_links_need_the_right_to_invite(emu: BotApiEmulator, bot: Bot) -> None:
    group = emu.add_group("Club", [ALICE, BOB], supergroup=True)
    with pytest.raises(BadRequest, match=r"(?i)not enough rights to manage chat invite links"):
        await bot.create_chat_invite_link(group.id, creates_join_request=True)
    # An administrator without the right to invite users cannot either.
    emu.promote_bot(group.id, ALICE, rights=frozenset({"can_delete_messages"}))
    promoted = (await fetch_one(bot)).my_chat_member
    assert promoted is not None and promoted.new_chat_member.status == "administrator"
    assert not promoted.new_chat_member.can_invite_users  # type: ignore[attr-defined]
    with pytest.raises(BadRequest, match=r"(?i)not enough rights to manage chat invite links"):
        await bot.create_chat_invite_link(group.id, creates_join_request=True)
    emu.promote_bot(group.id, ALICE)
    assert (await fetch_one(bot)).my_chat_member.new_chat_member.can_invite_users  # type: ignore
    link = await bot.create_chat_invite_link(group.id, name="Members", creates_join_request=True)
    assert link.invite_link.startswith("https://t.me/+") and link.creates_join_request
    assert link.name == "Members" and link.creator.id == emu.bot_id and not link.is_revoked
    assert link.pending_join_request_count == 0
    assert [ln["invite_link"] for ln in emu.invite_links(group.id)] == [link.invite_link]
    with pytest.raises(BadRequest, match=r"(?i)member_limit"):
        await bot.create_chat_invite_link(group.id, creates_join_request=True, member_limit=5)
    with pytest.raises(BadRequest, match="name is too long"):
        await bot.create_chat_invite_link(group.id, name="x" * 33)
    with pytest.raises(BadRequest, match=r"(?i)not enough rights"):  # not in a private chat
        await bot.create_chat_invite_link(ALICE)
    # A bot removed from the group loses its rights with it.
    emu.remove_bot(group.id, ALICE)
    with pytest.raises(Forbidden, match="bot is not a member of the group chat"):
        await bot.create_chat_invite_link(group.id)


async def test_a_join_request_is_approved_or_declined(emu: BotApiEmulator, bot: Bot) -> None:
    group = emu.add_group("Club", [ALICE], supergroup=True)
    emu.promote_bot(group.id, ALICE)
    await fetch_one(bot)
    link = (await bot.create_chat_invite_link(group.id, creates_join_request=True)).invite_link
    emu.add_user(CAROL, "Carol", language_code="en")

    # Bob asks; the bot may write to him although he never pressed Start.
    assert emu.request_join(group.id, BOB, link) is not None
    asked = (await fetch_one(bot)).chat_join_request
    assert asked is not None and asked.chat.id == group.id and asked.from_user.id == BOB
    assert asked.user_chat_id == BOB and asked.invite_link is not None
    assert asked.invite_link.invite_link == link
    assert asked.invite_link.pending_join_request_count == 1
    assert emu.request_join(group.id, BOB, link) is None  # asking again changes nothing
    assert emu.join_requests(group.id) == [BOB]
    assert (await bot.send_message(asked.user_chat_id, "welcome")).chat.id == BOB
    with pytest.raises(BadRequest, match=r"(?i)HIDE_REQUESTER_MISSING"):
        await bot.approve_chat_join_request(group.id, CAROL)
    with pytest.raises(BadRequest, match=r"(?i)USER_ALREADY_PARTICIPANT"):
        await bot.approve_chat_join_request(group.id, ALICE)
    assert await bot.approve_chat_join_request(group.id, BOB)
    assert BOB in emu.group(group.id).members and emu.join_requests(group.id) == []
    joined = (await fetch_one(bot)).message  # an administrator reads the service message
    assert joined is not None and [u.id for u in joined.new_chat_members] == [BOB]
    # Once it is decided, the private chat is closed again (Bob never pressed Start).
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(BOB, "psst")
    with pytest.raises(BadRequest, match=r"(?i)USER_ALREADY_PARTICIPANT"):
        await bot.approve_chat_join_request(group.id, BOB)

    # Carol is declined; asked again, she can be declined again.
    emu.request_join(group.id, CAROL, link)
    await fetch_one(bot)
    assert await bot.decline_chat_join_request(group.id, CAROL)
    assert CAROL not in emu.group(group.id).members
    with pytest.raises(BadRequest, match=r"(?i)HIDE_REQUESTER_MISSING"):
        await bot.decline_chat_join_request(group.id, CAROL)
    assert emu.request_join(group.id, CAROL, link) is not None
    await fetch_one(bot)
    # Five minutes after asking, the bot may no longer write to her first.
    emu.join_reply_seconds = 0.0
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(CAROL, "late")
    assert await bot.decline_chat_join_request(group.id, CAROL)
    with pytest.raises(LookupError):
        emu.request_join(group.id, CAROL, "https://t.me/+unknown")
    with pytest.raises(ValueError, match="already a member"):
        emu.request_join(group.id, BOB, link)


async def test_without_the_right_the_bot_hears_of_no_join_request(emu: BotApiEmulator,
                                                                  bot: Bot) -> None:
    group = emu.add_group("Club", [ALICE], supergroup=True)
    emu.promote_bot(group.id, ALICE)
    await fetch_one(bot)
    link = (await bot.create_chat_invite_link(group.id, creates_join_request=True)).invite_link
    emu.promote_bot(group.id, ALICE, rights=frozenset({"can_manage_chat"}))
    await fetch_one(bot)
    assert emu.request_join(group.id, BOB, link) is None
    assert emu.join_requests(group.id) == [BOB]  # it waits for a person to decide
    with pytest.raises(BadRequest, match=r"(?i)CHAT_ADMIN_REQUIRED"):
        await bot.approve_chat_join_request(group.id, BOB)
    with pytest.raises(BadRequest, match=r"(?i)CHAT_ADMIN_REQUIRED"):
        await bot.decline_chat_join_request(group.id, BOB)
    emu.add_user(CAROL, "Carol")
    open_link = "https://t.me/+open"
    emu.group(group.id).invite_links[open_link] = {
        "invite_link": open_link, "creates_join_request": False, "is_revoked": False}
    with pytest.raises(ValueError, match="without asking"):
        emu.request_join(group.id, CAROL, open_link)


async def test_a_mini_app_button_opens_only_in_a_private_chat(emu: BotApiEmulator,
                                                              bot: Bot) -> None:
    """Telegram refuses web_app buttons in groups (BUTTON_TYPE_INVALID); a url button is fine."""
    from telegram import KeyboardButton, ReplyKeyboardMarkup, WebAppInfo

    await started(emu, bot)
    group = emu.add_group("Club", [ALICE, BOB], added_by=ALICE)
    form = WebAppInfo("https://branchbot.example/app/leave")
    inline = InlineKeyboardMarkup([[InlineKeyboardButton("Form", web_app=form)]])
    reply = ReplyKeyboardMarkup([[KeyboardButton("Form", web_app=form)]])
    for markup in (inline, reply):
        with pytest.raises(BadRequest, match="Button_type_invalid"):
            await bot.send_message(group.id, "open it", reply_markup=markup)
    sent = await bot.send_message(group.id, "plain")
    with pytest.raises(BadRequest, match="Button_type_invalid"):
        await bot.edit_message_reply_markup(group.id, sent.message_id, reply_markup=inline)
    assert [m.text for m in emu.bot_messages(group.id)] == ["plain"]
    link = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Open", url="https://t.me/branchbot_sandbox_bot")]])
    await bot.send_message(group.id, "linked", reply_markup=link)
    assert (await bot.send_message(ALICE, "open it", reply_markup=inline)).chat.type == "private"
