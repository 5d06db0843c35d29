"""Group chats: the bot posts nothing personal there and answers commands privately.

People type in a group through the emulator (privacy mode as Telegram's default, or off where
a test needs every message to reach the bot); we read what the group and their private chats
show. The command list comes from the registered handlers, so a new command is covered.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import select

from handlers.kit.i18n import translator
from handlers.privacy import (
    ANSWERED_PRIVATELY,
    OPEN_PRIVATE_BUTTON,
    OPEN_PRIVATE_CHAT,
    PRIVATE_ONLY_BUTTON,
    registered_commands,
)
from handlers.throttle import SLOW_DOWN
from rules import meetings as meeting_rules
from rules.vocabulary import AttendanceStatus, MemberRole, MemberStatus
from storage.models import Attendance, utcnow
from tests.chat.test_checkin_chat import ALICE, BOB, NEARBY, away_from_code_step_edge, seed
from tests.chat.test_registration import SECRETARY_ID, seed_branch
from tests.chat.test_webhook import SECRET, free_port
from tests.harness import ADMIN_ID, Bot, Group, Person, running_bot, seed_harbour

t = translator("en")
SEC, MEMBER, OUTSIDER = 830_001, 830_002, 830_003
NAMES = {ADMIN_ID: "Ada Admin", SEC: "Sam Secretary", MEMBER: "Mia Member"}
LINK = re.compile(r"/login/\S+")


async def harbour_group(bot: Bot) -> tuple[dict[int, Person], Group]:
    """The Harbour world (secretary and member of Branch A, the admin) in one group chat."""
    await seed_harbour(
        bot,
        [(SEC, "a", MemberRole.SECRETARY, MemberStatus.FULL),
         (MEMBER, "a", MemberRole.MEMBER, MemberStatus.FULL)],
        NAMES,
    )
    people = {i: bot.person(i, NAMES[i], language_code="en") for i in NAMES}
    return people, bot.group("Harbour volunteers", people.values())


def only_the_notice(said: list[object]) -> bool:
    return [m.text for m in said] == [t(ANSWERED_PRIVATELY)]  # type: ignore[attr-defined]


async def test_dashboard_links_are_sent_only_to_private_chats(bot: Bot) -> None:
    people, group = await harbour_group(bot)
    username = bot.emulator.bot_username
    for who, command in ((SEC, "/dashboard"), (ADMIN_ID, f"/dashboard@{username}")):
        said = await people[who].say_in(group, command)
        assert only_the_notice(said.group), said.group
        assert said.group[0].reply_to_message_id is not None  # under the person's command
        assert len(said.private) == 1 and LINK.search(said.private[0].text)
    assert not any(LINK.search(text) for text in group.texts())


async def test_every_command_typed_in_a_group_is_answered_privately(bot: Bot) -> None:
    assert bot.app is not None
    people, _ = await harbour_group(bot)
    commands = sorted(registered_commands(bot.app))
    assert {"dashboard", "me", "members", "invite", "record", "training", "pending",
            "notices", "help", "start"} <= set(commands)
    username = bot.emulator.bot_username
    for who in (ADMIN_ID, SEC, MEMBER):
        person = people[who]
        for n, command in enumerate(commands):
            # A group each: Telegram (and our sender) allow a group ~20 messages a minute.
            group = bot.group(f"{command} talk", people.values())
            typed = f"/{command}" if n % 2 else f"/{command}@{username}"
            said = await person.say_in(group, typed)
            assert only_the_notice(said.group), (who, typed, [m.text for m in said.group])
            assert said.private, (who, typed)  # answered where only they read it
            assert group.texts() == [t(ANSWERED_PRIVATELY)]
            await person.say("/cancel")  # whatever flow the command began


async def test_someone_who_never_opened_the_bot_is_asked_to_open_a_private_chat(
    bot: Bot,
) -> None:
    people, group = await harbour_group(bot)
    stranger = bot.person(OUTSIDER, "Olive Outsider", language_code="en")
    bot.emulator.group(group.chat_id).members.append(OUTSIDER)
    bot.emulator.block(MEMBER)
    await bot.settle()
    for person in (stranger, people[MEMBER]):
        for command in ("/me", "/start", f"/dashboard@{bot.emulator.bot_username}"):
            said = await person.say_in(group, command)
            assert [m.text for m in said.group] == [t(OPEN_PRIVATE_CHAT)], said.group
            (button,) = said.group[0].buttons
            assert button.text == t(OPEN_PRIVATE_BUTTON)
            assert button.url == f"https://t.me/{bot.emulator.bot_username}?start"
            assert not said.private
    assert not bot.emulator.messages(OUTSIDER)
    # Once they press Start, the same command in the group is answered privately.
    await stranger.say("/start")
    said = await stranger.say_in(group, "/help")
    assert only_the_notice(said.group) and said.private


async def test_text_codes_and_locations_in_a_group_are_ignored(bot: Bot) -> None:
    world = await seed(bot, open_checkin=True)
    alice = bot.person(ALICE, "Alice Adams", language_code="en")
    bob = bot.person(BOB, "Bob Brown", language_code="en")
    newcomer = bot.person(OUTSIDER, "Nina New", language_code="en")
    await newcomer.say("/help")
    group = bot.group("Branch A chat", [alice, bob, newcomer])
    bot.emulator.group_privacy = False  # as if the bot were a group admin: it reads everything

    # A conversation begun by a command in the group runs in the private chat...
    said = await newcomer.say_in(group, "/start")
    assert only_the_notice(said.group) and said.private
    # ...and what the person then types in the group is not taken as its next step.
    said = await newcomer.say_in(group, "Nina New")
    assert said.update_id is not None and not said.group and not said.private

    await away_from_code_step_edge()
    code = meeting_rules.room_code(world.secret, utcnow())
    for person, act in (
        (alice, lambda: alice.say_in(group, f"{code[:3]} {code[3:]}")),
        (bob, lambda: bob.share_location_in(group, *NEARBY)),
        (alice, lambda: alice.say_in(group, "🪪 My profile")),
        (alice, lambda: alice.say_in(group, "/me@some_other_bot")),
        (alice, lambda: alice.say_in(group, "/nosuchcommand")),
    ):
        said = await act()
        assert said.update_id is not None  # the bot got it...
        assert not said.group and not said.private, (person.name, said)  # ...and ignored it
    assert await present(bot, world.meeting) == set()

    # In privacy mode a reply to the bot's message reaches it too: still ignored.
    bot.emulator.group_privacy = True
    notice = group.bot_messages()[0].message_id
    said = await alice.say_in(group, "thanks", reply_to=notice)
    assert said.update_id is not None and not said.group and not said.private

    # The same code and location in the private chat check them in.
    assert "Checked in at" in (await alice.say(f"{code[:3]} {code[3:]}"))[-1].text
    assert "Checked in at" in (await bob._after(
        lambda: bot.emulator.send_location(BOB, *NEARBY)))[-1].text
    assert await present(bot, world.meeting) == {world.memberships[ALICE],
                                                  world.memberships[BOB]}
    assert group.texts() == [t(ANSWERED_PRIVATELY)]


async def present(bot: Bot, meeting_id: int) -> set[int]:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        rows = await session.scalars(
            select(Attendance.membership_id).where(
                Attendance.meeting_id == meeting_id,
                Attendance.status == AttendanceStatus.PRESENT,
            )
        )
        return set(rows)


async def test_a_button_pressed_under_a_group_message_is_refused(bot: Bot) -> None:
    harbour = await seed_harbour(
        bot,
        [(SEC, "a", MemberRole.SECRETARY, MemberStatus.FULL),
         (MEMBER, "a", MemberRole.MEMBER, MemberStatus.FULL)],
        NAMES,
    )
    people = {i: bot.person(i, NAMES[i], language_code="en") for i in NAMES}
    group = bot.group("Harbour volunteers", people.values())
    admin = people[ADMIN_ID]
    await admin.say_in(group, "/members")
    target = group.bot_messages()[-1]
    for data in (f"mem:card:{harbour.membership[MEMBER]}", "mem:list:1:0", "x:cancel"):
        said = await admin.forge_in(group, target.message_id, data)
        assert not said.group and not said.private, data
        assert bot.emulator.message(group.chat_id, target.message_id).text == target.text
        assert bot.emulator.callback_answers(ADMIN_ID)[-1].text == t(PRIVATE_ONLY_BUTTON)
    assert "Mia Member" not in "\n".join(group.texts())


async def test_the_emulator_keeps_telegram_group_rules(bot: Bot) -> None:
    emu = bot.emulator
    ann = bot.person(840_001, "Ann", language_code="en")
    ben = bot.person(840_002, "Ben", language_code="en")
    await ann.say("/help")
    group = bot.group("Club", [ann, ben], supergroup=True)
    assert group.chat_id < 0
    # Privacy mode: plain text is not given to the bot; commands to another bot neither.
    assert emu.send_group_text(group.chat_id, ann.user_id, "hello") is None
    assert emu.send_group_text(group.chat_id, ann.user_id, "/help@other_bot") is None
    # After another bot posted, a bare command is that bot's; /cmd@ours still reaches us.
    emu.add_group_bot(group.chat_id, 555, "other_bot")
    emu.other_bot_posts(group.chat_id, 555, "I am another bot")
    assert emu.send_group_text(group.chat_id, ann.user_id, "/help") is None
    said = await ann.say_in(group, f"/help@{emu.bot_username}")
    assert said.update_id is not None and only_the_notice(said.group)
    # Writing in a group does not open a private chat: the bot still may not write to Ben.
    assert not emu.user(ben.user_id).started
    said = await ben.say_in(group, f"/help@{emu.bot_username}")
    assert [m.text for m in said.group] == [t(OPEN_PRIVATE_CHAT)]
    # Group messages carry the group chat and their sender; a join is a service message.
    raw = emu.message(group.chat_id, said.group[0].message_id).raw
    assert raw["chat"] == {"id": group.chat_id, "type": "supergroup", "title": "Club"}
    assert raw["from"]["is_bot"] and raw["reply_to_message"]["from"]["id"] == ben.user_id
    cara = bot.person(840_003, "Cara", language_code="en")
    assert emu.join_group(group.chat_id, cara.user_id) is not None
    await bot.settle()
    assert group.texts() == [t(ANSWERED_PRIVATELY), t(OPEN_PRIVATE_CHAT)]


@pytest.fixture
async def hooked(database_url: str) -> AsyncIterator[Bot]:
    """The bot in webhook mode (as tests/chat/test_webhook.py runs it)."""
    port = free_port()
    async for running in running_bot(
        database_url, web_port=port, metrics_port=0,
        webhook_url=f"http://127.0.0.1:{port}/telegram/hook", webhook_secret=SECRET,
    ):
        yield running


async def test_through_the_webhook_a_group_start_registers_privately_once(hooked: Bot) -> None:
    _, code = await seed_branch(hooked)
    secretary = hooked.person(SECRETARY_ID, "书记")
    await secretary.say("/start")
    wang = hooked.person(1001, "Wang")
    await wang.say("/help")  # opened the bot before
    group = hooked.group("支部群", [secretary, wang])

    said = await wang.say_in(group, f"/start@{hooked.emulator.bot_username} {code}")
    assert [m.text for m in said.group] == [translator("zh")(ANSWERED_PRIVATELY)]
    # The invite code came along: the conversation goes on in the private chat.
    await wang.tap("中文")
    assert "真实姓名" in wang.last_text
    await wang.say("王丽")
    assert wang.saw("党支部")

    # Telegram pushing the group command again (a retry): it is handled once only.
    command = next(m for m in hooked.emulator.messages(group.chat_id) if not m.from_bot)
    seen_group, seen_private = len(group.texts()), len(wang.texts())
    assert hooked.app is not None and hooked.app.web is not None
    url = hooked.app.web.url + "/telegram/hook"
    update = {"update_id": said.update_id, "message": command.raw}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=update,
                             headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
            assert response.status == 200
    await hooked.settle()
    assert len(group.texts()) == seen_group and len(wang.texts()) == seen_private
    assert hooked.app.metrics.value("branchbot_updates_duplicate_total") == 1


@pytest.fixture
async def strict_bot(database_url: str) -> AsyncIterator[Bot]:
    """Flood protection of four updates, then (for a test's length) none."""
    async for running in running_bot(database_url, flood_burst=4, flood_rate_per_second=0.01):
        yield running


async def test_a_group_command_counts_once_against_flood_protection(strict_bot: Bot) -> None:
    ann = strict_bot.person(850_001, "Ann", language_code="en")
    await ann.say("/help")  # one of the four
    group = strict_bot.group("Club", [ann])
    for _ in range(2):  # two more: the private copies are not counted again
        said = await ann.say_in(group, "/help")
        assert only_the_notice(said.group) and said.private
    assert (await ann.say("/help"))[-1].text != t(SLOW_DOWN)  # the fourth
    assert (await ann.say("/help"))[-1].text == t(SLOW_DOWN)  # the fifth is one too many
