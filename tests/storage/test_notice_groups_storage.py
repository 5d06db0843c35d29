"""Notices in linked group chats, in storage (SQLite and PostgreSQL): which groups an audience
reaches, one outbox row per group however often it is confirmed, none without the author's
choice, withdrawal cancelling what is unsent, the posts to take down; and the rule shaping a
group post as one message."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update

from rules import notices as rules
from rules.vocabulary import MemberRole
from storage import branch_chats
from storage import notices as store
from storage.db import Database
from storage.models import Notice, OutboxMessage, OutboxState
from tests.storage.test_notices_storage import ADMIN, T0, seed

GROUP_A, GROUP_C = -1001, -1003


async def link(db: Database, org_id: int, chat_id: int) -> None:
    async with db.session() as s:
        code = await branch_chats.new_code(s, org_id, by=ADMIN, now=T0)
        await branch_chats.link(s, code, chat_id=chat_id, title="G", language="en", by=ADMIN,
                                now=T0)


async def groups_of(db: Database, audience: store.Audience, scope: set[int] | None = None
                    ) -> list[int]:
    async with db.session() as s:
        return [g.chat_id for g in await store.linked_groups(s, audience, scope)]


async def draft(db: Database, audience: store.Audience, *, in_groups: bool) -> int:
    async with db.session() as s:
        notice = await store.save_draft(
            s, notice_id=None, author_telegram_id=ADMIN, scope_org_id=None,
            draft=store.Draft("<b>Hello</b>", [], audience, True, post_in_groups=in_groups))
        return notice.id


async def confirm(db: Database, notice_id: int) -> store.Confirmed:
    async with db.session() as s:
        notice = await s.get(Notice, notice_id)
        assert notice is not None
        return await store.confirm(
            s, notice, actor_telegram_id=ADMIN, now=T0, scheduled_at=None,
            markup_for=lambda r: None,
            group_copy=lambda language: store.GroupCopy(f"post in {language}", None, None))


async def group_rows(db: Database, notice_id: int) -> list[OutboxMessage]:
    async with db.session() as s:
        return list((await s.scalars(select(OutboxMessage).where(
            OutboxMessage.subject == f"notice:{notice_id}",
            OutboxMessage.kind == store.GROUP_KIND).order_by(OutboxMessage.id))).all())


async def test_an_audience_reaches_the_linked_groups_of_its_recipients_branches(
    db: Database,
) -> None:
    ids = await seed(db)
    await link(db, ids["a"], GROUP_A)
    await link(db, ids["c"], GROUP_C)
    assert await groups_of(db, store.Audience()) == [GROUP_A, GROUP_C]
    assert await groups_of(db, store.Audience(orgs=(ids["a"],))) == [GROUP_A]
    assert await groups_of(db, store.Audience(orgs=(ids["g"],))) == [GROUP_C]  # C is below G
    assert await groups_of(db, store.Audience(orgs=(ids["b"],))) == []  # B has no group
    # Only branches someone is addressed in: secretaries are in A and B.
    assert await groups_of(db, store.Audience(roles=(MemberRole.SECRETARY,))) == [GROUP_A]
    assert await groups_of(db, store.Audience(), {ids["b"]}) == []  # never beyond the scope


async def test_one_post_per_group_only_when_chosen_and_withdrawal_takes_them_down(
    db: Database,
) -> None:
    ids = await seed(db)
    await link(db, ids["a"], GROUP_A)
    await link(db, ids["c"], GROUP_C)
    chosen = await draft(db, store.Audience(), in_groups=True)
    outcomes = sorted(r.outcome.value for r in await asyncio.gather(
        *(confirm(db, chosen) for _ in range(3))))
    assert outcomes == ["already", "already", "confirmed"]
    rows = await group_rows(db, chosen)
    assert [(r.chat_id, r.text, r.key) for r in rows] == [
        (GROUP_A, "post in en", f"notice:{chosen}:group:{GROUP_A}"),
        (GROUP_C, "post in en", f"notice:{chosen}:group:{GROUP_C}")]
    async with db.session() as s:
        figures = (await store.counts(s, [chosen]))[chosen]
    assert figures.recipients == 6 and figures.queued == 6 and figures.groups == 0

    not_chosen = await draft(db, store.Audience(), in_groups=False)
    assert (await confirm(db, not_chosen)).outcome is store.ConfirmOutcome.CONFIRMED
    assert await group_rows(db, not_chosen) == []

    # A's post went out; C's did not yet. Withdrawn: C's is cancelled, A's is to take down.
    async with db.session() as s:
        await s.execute(update(OutboxMessage).where(OutboxMessage.id == rows[0].id).values(
            state=OutboxState.SENT, telegram_message_id=77))
        assert (await store.counts(s, [chosen]))[chosen].groups == 1
        notice = await s.get(Notice, chosen)
        assert notice is not None
        applied, cancelled, _told = await store.withdraw(
            s, notice, actor_telegram_id=ADMIN, now=T0, text_for=lambda p: "withdrawn")
        assert applied and cancelled == 6  # the private copies, as before
        assert await store.sent_group_posts(s, chosen) == [(GROUP_A, 77, "en")]
    states = {r.chat_id: r.state for r in await group_rows(db, chosen)}
    assert states == {GROUP_A: OutboxState.SENT, GROUP_C: OutboxState.CANCELLED}


def test_a_group_post_is_one_message() -> None:
    photo = {"type": "photo", "file_id": "P"}
    note = "📎 elsewhere"
    # One message privately: the same in the group.
    assert rules.group_post("<b>Hi</b>", None, note) == ("<b>Hi</b>", None)
    assert rules.group_post("<b>Hi</b>", [photo], note) == ("<b>Hi</b>", [photo])
    assert rules.group_post("", [photo], note) == ("", [photo])
    # Several: the text, and where the whole notice is, without the files.
    assert rules.group_post("<b>Hi</b>", [photo, photo], note) == (f"<b>Hi</b>\n\n{note}", None)
    assert rules.group_post("", [photo, photo], note) == (note, None)
    long = "\n\n".join(["word " * 300] * 5)
    text, media = rules.group_post(long, None, note)
    assert media is None and text.endswith(note)
    assert rules.visible_length(text) <= rules.MAX_TEXT
    assert len(rules.delivery_steps(text, None)) == 1
