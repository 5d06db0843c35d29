"""Benchmark: a notice broadcast to N recipients through the outbox and the courier, against
the configured send rate, and members' check-in latency while it runs compared with idle.

The emulator runs in its own process and enforces the same global rate as the bot's client
side cap (as Telegram's flood control would). The notice is confirmed through storage (as
the preview's "Send now" does) and the courier is woken as the handler wakes it. Figures
only: this is not a test and asserts nothing.

    .venv/bin/python -m bench.broadcast [--recipients 10000] [--rate 200] [--members 200]
    .venv/bin/python -m bench.broadcast --paid [--rate 1000]

With --paid the notice is a paid broadcast: the emulator keeps Telegram's free limit (30/s) for
other sends and counts paid ones in a budget of `--rate`, and the bot paces them at that rate;
the Stars the emulator charged are printed beside the preview's price.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from bench.common import burst_checkins, p95, scratch_database, seed_checkin_branch, start_emulator
from bot.application import build_application, polling, prepare_database
from bot.config import Settings
from reminders.delivery import schedule_next_wake
from rules.notices import paid_cost
from rules.vocabulary import MemberRole, MembershipState, MemberStatus, PartyOrgKind
from storage import notices as store
from storage import orgs
from storage.db import Database
from storage.models import Membership, OutboxMessage, OutboxState, Person

ADMIN = 4_000_000
SECRETARY = 4_000_001
FIRST_RECIPIENT = 7_000_000
FREE_RATE = 30.0  # Telegram's free broadcast limit, kept for everything but paid sends
FIRST_MEMBER = 8_000_000  # check-in members: a branch of their own, not among the recipients


async def seed(database: Database, recipients: int, members: int) -> tuple[int, list[int]]:
    """A committee; a big branch of recipients (bulk rows); two check-in branches with a
    meeting open for check-in in each. Returns the big branch and the two meetings."""
    async with database.session() as session:
        top = await orgs.create_party_org(session, name="基准党委", kind=PartyOrgKind.COMMITTEE,
                                          parent_id=None, actor_telegram_id=ADMIN)
        big = await orgs.create_party_org(session, name="基准大支部", kind=PartyOrgKind.BRANCH,
                                          parent_id=top.id, actor_telegram_id=ADMIN)
        big_id = big.id
        persons = [Person(telegram_id=FIRST_RECIPIENT + i, real_name=f"收件人{i:05d}",
                          language="zh") for i in range(recipients)]
        session.add_all(persons)
        await session.flush()
        session.add_all([
            Membership(person_id=p.id, party_organization_id=big_id,
                       state=MembershipState.ACTIVE, status=MemberStatus.FULL,
                       role=MemberRole.MEMBER, joined_party_on=date(2010, 1, 1))
            for p in persons
        ])
        meeting_ids = []
        for group in range(2):
            _branch_id, meeting = await seed_checkin_branch(
                session, name=f"签到支部{group}", parent_id=top.id, actor=ADMIN,
                secretary=SECRETARY + group,
                members=[FIRST_MEMBER + group * 100_000 + i for i in range(members)],
                ends_after=timedelta(hours=3),
            )
            meeting_ids.append(meeting.id)
    return big_id, meeting_ids


def child_cpu(pid: int) -> float:
    """CPU seconds (user and system) a process has used so far (Linux; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def sent_so_far(database: Database, subject: str) -> tuple[int, int, int]:
    async with database.session() as session:
        rows = dict((await session.execute(
            select(OutboxMessage.state, func.count()).where(OutboxMessage.subject == subject)
            .group_by(OutboxMessage.state))).all())
    queued = rows.get(OutboxState.PENDING, 0) + rows.get(OutboxState.SENDING, 0)
    return int(rows.get(OutboxState.SENT, 0)), int(rows.get(OutboxState.FAILED, 0)), int(queued)


async def main(recipients: int, rate: float, members: int, paid: bool) -> None:
    async with scratch_database() as url:
        free_rate = FREE_RATE if paid else rate
        emulator = await start_emulator(free_rate, paid_rate=rate if paid else None)
        try:
            group_a = [FIRST_MEMBER + i for i in range(members)]
            group_b = [FIRST_MEMBER + 100_000 + i for i in range(members)]
            started = time.perf_counter()
            await emulator.add_started_users([ADMIN, SECRETARY, SECRETARY + 1, *group_a, *group_b])
            await emulator.add_started_users([FIRST_RECIPIENT + i for i in range(recipients)])
            settings = Settings(
                token=emulator.token,  # type: ignore[arg-type]
                api_base_url=emulator.base_url, database_url=url,
                admins=frozenset({ADMIN}), send_rate_per_second=free_rate, plan_reminders=False,
                paid_broadcast=paid, paid_broadcast_rate_per_second=rate if paid else 1000,
                web_port=0, metrics_port=0,  # not measured; never clash with a running bot
            )
            await prepare_database(settings)
            database = Database(url)
            big_id, meeting_ids = await seed(database, recipients, members)
            setup = time.perf_counter() - started
            application = build_application(settings)
            async with polling(application):
                await asyncio.sleep(1.0)
                burst_cpu = time.process_time()
                idle = await burst_checkins(database, emulator, meeting_ids[0], group_a,
                                           "check-in, idle")
                burst_cpu = time.process_time() - burst_cpu
                async with database.session() as session:
                    notice = await store.save_draft(
                        session, notice_id=None, author_telegram_id=ADMIN, scope_org_id=None,
                        draft=store.Draft("<b>通知</b>：基准测试群发。", [],
                                          store.Audience(orgs=(big_id,)), True, paid))
                    confirmed_at = time.perf_counter()
                    cpu_before = time.process_time(), child_cpu(emulator.process.pid)
                    result = await store.confirm(
                        session, notice, actor_telegram_id=ADMIN, now=datetime.now(UTC),
                        scheduled_at=None, markup_for=lambda r: None)
                    subject = store.subject_of(notice.id)
                enqueued = time.perf_counter() - confirmed_at
                await schedule_next_wake(application)
                await asyncio.sleep(3.0)  # the broadcast is under way
                busy = await burst_checkins(database, emulator, meeting_ids[1], group_b,
                                           "check-in, during broadcast")
                sent, failed, queued = await sent_so_far(database, subject)
                while queued:
                    await asyncio.sleep(0.25)
                    sent, failed, queued = await sent_so_far(database, subject)
                finished = time.perf_counter()
                bot_cpu = time.process_time() - cpu_before[0]
                emulator_cpu = child_cpu(emulator.process.pid) - cpu_before[1]
                async with database.session() as session:
                    first, last = (await session.execute(
                        select(func.min(OutboxMessage.sent_at), func.max(OutboxMessage.sent_at))
                        .where(OutboxMessage.subject == subject))).one()
            courier = application.courier
            spent = (await emulator.stats())["stars_spent"]
            await database.dispose()
        finally:
            await emulator.stop()
    elapsed = finished - confirmed_at
    steady = (last - first).total_seconds() if first and last else elapsed
    achieved = sent / elapsed
    kind = f"paid broadcast (free limit {FREE_RATE:g} msg/s for the rest)" if paid else "broadcast"
    print(f"{kind}: {result.recipients} recipients, SQLite, emulator in its own process "
          f"enforcing {rate:g} msg/s; setup {setup:.0f} s")
    if paid:
        print(f"Stars charged by the emulator: {spent}; the preview's price: "
              f"{paid_cost(result.recipients, 1)}")
    print(f"enqueue (one row per recipient, one transaction): {enqueued * 1000:.0f} ms")
    print(f"sent {sent}, failed {failed} in {elapsed:.1f} s from confirmation: "
          f"{achieved:.1f} msg/s = {achieved / rate:.1%} of the configured {rate:g} msg/s "
          f"(goal >= 95%)")
    print(f"first to last send: {steady:.1f} s: {sent / max(steady, 1e-9):.1f} msg/s = "
          f"{sent / max(steady, 1e-9) / rate:.1%} of the limit")
    print(f"CPU per message sent: bot {(bot_cpu - burst_cpu) / max(sent, 1) * 1e6:.0f} µs "
          f"(less the {burst_cpu:.1f} s an idle check-in burst takes), emulator "
          f"{emulator_cpu / max(sent, 1) * 1e6:.0f} µs; load average {os.getloadavg()[0]:.2f}")
    print(f"courier: sent {courier.sent}, retried {courier.retried} (429s), failed "
          f"{courier.failed}")
    print(idle.line())
    print(busy.line())
    ratio = p95(busy.latencies) / p95(idle.latencies)
    print(f"check-in p95 during/idle: {ratio:.2f}  (goal <= 2); medians "
          f"{statistics.median(idle.latencies) * 1000:.0f} / "
          f"{statistics.median(busy.latencies) * 1000:.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--paid", action="store_true", help="a paid broadcast at --rate")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.recipients, arguments.rate, arguments.members, arguments.paid))
