"""A room typing the code at once under a low send cap: the check-ins are stored in batches
while the replies wait for send tokens, and the replies all arrive afterwards."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import date, timedelta

import aiohttp
import pytest
from sqlalchemy import select

from rules.meetings import room_code
from rules.vocabulary import AttendanceStatus, MeetingKind, MemberRole, MemberStatus, PartyOrgKind
from storage import meetings as store
from storage import orgs, people
from storage.models import Attendance, utcnow
from tests.harness import Bot, running_bot

SECRETARY = 743_000
MEMBERS = [743_001 + i for i in range(16)]
SLOTS = 2  # updates worked on at once


@pytest.fixture
async def capped_bot(database_url: str) -> AsyncIterator[Bot]:
    """Two update slots and at most 2 sends a second: 16 replies take 8 seconds to go out."""
    async for running in running_bot(
        database_url, send_rate_per_second=3, max_concurrent_updates=SLOTS
    ):
        yield running


async def seed(bot: Bot, members: list[int] = MEMBERS) -> tuple[int, str]:
    """A branch of members (16 unless told) with an assembly open for check-in now; its id
    and room code."""
    assert bot.app is not None
    now = utcnow()
    async with bot.app.database.session() as session:
        branch = await orgs.create_party_org(
            session, name="Burst Branch", kind=PartyOrgKind.BRANCH, parent_id=None,
            actor_telegram_id=1,
        )
        await people.appoint_by_telegram_id(
            session, branch, SECRETARY, MemberRole.SECRETARY, status=MemberStatus.FULL,
            actor_telegram_id=1, language="en",
        )
        for i, telegram_id in enumerate(members):
            form = people.RegistrationForm(
                telegram_id=telegram_id, language="en", real_name=f"Member {i}",
                org_id=branch.id, status=MemberStatus.FULL, joined_party_on=date(2016, 7, 1),
                phone=None, invite_id=None,
            )
            line = await people.submit_registration(session, form)
            await people.decide_registration(session, line.id, approve=True, decided_by=1)
        meeting = await store.schedule(
            session,
            store.MeetingPlan(
                org_id=branch.id, kind=MeetingKind.ASSEMBLY, starts_at=now + timedelta(minutes=5),
                ends_at=now + timedelta(hours=2), topic="Burst", place="Hall",
            ),
            created_by=SECRETARY, now=now - timedelta(hours=1),
        )
        await store.open_checkin(session, meeting, by=SECRETARY, now=now)
        meeting_id, secret = meeting.id, bytes.fromhex(meeting.code_secret)
    for telegram_id in members:
        bot.person(telegram_id, f"Member {telegram_id}", language_code="en")
        bot.emulator.user(telegram_id).started = True
    return meeting_id, room_code(secret, utcnow())


async def present(bot: Bot, meeting_id: int) -> int:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        rows = await session.scalars(
            select(Attendance.status).where(Attendance.meeting_id == meeting_id)
        )
        return sum(status is AttendanceStatus.PRESENT for status in rows.all())


def answered(bot: Bot) -> int:
    return sum(any(m.from_bot for m in bot.emulator.messages(u)) for u in MEMBERS)


async def scraped(bot: Bot) -> dict[str, float]:
    """The bot's /metrics as an operator's scraper reads them."""
    assert bot.app is not None and bot.app.web is not None
    async with aiohttp.ClientSession() as http, http.get(
        bot.app.web.ops_url + "/metrics"
    ) as response:
        body = await response.text()
    return {
        name: float(value) for name, value in (
            line.split(" ", 1) for line in body.splitlines() if line and line[0] != "#"
        )
    }


async def test_check_ins_are_stored_in_batches_while_replies_wait_to_be_sent(
    capped_bot: Bot,
) -> None:
    bot = capped_bot
    meeting_id, code = await seed(bot)
    for member in MEMBERS:
        bot.emulator.send_text(member, code)

    # Every check-in is stored while most replies still wait for a token: the waiting
    # replies hold no slot, so the other members' codes are processed meanwhile.
    deadline = time.monotonic() + 30  # a safety net, not a measurement
    while await present(bot, meeting_id) < len(MEMBERS):
        assert time.monotonic() < deadline, "the check-ins were not stored"
        await asyncio.sleep(0.02)
    assert answered(bot) < len(MEMBERS) // 2

    # The codes went to the database together, not one transaction each.
    figures = await scraped(bot)
    assert figures["branchbot_checkin_batched_total"] == len(MEMBERS)
    assert figures["branchbot_checkin_batches_total"] <= len(MEMBERS) // (SLOTS + 1)

    # And every member is told, once the cap lets the replies out.
    await bot.settle(limit=60)
    for member in MEMBERS:
        texts = [m.text for m in bot.emulator.bot_messages(member)]
        assert len(texts) == 1 and texts[0].startswith("✅ Checked in at"), texts
    bot.assert_all_accepted()


ROOM = [744_001 + i for i in range(90)]


async def test_a_burst_of_replies_under_the_default_cap_gets_no_429(database_url: str) -> None:
    """90 replies at once under the shipped 30/s cap, the emulator counting Telegram's 30 in
    any second strictly: the replies go out spaced, so none is refused (released together,
    a second's worth reaches Telegram spread out and overlaps the next second's)."""
    async for bot in running_bot(database_url):
        _, code = await seed(bot, ROOM)
        for member in ROOM:
            bot.emulator.send_text(member, code)
        await bot.settle(limit=60)
        for member in ROOM:
            texts = [m.text for m in bot.emulator.bot_messages(member)]
            assert len(texts) == 1 and texts[0].startswith("✅ Checked in at"), texts
        assert bot.emulator.flood_refusals == 0
        bot.assert_all_accepted()
