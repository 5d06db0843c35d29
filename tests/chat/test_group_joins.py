"""Joining the branch's group (issue 18): the secretary gets an invite link that asks to join
from /group (once the bot may invite users there; a member cannot get one), the bot lets in
the branch's members, activists and leaders with a private welcome, declines everyone else
with how to register (privately, even to someone who never opened the bot), tells the
secretary of each one once a day through the outbox, and leaves requests to a group that is
not linked alone. Fixed clock: 10:00 in Shanghai, 2030-03-10."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from rules.vocabulary import MemberStatus
from storage import people
from tests.chat.test_members_chat import ALICE, CAROL, DAVE, SEC_A, UPPER_SEC, seed
from tests.harness import Bot, Group, Person

NOW = datetime(2030, 3, 10, 2, 0, tzinfo=UTC)
ADD_LINK = re.compile(r"\?startgroup=link-([A-Za-z0-9_-]+)$")
JOIN_LINK = re.compile(r"https://t\.me/\+[A-Za-z0-9_-]+")
FRANK = 724_001  # an activist of branch A
STRANGER = 730_001
ANOTHER = 730_002
CHINESE = 730_003


async def linked_group(bot: Bot, sec: Person) -> Group:
    """Branch A's supergroup, linked by its secretary (the bot not yet an administrator)."""
    await sec.say("/group")
    await sec.tap("🔗 Link a group chat")
    found = ADD_LINK.search(next(b.url for row in sec.last.inline_keyboard for b in row
                                 if b.url))
    assert found is not None
    group = bot.group("Branch A chat", [sec], supergroup=True)
    await sec.say_in(group, f"/link {found.group(1)}")
    return group


async def add_activist(bot: Bot, org_id: int) -> None:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        membership = await people.submit_registration(session, people.RegistrationForm(
            telegram_id=FRANK, language="en", real_name="Frank Ma", org_id=org_id,
            status=MemberStatus.ACTIVIST, joined_party_on=date(2029, 5, 1), phone=None,
            invite_id=None))
        await people.decide_registration(session, membership.id, approve=True,
                                         decided_by=SEC_A)


async def join_link(sec: Person) -> str:
    await sec.say("/group")
    await sec.tap("🔗 Invite link for members")
    found = JOIN_LINK.search(sec.last_text)
    assert found is not None, sec.last_text
    return found.group(0)


async def ask(bot: Bot, group: Group, who: Person, link: str) -> list[str]:
    """They open the link; what the bot said to them privately."""
    before = len(who.texts())
    assert bot.emulator.request_join(group.chat_id, who.user_id, link) is not None
    await bot.settle()
    return who.texts()[before:]


async def test_the_secretary_gets_a_join_link_once_the_bot_may_invite(bot: Bot) -> None:
    assert bot.app is not None
    bot.app.courier.clock = lambda: NOW
    s = await seed(bot)
    sec = bot.person(SEC_A, "Sec A", language_code="en")
    alice = bot.person(ALICE, "Alice", language_code="en")
    await alice.say("/start")
    group = await linked_group(bot, sec)

    await sec.say("/group")
    await sec.tap("🔗 Invite link for members")
    assert "I need to be an administrator of the group with the right to invite users" \
        in sec.last_text
    assert "“Invite users via link”" in sec.last_text
    assert bot.emulator.invite_links(group.chat_id) == []

    bot.emulator.promote_bot(group.chat_id, SEC_A)
    await bot.settle()
    await sec.tap("🔗 Try again")
    assert "Invite link for “Branch A chat”" in sec.last_text
    assert "I let in the members and activists of Branch A" in sec.last_text
    found = JOIN_LINK.search(sec.last_text)
    assert found is not None
    (made,) = bot.emulator.invite_links(group.chat_id)
    assert made["invite_link"] == found.group(0) and made["creates_join_request"]
    assert made["name"] == "Branch A"
    # Each press makes a fresh link.
    assert await join_link(sec) != found.group(0)
    assert len(bot.emulator.invite_links(group.chat_id)) == 2

    # A member cannot get one, whatever they press.
    before = len(alice.alerts())
    await alice.forge(f"grp:join:{s.branch_a}")
    assert len(alice.alerts()) == before + 1
    assert len(bot.emulator.invite_links(group.chat_id)) == 2
    # Nothing of this was said in the group but the link's confirmation.
    assert len(group.texts()) == 1
    bot.assert_all_accepted()


async def test_members_are_let_in_and_others_declined_with_how_to_register(bot: Bot) -> None:
    assert bot.app is not None
    bot.app.courier.clock = lambda: NOW
    s = await seed(bot, pending=True)
    await add_activist(bot, s.branch_a)
    sec = bot.person(SEC_A, "Sec A", language_code="en")
    group = await linked_group(bot, sec)
    bot.emulator.promote_bot(group.chat_id, SEC_A)
    link = await join_link(sec)
    said_in_group = len(group.texts())
    # None of those who ask has ever opened the bot: it may still answer them, once.
    alice = bot.person(ALICE, "Alice", language_code="en")
    frank = bot.person(FRANK, "Frank", language_code="en")
    upper = bot.person(UPPER_SEC, "Upper", language_code="en")
    members = bot.emulator.group(group.chat_id).members

    # A member, an activist and the secretary above the branch are let in, with a welcome.
    for person in (alice, frank, upper):
        assert await ask(bot, group, person, link) == [
            "✅ Welcome to “Branch A chat”, the group chat of Branch A: I have let you in."]
        assert person.user_id in members
    secretary_heard = len(sec.texts())

    # A stranger is declined, told how to register, and the secretary hears who it was.
    stranger = bot.person(STRANGER, "Sam", language_code="en")
    bot.emulator.user(STRANGER).username = "sam_w"
    (said,) = await ask(bot, group, stranger, link)
    assert "I could not let you into “Branch A chat”, the group chat of Branch A." in said
    assert "I did not find you among the members of Branch A" in said and "/start" in said
    assert "The branch's secretary has been told of your request." in said
    assert STRANGER not in members and bot.emulator.join_requests(group.chat_id) == []
    (told,) = sec.texts()[secretary_heard:]
    assert "Sam (@sam_w) asked to join “Branch A chat”, the group chat of Branch A." in told
    assert "They have no registration with the branch" in told and "/invite" in told
    # Asking again is declined again, but the secretary is not told twice the same day.
    (again,) = await ask(bot, group, stranger, link)
    assert "I did not find you among the members of Branch A" in again
    assert len(sec.texts()) == secretary_heard + 1

    # With a branch invite link, the decline carries it.
    await sec.say("/invite")
    invite = re.search(r"https://t\.me/\w+\?start=[A-Za-z0-9_-]+", sec.last_text)
    assert invite is not None
    secretary_heard = len(sec.texts())
    other = bot.person(ANOTHER, "Olga <&>", language_code="en")  # her name is kept as typed
    (said,) = await ask(bot, group, other, link)
    assert f"open this link and follow the steps:\n{invite.group(0)}" in said
    # A registration waiting for approval, and another branch's member, are declined too.
    dave = bot.person(DAVE, "Dave", language_code="en")
    (said,) = await ask(bot, group, dave, link)
    assert "Your registration with Branch A still waits for the secretary's approval." in said
    carol = bot.person(CAROL, "Carol", language_code="en")
    (said,) = await ask(bot, group, carol, link)
    assert "I did not find you among the members of Branch A" in said
    heard = sec.texts()[secretary_heard:]
    assert [text.split(" asked")[0] for text in heard] == ["🙋 Olga <&>", "🙋 Dave", "🙋 Carol"]
    assert "Their registration waits for your approval: /pending." in heard[1]
    assert not {DAVE, CAROL, ANOTHER} & set(members)
    # In their own language (Chinese by default).
    chinese = bot.person(CHINESE, "小王")
    (said,) = await ask(bot, group, chinese, link)
    assert said.startswith("🙏 抱歉，暂时无法让您加入Branch A的群聊“Branch A chat”。")

    # Nothing personal in the group: only Telegram's own "joined" notes.
    assert len(group.texts()) == said_in_group
    bot.assert_all_accepted()


async def test_a_request_to_a_group_no_longer_linked_is_left_waiting(bot: Bot) -> None:
    assert bot.app is not None
    bot.app.courier.clock = lambda: NOW
    await seed(bot)
    sec = bot.person(SEC_A, "Sec A", language_code="en")
    group = await linked_group(bot, sec)
    bot.emulator.promote_bot(group.chat_id, SEC_A)
    link = await join_link(sec)
    await sec.say("/group")
    await sec.tap("✂️ Unlink this group")
    await sec.tap("✂️ Yes, unlink it")
    secretary_heard = len(sec.texts())

    alice = bot.person(ALICE, "Alice", language_code="en")
    stranger = bot.person(STRANGER, "Sam", language_code="en")
    for person in (alice, stranger):
        assert await ask(bot, group, person, link) == []
    # The group's human administrators decide them.
    assert bot.emulator.join_requests(group.chat_id) == [ALICE, STRANGER]
    assert len(sec.texts()) == secretary_heard
    bot.assert_all_accepted()
