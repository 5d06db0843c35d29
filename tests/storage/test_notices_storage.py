"""Notices in storage (SQLite and PostgreSQL): audiences in SQL, scope, confirmation once,
read receipts once, reminders once, withdrawal, counts for the dashboard; and the plain
rules that cut a notice into Telegram messages."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from rules import notices as rules
from rules.vocabulary import MemberRole, MemberStatus, NoticeState, PartyOrgKind, SocialOrgType
from storage import notices as store
from storage import orgs, outbox, people
from storage.db import Database
from storage.models import Notice, OutboxMessage, OutboxState

T0 = datetime(2030, 3, 4, 2, 0, tzinfo=UTC)
ADMIN = 1


async def seed(db: Database) -> dict[str, int]:
    """A committee with branches A and B (and a general branch G with branch C under it)."""
    ids: dict[str, int] = {}
    async with db.session() as s:
        top = await orgs.create_party_org(s, name="Top", kind=PartyOrgKind.COMMITTEE,
                                          parent_id=None, actor_telegram_id=ADMIN)
        g = await orgs.create_party_org(s, name="G", kind=PartyOrgKind.GENERAL_BRANCH,
                                        parent_id=top.id, actor_telegram_id=ADMIN)
        branches = {
            "a": await orgs.create_party_org(s, name="A", kind=PartyOrgKind.BRANCH,
                                             parent_id=top.id, actor_telegram_id=ADMIN),
            "b": await orgs.create_party_org(s, name="B", kind=PartyOrgKind.BRANCH,
                                             parent_id=top.id, actor_telegram_id=ADMIN),
            "c": await orgs.create_party_org(s, name="C", kind=PartyOrgKind.BRANCH,
                                             parent_id=g.id, actor_telegram_id=ADMIN),
        }
        social = await orgs.create_social_org(s, name="S", org_type=SocialOrgType.FOUNDATION,
                                              party_org_id=branches["c"].id,
                                              actor_telegram_id=ADMIN)
        cast = [
            (101, "a", MemberRole.SECRETARY, MemberStatus.FULL),
            (102, "a", MemberRole.MEMBER, MemberStatus.PROBATIONARY),
            (103, "a", MemberRole.MEMBER, MemberStatus.FULL),
            (201, "b", MemberRole.SECRETARY, MemberStatus.FULL),
            (202, "b", MemberRole.COMMITTEE_MEMBER, MemberStatus.FULL),
            (301, "c", MemberRole.MEMBER, MemberStatus.ACTIVIST),
        ]
        for telegram_id, key, role, status in cast:
            await people.appoint_by_telegram_id(s, branches[key], telegram_id, role,
                                                status=status, actor_telegram_id=ADMIN,
                                                language="en")
            person = await people.person_by_telegram_id(s, telegram_id)
            assert person is not None
            ids[f"p{telegram_id}"] = person.id
        ids.update(top=top.id, g=g.id, a=branches["a"].id, b=branches["b"].id,
                   c=branches["c"].id, social=social.id)
    return ids


async def count(db: Database, audience: store.Audience, scope: set[int] | None,
                exclude: int | None = None) -> int:
    async with db.session() as s:
        return await store.count_recipients(s, audience, scope, exclude)


async def test_audiences_count_distinct_people_within_the_scope(db: Database) -> None:
    ids = await seed(db)
    everyone = store.Audience()
    assert await count(db, everyone, None) == 6
    # Overlapping choices (G covers C; S is covered by C) count each person once.
    overlapping = store.Audience(orgs=(ids["g"], ids["c"], ids["a"]), social=(ids["social"],))
    assert await count(db, overlapping, None) == 4
    assert await count(db, store.Audience(social=(ids["social"],)), None) == 1
    assert await count(db, store.Audience(roles=(MemberRole.SECRETARY,)), None) == 2
    assert await count(db, store.Audience(
        roles=(MemberRole.SECRETARY, MemberRole.COMMITTEE_MEMBER)), None) == 3
    assert await count(db, store.Audience(statuses=(MemberStatus.PROBATIONARY,)), None) == 1
    assert await count(db, store.Audience(
        orgs=(ids["a"],), statuses=(MemberStatus.FULL,)), None) == 2
    # A secretary's scope is their branch: choices outside it reach nobody.
    scope = {ids["a"]}
    assert await count(db, everyone, scope, exclude=ids["p101"]) == 2
    assert await count(db, store.Audience(orgs=(ids["b"], ids["top"])), scope) == 3
    assert await count(db, store.Audience(orgs=(ids["b"],)), scope) == 0
    assert await count(db, store.Audience(social=(ids["social"],)), scope) == 0
    # Round trip of the stored form.
    assert store.Audience.from_json(overlapping.to_json()) == store.Audience(
        orgs=tuple(sorted(overlapping.orgs)), social=(ids["social"],))


async def _draft(db: Database, scope: int | None, audience: store.Audience,
                 requires_read: bool = True) -> int:
    async with db.session() as s:
        notice = await store.save_draft(
            s, notice_id=None, author_telegram_id=ADMIN, scope_org_id=scope,
            draft=store.Draft("<b>Hello</b>", [], audience, requires_read),
        )
        return notice.id


async def _confirm(db: Database, notice_id: int, scheduled_at: datetime | None = None
                   ) -> store.Confirmed:
    async with db.session() as s:
        notice = await s.get(Notice, notice_id)
        assert notice is not None
        return await store.confirm(s, notice, actor_telegram_id=ADMIN, now=T0,
                                   scheduled_at=scheduled_at, markup_for=lambda r: None)


async def test_confirming_twice_at_once_enqueues_one_copy_per_person(db: Database) -> None:
    ids = await seed(db)
    notice_id = await _draft(db, None, store.Audience(orgs=(ids["top"], ids["a"])))
    results = await asyncio.gather(*(_confirm(db, notice_id) for _ in range(3)))
    outcomes = sorted(r.outcome.value for r in results)
    assert outcomes == ["already", "already", "confirmed"]
    async with db.session() as s:
        rows = (await s.scalars(select(OutboxMessage).where(
            OutboxMessage.subject == f"notice:{notice_id}"))).all()
        figures = (await store.counts(s, [notice_id]))[notice_id]
    assert len(rows) == 6 and len({r.chat_id for r in rows}) == 6
    assert {r.key for r in rows} == {f"notice:{notice_id}:{ids[f'p{t}']}" for t in
                                     (101, 102, 103, 201, 202, 301)}
    assert figures == store.Counts(recipients=6, queued=6)


async def test_reads_reminders_withdrawal_and_dashboard_counts(db: Database) -> None:
    ids = await seed(db)
    notice_id = await _draft(db, ids["a"], store.Audience())
    await _confirm(db, notice_id)
    # Two of three copies are sent, one fails.
    async with db.session() as s:
        claimed = await outbox.claim(s, T0, limit=10, lease=timedelta(minutes=5), courier="c")
    by_chat = {c.chat_id: c for c in claimed}
    async with db.session() as s:
        await outbox.settle(s, [
            outbox.Settled(by_chat[101].id, outbox.Outcome.SENT, T0, telegram_message_id=1),
            outbox.Settled(by_chat[102].id, outbox.Outcome.SENT, T0, telegram_message_id=2),
            outbox.Settled(by_chat[103].id, outbox.Outcome.FAILED, T0, error="blocked"),
        ], courier="c")
    async with db.session() as s:
        assert await store.record_read(s, notice_id, ids["p101"], T0) is store.ReadOutcome.RECORDED
        assert await store.record_read(s, notice_id, ids["p101"], T0) is store.ReadOutcome.ALREADY
        assert await store.record_read(s, notice_id, ids["p201"], T0) is (
            store.ReadOutcome.NOT_RECIPIENT)
        await store.advance(s, T0)
    async with db.session() as s:
        notice = await s.get(Notice, notice_id)
        assert notice is not None and notice.state is NoticeState.SENT
        missing = await store.non_readers(s, notice_id)
        assert {(m.telegram_id, m.delivery) for m in missing} == {
            (102, OutboxState.SENT), (103, OutboxState.FAILED)}
        outcome, n = await store.remind_non_readers(
            s, notice, actor_telegram_id=ADMIN, now=T0, text_for=lambda r: "remind",
            markup_for=lambda r: None)
        assert (outcome, n) == (store.RemindOutcome.REMINDED, 1)  # only the delivered one
    async with db.session() as s:
        notice = await s.get(Notice, notice_id)
        assert notice is not None
        outcome, _ = await store.remind_non_readers(
            s, notice, actor_telegram_id=ADMIN, now=T0, text_for=lambda r: "remind",
            markup_for=lambda r: None)
        assert outcome is store.RemindOutcome.ALREADY
        listed = await store.list_in_subtree(s, {ids["a"], ids["b"]})
        assert [(r.notice.id, r.org_name, r.counts) for r in listed] == [
            (notice_id, "A", store.Counts(recipients=3, sent=2, failed=1, read=1))]
        assert await store.list_in_subtree(s, {ids["b"]}) == []
        assert [r.notice.id for r in await store.list_in_subtree(s, None)] == [notice_id]
        received = await store.received_by(s, ids["p102"])
        assert [r.notice.id for r in received] == [notice_id]
        assert await store.received_by(s, ids["p103"]) == []  # never reached them
    async with db.session() as s:
        notice = await s.get(Notice, notice_id)
        assert notice is not None
        applied, _cancelled, told = await store.withdraw(
            s, notice, actor_telegram_id=ADMIN, now=T0, text_for=lambda p: "withdrawn")
        assert (applied, told) == (True, 2)
        again = await store.withdraw(s, notice, actor_telegram_id=ADMIN, now=T0,
                                     text_for=lambda p: "withdrawn")
        assert again == (False, 0, 0)
        assert await store.record_read(s, notice_id, ids["p102"], T0) is (
            store.ReadOutcome.WITHDRAWN)


async def test_a_scheduled_notice_waits_and_withdrawing_cancels_every_copy(db: Database) -> None:
    ids = await seed(db)
    notice_id = await _draft(db, None, store.Audience(orgs=(ids["b"],)))
    result = await _confirm(db, notice_id, scheduled_at=T0 + timedelta(hours=3))
    assert result.state is NoticeState.SCHEDULED and result.recipients == 2
    async with db.session() as s:
        assert await outbox.claim(s, T0, limit=10, lease=timedelta(minutes=5), courier="c") == []
        await store.advance(s, T0)
        notice = await s.get(Notice, notice_id)
        assert notice is not None and notice.state is NoticeState.SCHEDULED
        applied, cancelled, told = await store.withdraw(
            s, notice, actor_telegram_id=ADMIN, now=T0, text_for=lambda p: "x")
        assert (applied, cancelled, told) == (True, 2, 0)
    async with db.session() as s:
        states = (await s.execute(select(OutboxMessage.state, func.count()).where(
            OutboxMessage.subject == f"notice:{notice_id}").group_by(OutboxMessage.state))).all()
    assert dict(states) == {OutboxState.CANCELLED: 2}


async def test_an_audience_reaching_nobody_is_not_confirmed(db: Database) -> None:
    ids = await seed(db)
    notice_id = await _draft(db, ids["a"], store.Audience(orgs=(ids["b"],)))
    result = await _confirm(db, notice_id)
    assert result.outcome is store.ConfirmOutcome.NOBODY
    async with db.session() as s:
        notice = await s.get(Notice, notice_id)
        assert notice is not None and notice.state is NoticeState.DRAFT


# ---------------------------------------------------------------------------------------
# Plain rules: lengths and splitting (no database)
# ---------------------------------------------------------------------------------------


def balanced(part: str) -> bool:
    stack: list[str] = []
    for closing, name in re.findall(r"<(/?)([a-z-]+)[^>]*>", part):
        if closing:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def test_split_prefers_paragraphs_then_lines_and_keeps_tags_balanced() -> None:
    paragraphs = [f"<b>Part {i}</b> " + "text " * 150 for i in range(12)]
    source = "\n\n".join(paragraphs)
    parts = rules.split_html(source)
    assert len(parts) > 1
    assert all(rules.visible_length(p) <= rules.MAX_TEXT for p in parts)
    assert all(balanced(p) for p in parts)
    # Every cut falls between paragraphs: each part starts with a paragraph's heading.
    assert all(p.startswith("<b>Part ") for p in parts)
    joined = "\n\n".join(rules.visible_text(p) for p in parts)
    assert joined == rules.visible_text(source)


def test_split_reopens_formatting_cut_across_lines_and_cuts_long_lines_at_spaces() -> None:
    source = "<i>" + "\n".join(f"line number {i:03d} here" for i in range(40)) + "</i>"
    parts = rules.split_html(source, 100)
    assert len(parts) > 1
    assert all(p.startswith("<i>") and p.endswith("</i>") for p in parts)
    assert all(rules.visible_length(p) <= 100 for p in parts)
    long_line = "<b>" + " ".join(["word"] * 100) + "</b> &amp; done"
    parts = rules.split_html(long_line, 60)
    assert all(rules.visible_length(p) <= 60 and balanced(p) for p in parts)
    assert all(not rules.visible_text(p).startswith("ord") for p in parts)  # never mid-word
    assert rules.visible_text("".join(parts)).replace(" ", "") == rules.visible_text(
        long_line).replace(" ", "")
    assert parts[-1].endswith("&amp; done")


def test_split_counts_utf16_units_like_telegram() -> None:
    emoji = "🎉" * 3000  # two UTF-16 units each
    parts = rules.split_html(emoji)
    assert [rules.utf16_len(rules.visible_text(p)) for p in parts] == [4096, 1904]
    assert rules.split_html("short") == ["short"]
    assert rules.split_html("  \n\n ") == []


def test_delivery_steps_caption_or_separate_text() -> None:
    photo = [{"type": "photo", "file_id": "P"}]
    steps = rules.delivery_steps("<b>Hi</b>", photo)
    assert steps == [rules.Step("photo", "<b>Hi</b>", "P", with_markup=True)]
    long_text = "x " * 700  # longer than a caption
    steps = rules.delivery_steps(long_text, photo)
    assert [s.kind for s in steps] == ["photo", "text"] and steps[0].text is None
    assert [s.with_markup for s in steps] == [False, True]
    two = [*photo, {"type": "document", "file_id": "D"}]
    assert [s.kind for s in rules.delivery_steps("Hi", two)] == ["photo", "document", "text"]
    assert [s.kind for s in rules.delivery_steps("", two)] == ["photo", "document"]
    assert rules.delivery_steps("", two)[-1].with_markup
    assert [s.kind for s in rules.delivery_steps("a" * 5000, None)] == ["text", "text"]
    assert str(rules.paid_cost(10_000, 1)) == "1000.0"
