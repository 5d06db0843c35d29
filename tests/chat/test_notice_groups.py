"""Notices posted in the branch's linked group (issue 18): the author chooses it on the preview
(off by default, offered only where the audience's branches have a linked group); the group
gets exactly one post through the outbox, with a 已阅 button whose presses count per person
exactly like the private button (a recipient's press is their read receipt, once; anyone else
is told it is not for them), answered with toasts only; withdrawing deletes the post."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from handlers.notices import views
from storage.models import NoticeRecipient
from tests.chat.test_notices_chat import (
    ALICE,
    BOB,
    CAROL,
    SEC_A,
    World,
    build,
    compose,
    html,
    latest_notice,
    photo,
    rows_of,
    t,
    who,
)
from tests.harness import Bot, Group

ADD_LINK = re.compile(r"startgroup=link-([A-Za-z0-9_-]+)$")
GROUP_BUTTON = "Also post in the linked group chats"
READ = t("✅ 已阅 / Read")


async def link_branch_a(bot: Bot) -> Group:
    """Branch A's group (Carol of Branch B is in it too), linked by its secretary."""
    sec = who(bot, SEC_A)
    await sec.say("/group")
    await sec.tap(t("🔗 Link a group chat"))
    found = ADD_LINK.search(next(b.url for row in sec.last.inline_keyboard for b in row
                                 if b.url))
    assert found is not None
    group = bot.group("Branch A", [who(bot, i) for i in (SEC_A, ALICE, BOB, CAROL)])
    await sec.say_in(group, f"/link {found.group(1)}")
    return group


async def press_in(person: Any, group: Group, message: Any) -> tuple[str | None, Any]:
    """Press the read button under a group post: the toast, and what the bot said."""
    data = next(b.callback_data for row in message.inline_keyboard or [] for b in row
                if b.text == READ)
    said = await person.forge_in(group, message.message_id, data)
    answers = person.emu.group_callback_answers(group.chat_id)
    return (answers[-1].text if answers else None), said


async def reads(w: World, notice_id: int) -> int:
    async with w.app.database.session() as s:
        return int(await s.scalar(select(func.count(NoticeRecipient.read_at)).where(
            NoticeRecipient.notice_id == notice_id)) or 0)


def posts(group: Group) -> list[Any]:
    return [m for m in group.bot_messages() if not m.deleted]


async def test_a_notice_posted_in_the_group_counts_reads_once_per_person(bot: Bot) -> None:
    w = await build(bot)
    group = await link_branch_a(bot)
    linked_only = len(posts(group))  # the link's confirmation
    sec = who(bot, SEC_A)
    await compose(sec, "<b>Assembly</b> on Friday")
    await sec.tap(t("Preview ›"))
    toggle = next(b for b in sec.buttons() if GROUP_BUTTON in b)
    assert toggle.startswith("▫️") and "(1)" in toggle  # offered, off by default
    await sec.tap(toggle)
    assert any(b.startswith("☑️") and GROUP_BUTTON in b for b in sec.buttons())
    await sec.tap(t("📤 Send now"))
    await w.deliver()
    await w.deliver()  # a second pass posts nothing more

    notice = await latest_notice(w)
    assert notice.post_in_groups
    new = posts(group)[linked_only:]
    assert len(new) == 1, [m.text for m in new]
    post = new[0]
    assert "Assembly on Friday" in post.text and "<b>Assembly</b>" in (post.html or "")
    assert [b.text for row in post.inline_keyboard for b in row] == [READ]
    assert len(await rows_of(w, notice.id, "notice_group")) == 1
    assert len(await rows_of(w, notice.id)) == 4  # private delivery as before

    # Alice reads in the group: a toast, nothing in the group or her chat.
    toast, said = await press_in(who(bot, ALICE), group, post)
    assert toast == t("Thank you: marked as read.")
    assert said.group == [] and said.private == []
    assert await reads(w, notice.id) == 1
    assert await w.progress() == 1
    assert notice.progress_message_id is not None
    live = bot.emulator.message(SEC_A, notice.progress_message_id).text
    assert t("Read: {read} of {sent}", read=1, sent=4) in live
    assert t("Posted in group chats: {n}", n=1) in live

    # Again in private, or in the group: counted once.
    await who(bot, ALICE).tap(t("📖 Mark as read (已阅)"))
    assert who(bot, ALICE).alerts()[-1] == t("You have already confirmed reading it.")
    toast, _ = await press_in(who(bot, ALICE), group, post)
    assert toast == t("You have already confirmed reading it.")
    # Bob reads privately first; his press in the group adds nothing.
    await who(bot, BOB).tap(t("📖 Mark as read (已阅)"))
    toast, _ = await press_in(who(bot, BOB), group, post)
    assert toast == t("You have already confirmed reading it.")
    assert await reads(w, notice.id) == 2

    # Carol is in the group but not a recipient: told so, nothing recorded.
    toast, said = await press_in(who(bot, CAROL), group, post)
    assert toast == t(views.NOT_ADDRESSED)
    assert said.group == [] and said.private == []
    assert await reads(w, notice.id) == 2
    # Nothing personal in the group: one post, no names, never edited.
    assert len(posts(group)) == linked_only + 1
    assert not any(name in (m.text or "") for m in posts(group)
                   for name in ("Alice", "Bob", "Carol"))
    assert not bot.emulator.message(group.chat_id, post.message_id).edited

    # Withdrawn: the group post goes.
    await w.progress()
    await sec.tap(t("↩️ Withdraw"), notice.progress_message_id)
    await sec.tap(t("↩️ Yes, withdraw"))
    assert bot.emulator.message(group.chat_id, post.message_id).deleted
    assert len(posts(group)) == linked_only


async def test_a_notice_without_the_choice_posts_nothing_in_the_group(bot: Bot) -> None:
    w = await build(bot)
    group = await link_branch_a(bot)
    before = len(group.bot_messages())
    sec = who(bot, SEC_A)
    await compose(sec, "Dues are collected on Monday")
    await sec.tap(t("Preview ›"))
    await sec.tap(t("📤 Send now"))
    await w.deliver()
    notice = await latest_notice(w)
    assert not notice.post_in_groups
    assert len(group.bot_messages()) == before
    assert await rows_of(w, notice.id, "notice_group") == []
    # A forged group press for it still counts a recipient's read, and only theirs.
    toast, _ = await press_in_data(who(bot, ALICE), group, f"ntg:rd:{notice.id}")
    assert toast == t("Thank you: marked as read.")
    assert await reads(w, notice.id) == 1


async def test_the_choice_is_offered_only_where_a_group_is_linked(bot: Bot) -> None:
    w = await build(bot)
    sec = who(bot, SEC_A)
    await compose(sec, "No group yet")
    await sec.tap(t("Preview ›"))
    assert not any(GROUP_BUTTON in b for b in sec.buttons())
    # A forged toggle under a preview without the offer: nowhere to post, nothing posted.
    draft = await latest_notice(w)
    await sec.forge(f"nt:grp:{draft.id}")
    assert (await latest_notice(w)).post_in_groups
    await sec.tap(t("📤 Send now"))
    await w.deliver()
    assert await rows_of(w, draft.id, "notice_group") == []


async def press_in_data(person: Any, group: Group, data: str) -> tuple[str | None, Any]:
    """Forge a press in the group (under the group's latest message)."""
    message_id = group.bot_messages()[-1].message_id
    said = await person.forge_in(group, message_id, data)
    answers = person.emu.group_callback_answers(group.chat_id)
    return (answers[-1].text if answers else None), said


async def test_a_photo_notice_is_posted_as_the_photo_several_files_as_text_and_a_note(
    bot: Bot,
) -> None:
    w = await build(bot)
    group = await link_branch_a(bot)
    before = len(group.bot_messages())
    sec = who(bot, SEC_A)
    for files in (1, 2):
        await sec.say("/notice")
        await html(sec, f"<i>Poster</i> {files}")
        for _ in range(files):
            await photo(sec)
        await sec.tap(t("Next: audience ›"))
        await sec.tap(t("Preview ›"))
        await sec.tap(next(b for b in sec.buttons() if GROUP_BUTTON in b))
        await sec.tap(t("📤 Send now"))
        await w.deliver()
    single, several = group.bot_messages()[before:]
    assert single.kind == "photo" and "<i>Poster</i> 1" in (single.html or "")
    assert several.kind == "text" and "<i>Poster</i> 2" in (several.html or "")
    assert t(views.IN_PRIVATE) in several.text
    assert all([b.text for row in m.inline_keyboard for b in row] == [READ]
               for m in (single, several))
