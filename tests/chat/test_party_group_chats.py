"""A 党小组's own group chat (issue 18): the branch's secretary links a chat to one of the
branch's 党小组 with a code made for it (a member's forged code or a press naming another
branch's 党小组 is refused); that 党小组's meetings are posted there and only there, its counts
from the group's list; a press on it from the branch's chat is refused, from the 党小组's chat
accepted; a press naming another 党小组's meeting is refused; unlinking ends only that link.
Fixed clock: noon in Shanghai (tests/chat/test_checkin_chat)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from handlers.groups.views import (
    LINKED_PARTY_GROUP,
    NO_PARTY_GROUP,
    NOT_LEADER,
    JoinLink,
    NewLinkCode,
)
from handlers.kit.buttons import MeetingId, OrgId
from handlers.kit.i18n import translator
from handlers.meetings.post_views import PostAttend, PostCheckin
from rules.vocabulary import AttendanceStatus, MeetingKind
from storage import meetings as store
from storage import orgs
from storage.models import BranchChat, Membership, PartyOrganization
from tests.chat.test_checkin_chat import ALICE, BOB, CAROL, NAMES, NOON, SEC, World, person, seed
from tests.chat.test_group_joins import JOIN_LINK
from tests.chat.test_group_posts import linked_group, refresh
from tests.chat.test_group_presses import STALE, answers, status_of
from tests.harness import Bot

t = translator("en")
ADD_LINK = re.compile(r"startgroup=link-([A-Za-z0-9_-]+)$")


async def party_groups(bot: Bot, w: World) -> tuple[int, int, int, int, int]:
    """Group 1 (Alice, Bob) with a meeting that began 5 minutes ago, Group 2 (Carol) with one
    tomorrow, and Branch B's 党小组: (group 1, its meeting, group 2, its meeting, B's group)."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        branch = await session.get(PartyOrganization, w.branch)
        other = await session.scalar(select(PartyOrganization).where(
            PartyOrganization.name == "Branch B"))
        assert branch is not None and other is not None
        one = await orgs.create_group(session, org=branch, name="Group 1", actor_telegram_id=1)
        two = await orgs.create_group(session, org=branch, name="Group 2", actor_telegram_id=1)
        theirs = await orgs.create_group(session, org=other, name="B1", actor_telegram_id=1)
        for telegram_id, group in ((ALICE, one), (BOB, one), (CAROL, two)):
            membership = await session.get(Membership, w.memberships[telegram_id])
            assert membership is not None
            membership.party_group_id = group.id
        await session.flush()
        meetings = []
        for group, starts_at in ((one, NOON - timedelta(minutes=5)),
                                 (two, NOON + timedelta(days=1))):
            meeting = await store.schedule(session, store.MeetingPlan(
                org_id=branch.id, kind=MeetingKind.GROUP, party_group_id=group.id,
                starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
                topic=f"{group.name} study"), created_by=SEC, now=NOON - timedelta(hours=1))
            meetings.append(meeting.id)
        return one.id, meetings[0], two.id, meetings[1], theirs.id


async def links(bot: Bot) -> list[tuple[int | None, str, bool]]:
    """(party group, title, still linked) of every link, oldest first."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        rows = await session.execute(select(
            BranchChat.party_group_id, BranchChat.title, BranchChat.unlinked_at.is_(None))
            .order_by(BranchChat.id))
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_a_party_group_gets_its_own_chat_and_its_meetings_are_posted_only_there(
    bot: Bot,
) -> None:
    assert bot.app is not None
    w = await seed(bot, now=NOON, starts_in=timedelta(days=2))  # the branch's assembly
    one, one_meeting, two, two_meeting, theirs = await party_groups(bot, w)
    branch_chat = await linked_group(bot, [NOON])
    sec, alice, bob = person(bot, SEC), person(bot, ALICE), person(bot, BOB)

    await sec.say("/group")
    buttons = [b.text for row in sec.last.inline_keyboard for b in row]
    assert "🔗 Link a group chat for Group 1" in buttons
    assert "🔗 Link a group chat for Group 2" in buttons
    await sec.tap("🔗 Link a group chat for Group 1")
    assert "Link a group chat to the 党小组 Group 1 of Branch A" in sec.last_text
    found = ADD_LINK.search(next(b.url for row in sec.last.inline_keyboard for b in row
                                 if b.url))
    assert found is not None
    code = found.group(1)

    # A member cannot use the code, nor make one (forged), nor can a leader name another
    # branch's 党小组.
    chat = bot.group("Group 1 chat", [sec, alice, bob])
    said = await alice.say_in(chat, f"/link {code}")
    assert [m.text for m in said.group] == [t(NOT_LEADER)]
    await alice.say("/start")
    await alice.forge(NewLinkCode(OrgId(w.branch), one).pack())
    assert "Link a group chat to the 党小组" not in alice.last_text
    assert answers(bot, ALICE)[-1] == ("You are not allowed to do that.", True)
    await sec.forge(NewLinkCode(OrgId(w.branch), theirs).pack())
    assert answers(bot, SEC)[-1] == (t(NO_PARTY_GROUP), True)
    assert await links(bot) == [(None, "Branch A", True)]

    said = await sec.say_in(chat, f"/link {code}")
    assert [m.text for m in said.group] == [
        t(LINKED_PARTY_GROUP, group="Group 1", branch="Branch A")]
    assert await links(bot) == [(None, "Branch A", True), (one, "Group 1 chat", True)]
    await sec.say("/group")
    assert "党小组 Group 1: “Group 1 chat”" in sec.last_text
    buttons = [b.text for row in sec.last.inline_keyboard for b in row]
    assert "✂️ Unlink the chat of Group 1" in buttons
    assert "🔗 Link a group chat for Group 2" in buttons
    assert "🔗 Link a group chat for Group 1" not in buttons

    # The branch's assembly in the branch's chat, Group 1's meeting in Group 1's chat only;
    # Group 2's (no chat) nowhere.
    before_branch, before_chat = len(branch_chat.bot_messages()), len(chat.bot_messages())
    assert await refresh(bot) == 2
    branch_posts = branch_chat.bot_messages()[before_branch:]
    chat_posts = chat.bot_messages()[before_chat:]
    assert len(branch_posts) == 1 and "Study the constitution" in branch_posts[0].text
    assert len(chat_posts) == 1 and "Group 1 study" in chat_posts[0].text
    assert "Expected 2 · will attend 0 · on leave 0 · checked in 0" in chat_posts[0].text
    post = chat_posts[0]

    # A press on Group 1's meeting from the branch's chat is refused; a press naming Group 2's
    # meeting or the branch's assembly in Group 1's chat too; Alice's press there is taken.
    await alice.forge_in(branch_chat, branch_posts[0].message_id,
                         PostCheckin(MeetingId(one_meeting)).pack())
    assert answers(bot, ALICE)[-1] == (STALE, True)
    await bob.forge_in(chat, post.message_id, PostAttend(MeetingId(two_meeting)).pack())
    assert answers(bot, BOB)[-1] == (STALE, True)
    await bob.forge_in(chat, post.message_id, PostCheckin(MeetingId(w.meeting)).pack())
    assert answers(bot, BOB)[-1] == (STALE, True)
    assert await status_of(bot, w, BOB) is AttendanceStatus.EXPECTED
    async with bot.app.database.session() as session:
        line = await store.attendance_of(session, one_meeting, w.memberships[ALICE])
        assert line is not None and line.status is AttendanceStatus.EXPECTED
    said = await alice.tap_in(chat, "📍 Check in", post.message_id)
    assert said.group == [] and said.private == []
    assert answers(bot, ALICE)[-1] == ("✅ You're checked in.", False)
    async with bot.app.database.session() as session:
        line = await store.attendance_of(session, one_meeting, w.memberships[ALICE])
        assert line is not None and line.status is AttendanceStatus.PRESENT
    assert await status_of(bot, w, ALICE) is AttendanceStatus.EXPECTED  # not the assembly
    assert await refresh(bot) == 1
    assert "checked in 1" in bot.emulator.message(chat.chat_id, post.message_id).text

    # Unlinking Group 1's chat leaves the branch's chat linked.
    await sec.say("/group")
    await sec.tap("✂️ Unlink the chat of Group 1")
    await sec.tap("✂️ Yes, unlink it")
    assert await links(bot) == [(None, "Branch A", True), (one, "Group 1 chat", False)]
    buttons = [b.text for row in sec.last.inline_keyboard for b in row]
    assert "🔗 Link a group chat for Group 1" in buttons
    await alice.forge_in(chat, post.message_id, PostCheckin(MeetingId(one_meeting)).pack())
    assert answers(bot, ALICE)[-1] == (STALE, True)

    for text in [*chat.texts(), *branch_chat.texts()]:
        assert not any(name in text for name in NAMES.values()), text
    assert two


async def test_a_party_groups_chat_lets_in_its_own_members_only(bot: Bot) -> None:
    """The secretary makes an invite link for Group 1's chat; Bob (Group 1) is let in; Carol
    (Group 2) is declined, told hers is another, and the secretary hears of it."""
    assert bot.app is not None
    w = await seed(bot, now=NOON, starts_in=timedelta(days=2))
    one, _, _, _, theirs = await party_groups(bot, w)
    sec, bob, carol = person(bot, SEC), person(bot, BOB), person(bot, CAROL)
    await sec.say("/group")
    await sec.tap("🔗 Link a group chat for Group 1")
    found = ADD_LINK.search(next(b.url for row in sec.last.inline_keyboard for b in row
                                 if b.url))
    assert found is not None
    chat = bot.group("Group 1 chat", [sec])
    await sec.say_in(chat, f"/link {found.group(1)}")
    assert await links(bot) == [(one, "Group 1 chat", True)]
    bot.emulator.promote_bot(chat.chat_id, SEC)
    await sec.say("/group")
    await sec.tap("🔗 Invite link for Group 1")
    made = JOIN_LINK.search(sec.last_text)
    assert made is not None, sec.last_text
    link = made.group(0)
    assert [item["invite_link"] for item in bot.emulator.invite_links(chat.chat_id)] == [link]
    await sec.forge(JoinLink(OrgId(w.branch), theirs).pack())  # Branch B's 党小组: no link
    assert len(bot.emulator.invite_links(chat.chat_id)) == 1

    for who in (bob, carol):
        assert bot.emulator.request_join(chat.chat_id, who.user_id, link) is not None
        await bot.settle()
    assert bob.texts()[-1].startswith("✅ Welcome to “Group 1 chat”")
    assert "This chat is for one 党小组 of Branch A, and you belong to another" in (
        carol.texts()[-1])
    assert bot.emulator.join_requests(chat.chat_id) == []
    assert bob.user_id in bot.emulator.group(chat.chat_id).members
    assert carol.user_id not in bot.emulator.group(chat.chat_id).members
    await bot.app.courier.deliver_due()
    assert any("not of this chat's 党小组" in text for text in sec.texts())
