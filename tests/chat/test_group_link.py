"""A branch's group chat linked with a one-time code (issue 18): the secretary makes the code
in private, a member or another branch's secretary cannot use it, the secretary links the group
with the add-to-group button's `/start link-CODE`, a used or expired code does nothing, the
group hears nothing personal, and the link ends when unlinked (after a confirmation) or when
the bot is removed from the group. Fixed clock: 10:00 in Shanghai, 2030-03-10."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from handlers.groups.views import CODE_UNUSABLE, LINKED, NOT_LEADER
from handlers.kit.i18n import translator
from storage.models import AuditEvent, BranchChat, ChatLinkCode
from tests.chat.test_members_chat import ALICE, SEC_A, SEC_B, seed
from tests.harness import Bot

NOW = datetime(2030, 3, 10, 2, 0, tzinfo=UTC)
t = translator("en")
ADD_LINK = re.compile(r"^https://t\.me/(\w+)\?startgroup=link-([A-Za-z0-9_-]+)$")


async def links(bot: Bot) -> list[tuple[int, int, str, bool]]:
    """(branch, group chat, title, still linked) of every link, oldest first."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        rows = await session.execute(select(
            BranchChat.party_organization_id, BranchChat.chat_id, BranchChat.title,
            BranchChat.unlinked_at.is_(None)).order_by(BranchChat.id))
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_a_secretary_links_the_branch_group_with_a_one_time_code(bot: Bot) -> None:
    assert bot.app is not None
    clock = [NOW]
    bot.app.courier.clock = lambda: clock[0]
    s = await seed(bot)
    sec = bot.person(SEC_A, "Sec A", language_code="en")
    alice = bot.person(ALICE, "Alice", language_code="en")
    other = bot.person(SEC_B, "Sec B", language_code="en")
    for person in (sec, alice, other):
        await person.say("/start")

    await sec.say("/group")
    assert "Branch A has no linked group chat yet." in sec.last_text
    await sec.tap("🔗 Link a group chat")
    assert "Link a group chat to Branch A" in sec.last_text
    assert "The code works once, until 2030-03-10 11:00, and only for a leader of Branch A." \
        in sec.last_text
    (url,) = [b.url for row in sec.last.inline_keyboard for b in row if b.url]
    found = ADD_LINK.match(url)
    assert found is not None and found.group(1) == bot.emulator.bot_username
    code = found.group(2)
    assert f"/link {code}" in sec.last_text

    group = bot.group("Branch A volunteers", [sec, alice, other])
    # A member and another branch's secretary cannot use it; the group learns nothing more.
    for person in (alice, other):
        said = await person.say_in(group, f"/link {code}")
        assert [m.text for m in said.group] == [t(NOT_LEADER)] and not said.private
    assert await links(bot) == []

    # The add-to-group button's /start link-CODE links it, where it was typed.
    username = bot.emulator.bot_username
    said = await sec.say_in(group, f"/start@{username} link-{code}")
    assert [m.text for m in said.group] == [
        t(LINKED, branch="Branch A").replace("<b>", "").replace("</b>", "")]
    assert not said.private
    assert await links(bot) == [(s.branch_a, group.chat_id, "Branch A volunteers", True)]
    await sec.say("/group")
    assert "Branch A: linked to the group “Branch A volunteers” since 2030-03-10." \
        in sec.last_text

    # Used once: the same code in another group does nothing.
    second = bot.group("Another chat", [sec])
    said = await sec.say_in(second, f"/link {code}")
    assert [m.text for m in said.group] == [t(CODE_UNUSABLE)]
    # A new code made earlier than an hour ago works no more after it.
    await sec.tap("🔗 Link another group instead")
    newer = ADD_LINK.match(next(b.url for row in sec.last.inline_keyboard for b in row
                                if b.url))
    assert newer is not None
    clock[0] = NOW + timedelta(hours=1, minutes=1)
    said = await sec.say_in(second, f"/link {newer.group(2)}")
    assert [m.text for m in said.group] == [t(CODE_UNUSABLE)]
    assert await links(bot) == [(s.branch_a, group.chat_id, "Branch A volunteers", True)]

    # In a private chat /link says where it belongs.
    await sec.say(f"/link {code}")
    assert "Send this in the group chat you want to link" in sec.last_text

    # A member cannot make a code or unlink, whatever they press.
    for data in (f"grp:code:{s.branch_a}", f"grp:unlink:{s.branch_a}"):
        before = len(alice.alerts())
        await alice.forge(data)
        assert len(alice.alerts()) == before + 1
    async with bot.app.database.session() as session:
        made = (await session.scalars(select(ChatLinkCode.created_by))).all()
    assert set(made) == {SEC_A}

    # Unlinked after a confirmation; nothing is undone before it.
    await sec.say("/group")
    await sec.tap("✂️ Unlink this group")
    assert "Unlink the group “Branch A volunteers” from Branch A?" in sec.last_text
    assert (await links(bot))[0][3] is True
    await sec.tap("✂️ Yes, unlink it")
    assert "The group “Branch A volunteers” is no longer linked to Branch A." in sec.last_text
    assert "Branch A has no linked group chat yet." in sec.last_text
    assert (await links(bot))[0][3] is False
    async with bot.app.database.session() as session:
        audited = (await session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("group.%")).order_by(AuditEvent.id))).all()
    assert audited == ["group.linked", "group.unlinked"]


async def test_removing_the_bot_from_the_group_ends_the_link(bot: Bot) -> None:
    assert bot.app is not None
    bot.app.courier.clock = lambda: NOW
    s = await seed(bot)
    sec = bot.person(SEC_A, "Sec A", language_code="en")
    await sec.say("/group")
    await sec.tap("🔗 Link a group chat")
    code = ADD_LINK.match(next(b.url for row in sec.last.inline_keyboard for b in row
                               if b.url))
    assert code is not None
    group = bot.group("Branch A volunteers", [sec])
    await sec.say_in(group, f"/link {code.group(2)}")
    assert await links(bot) == [(s.branch_a, group.chat_id, "Branch A volunteers", True)]

    bot.emulator.remove_bot(group.chat_id, SEC_A)
    await bot.settle()
    assert await links(bot) == [(s.branch_a, group.chat_id, "Branch A volunteers", False)]
    await sec.say("/group")
    assert "Branch A has no linked group chat yet." in sec.last_text
