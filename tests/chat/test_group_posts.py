"""A meeting posted in the branch's linked group (issue 18): posted once, its counts (应到 /
will attend / on leave / checked in, never names) edited in place as members check in, at most
once every 3 s, and frozen when the meeting closes; a committee meeting is not posted; an
unlinked group gets nothing more. Fixed clock: noon in Shanghai (tests/chat/test_checkin_chat)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select

from reminders.group_posts import refresh_group_posts
from rules.vocabulary import MeetingKind
from storage import meetings as store
from storage.models import GroupPost, Meeting
from tests.chat.test_checkin_chat import ALICE, BOB, NAMES, NOON, SEC, person, seed
from tests.harness import Bot, Group, Person

ADD_LINK = re.compile(r"startgroup=link-([A-Za-z0-9_-]+)$")


async def linked_group(bot: Bot, clock: list[datetime],
                       others: Iterable[Person] = ()) -> Group:
    """Branch A's group (the secretary, Alice, Bob and `others`), linked by its secretary
    through the chat."""
    sec = person(bot, SEC)
    await sec.say("/group")
    await sec.tap("🔗 Link a group chat")
    found = ADD_LINK.search(next(b.url for row in sec.last.inline_keyboard for b in row
                                 if b.url))
    assert found is not None
    group = bot.group("Branch A", [*(person(bot, i) for i in (SEC, ALICE, BOB)), *others])
    await sec.say_in(group, f"/link {found.group(1)}")
    return group


async def refresh(bot: Bot) -> int:
    assert bot.app is not None
    return await refresh_group_posts(bot.app)


async def test_a_meeting_post_keeps_its_counts_current_without_names(bot: Bot) -> None:
    assert bot.app is not None
    w = await seed(bot, now=NOON)
    clock = [NOON]
    bot.app.courier.clock = lambda: clock[0]
    group = await linked_group(bot, clock)
    before = len(group.bot_messages())  # the link's confirmation

    assert await refresh(bot) == 1
    posts = group.bot_messages()[before:]
    assert len(posts) == 1
    post = posts[0]
    assert "Study the constitution" in post.text and "📍 Room 101" in post.text
    # Six expected (the activist is a guest), Erin on leave.
    assert "Expected 6 · will attend 0 · on leave 1 · checked in 0" in post.text
    # Check-in is open (the meeting began 5 minutes ago): its one button, answered privately.
    assert "Press a button below: I answer only you" in post.text
    assert [b.text for row in post.inline_keyboard for b in row] == ["📍 Check in"]
    assert await refresh(bot) == 0  # nothing changed: nothing sent

    alice, bob, sec = person(bot, ALICE), person(bot, BOB), person(bot, SEC)
    await sec.say("/checkin")
    await sec.tap("Open check-in")
    await alice.tap("✅ Check in")
    assert await refresh(bot) == 1  # the first change is shown at once
    shown = bot.emulator.message(group.chat_id, post.message_id).text
    assert "Expected 6 · will attend 0 · on leave 1 · checked in 1" in shown

    await bob.tap("✅ Check in")
    assert await refresh(bot) == 0  # within 3 s of the last edit: it waits
    clock[0] = NOON + timedelta(seconds=3)
    assert await refresh(bot) == 1
    shown = bot.emulator.message(group.chat_id, post.message_id).text
    assert "checked in 2" in shown
    assert len(group.bot_messages()) == before + 1  # edited in place, never posted again

    # Closed: the final counts, then no more edits.
    async with bot.app.database.session() as session:
        meeting = await session.get(Meeting, w.meeting)
        assert meeting is not None
        await store.close(session, meeting, minutes=None, by=SEC, now=clock[0])
    clock[0] += timedelta(seconds=3)
    assert await refresh(bot) == 1
    shown = bot.emulator.message(group.chat_id, post.message_id).text
    assert "The meeting is closed: these are its final counts." in shown
    assert not bot.emulator.message(group.chat_id, post.message_id).inline_keyboard
    assert "checked in 2" in shown
    clock[0] += timedelta(seconds=30)
    assert await refresh(bot) == 0
    async with bot.app.database.session() as session:
        final = (await session.scalars(select(GroupPost.final))).all()
    assert final == [True]

    # Nothing personal ever reached the group.
    for text in group.texts():
        assert not any(name in text for name in NAMES.values()), text
    bot.assert_all_accepted()


async def test_a_committee_meeting_is_not_posted_and_an_unlinked_group_hears_no_more(
    bot: Bot,
) -> None:
    assert bot.app is not None
    await seed(bot, now=NOON, kind=MeetingKind.COMMITTEE)
    clock = [NOON]
    bot.app.courier.clock = lambda: clock[0]
    group = await linked_group(bot, clock)
    before = len(group.bot_messages())
    assert await refresh(bot) == 0
    assert len(group.bot_messages()) == before

    sec = person(bot, SEC)
    await sec.say("/group")
    await sec.tap("✂️ Unlink this group")
    await sec.tap("✂️ Yes, unlink it")
    async with bot.app.database.session() as session:
        meeting = (await session.scalars(select(Meeting))).one()
        plan = store.MeetingPlan(
            org_id=meeting.party_organization_id, kind=MeetingKind.ASSEMBLY,
            starts_at=NOON + timedelta(days=1), ends_at=NOON + timedelta(days=1, hours=2),
            topic="After the unlink", place=None)
        await store.schedule(session, plan, created_by=SEC, now=NOON)
    assert await refresh(bot) == 0
    assert len(group.bot_messages()) == before
