"""A long notice through the chat: it is split into messages once, when it is sent, and every
recipient gets the stored parts; while a notice of maximal length goes out to 10,000 people
the bot still answers everyone else within a second (the one timed test here: a
responsiveness bound, deselect with -m "not slow").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from rules import notices as rules
from rules.vocabulary import MemberRole, MembershipState, MemberStatus
from storage import outbox
from storage.models import Membership, OutboxState, Person
from tests.chat.test_notices_chat import (
    BRANCH_A,
    CAROL,
    World,
    build,
    html,
    latest_notice,
    rows_of,
    t,
    who,
)
from tests.harness import ADMIN_ID, Bot

RECIPIENTS = 10_000
FIRST_RECIPIENT = 5_000_000
ANSWER_WITHIN = 1.0  # seconds: what the issue asks for while a broadcast runs


async def send_notice(w: World, messages: list[str], branch: str = "Branch A") -> None:
    """The admin composes a notice from `messages` (HTML) and sends it to `branch` now."""
    admin = who(w.bot, ADMIN_ID)
    await admin.say("/notice")
    for message in messages:
        await html(admin, message)
    await admin.tap(t("Next: audience ›"))
    await admin.tap(t("🏛 Party organizations…"))
    await admin.tap(branch)
    await admin.tap(t("‹ Back"))
    await admin.tap(t("Preview ›"))
    await admin.tap(t("📤 Send now"))


async def test_a_long_notice_is_split_once_and_everyone_gets_the_stored_parts(
    bot: Bot,
) -> None:
    w = await build(bot)
    paragraphs = [f"<b>Paragraph {i}</b> <i>" + "word " * 150 + "</i>" for i in range(8)]
    await send_notice(w, ["\n\n".join(paragraphs[:4]), "\n\n".join(paragraphs[4:])])
    notice = await latest_notice(w)
    # Split when sent, and stored with the notice: the copies carry no text of their own.
    assert notice.parts is not None
    parts = [rules.Step.from_json(p) for p in notice.parts]
    assert parts == rules.delivery_steps(notice.text_html, [])
    assert len(parts) == 2 and parts[-1].with_markup
    assert all(p.text and p.text.startswith("<b>Paragraph ") for p in parts)
    copies = await rows_of(w, notice.id)
    assert len(copies) == len(BRANCH_A) and {c.text for c in copies} == {""}

    await w.deliver()
    for member in BRANCH_A:
        got = [m.html for m in bot.emulator.bot_messages(member)
               if "Paragraph" in (m.text or "")]
        assert got == [p.text for p in parts], member
    assert all(c.state is OutboxState.SENT for c in await rows_of(w, notice.id))


def maximal_message(first: int) -> str:
    """One message of the longest notice, 4,091 characters: short lines (where splitting
    was slowest), every eighth a bold heading."""
    lines = [f"{(first + i) % 10_000:04d}" for i in range(rules.MAX_TEXT // 5 - 1)]
    text = "".join(f"<b>{line}</b>\n" if i % 8 == 0 else f"{line}\n"
                   for i, line in enumerate(lines))
    return text + "."


async def seed_recipients(w: World) -> None:
    """10,000 more members of Branch A, written directly; all have opened the bot."""
    now = datetime.now(UTC)
    ids = range(FIRST_RECIPIENT, FIRST_RECIPIENT + RECIPIENTS)
    async with w.app.database.session() as s:
        await s.execute(insert(Person), [
            {"telegram_id": i, "real_name": f"R{i}", "language": "en", "created_at": now}
            for i in ids
        ])
        people = (await s.scalars(
            select(Person.id).where(Person.telegram_id >= FIRST_RECIPIENT))).all()
        await s.execute(insert(Membership), [
            {"person_id": p, "party_organization_id": w.branch_a,
             "state": MembershipState.ACTIVE, "status": MemberStatus.FULL,
             "role": MemberRole.MEMBER, "requested_at": now, "decided_at": now}
            for p in people
        ])
    for i in ids:
        w.bot.emulator.add_user(i, f"R{i}", language_code="en").started = True


async def until(condition: Callable[[], bool], seconds: float) -> bool:
    """Look every 5 ms whether `condition` holds, for at most `seconds`."""
    for _ in range(int(seconds / 0.005)):
        if condition():
            return True
        await asyncio.sleep(0.005)
    return condition()


async def answered_in(w: World, user_id: int, text: str) -> float:
    """Seconds from `text` sent to the bot's answer (at most 10: then it never came)."""
    emulator = w.bot.emulator
    before = len(emulator.bot_messages(user_id))
    started = time.perf_counter()
    emulator.send_text(user_id, text)
    await until(lambda: len(emulator.bot_messages(user_id)) > before, 10)
    return time.perf_counter() - started


@pytest.mark.slow
async def test_others_are_answered_within_a_second_while_a_maximal_notice_goes_to_10000(
    bot: Bot,
) -> None:
    w = await build(bot)
    await seed_recipients(w)
    await send_notice(w, [maximal_message(0), maximal_message(1), maximal_message(2)])
    notice = await latest_notice(w)
    assert rules.visible_length(notice.text_html) > rules.MAX_NOTICE_TEXT - 16
    assert notice.parts is not None and len(notice.parts) == 3
    async with w.app.database.session() as s:
        queued = await outbox.counts_by_state(s, subject=f"notice:{notice.id}")
    assert queued == {OutboxState.PENDING: RECIPIENTS + len(BRANCH_A)}

    delivery = asyncio.create_task(w.deliver())
    try:
        assert await until(lambda: w.app.courier.sent > 0, 20), "no copy went out"
        carol = who(w.bot, CAROL)
        latencies = []
        for command in ("/help", "/me") * 4:
            latencies.append(await answered_in(w, carol.user_id, command))
            await asyncio.sleep(0.25)
        assert not delivery.done()  # all of it measured while the broadcast was going out
        assert max(latencies) < ANSWER_WITHIN, [f"{s:.2f}" for s in latencies]
    finally:
        async with w.app.database.session() as s:  # the test is over: the rest is not sent
            await outbox.cancel(s, subject=f"notice:{notice.id}", reason="test over")
        await asyncio.wait_for(delivery, 60)
    # Whoever got the notice got the parts stored when it was sent.
    parts = [rules.Step.from_json(p).text for p in notice.parts]
    got = [[m.html for m in w.bot.emulator.bot_messages(FIRST_RECIPIENT + i)]
           for i in range(RECIPIENTS)]
    reached = [messages for messages in got if messages]
    assert reached and all(messages == parts for messages in reached)
