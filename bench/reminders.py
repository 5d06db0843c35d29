"""Benchmark: reminders at scale. Figures only: this is not a test and asserts nothing.

1. Planning: `plan_all` over N members in B branches (an upcoming meeting in every branch,
   starts spread over the next 48 h, and a closed one with some absentees 40 days ago, so the
   meeting and drift planners have work). The planner plans by time slice: the figures are
   the first pass ever, an hour of steady 5-minute passes from 07:00 local (the one reaching
   08:00 also runs the daily checks), the first pass after a 1-day outage and the pass after
   it. Goal < 2 s for a steady pass.
2. Delivery rate: M reminders due now, sent through the emulator (in its own process, with
   Telegram's global limit) by the bot's courier, against the configured limit. Goal >= 95 %.
3. Responsiveness: a member's /me answered while those reminders go out vs idle (p95).
   Goal: at most 2x.

    .venv/bin/python -m bench.reminders [--members 100000] [--branches 1000] [--deliver 1000]
        [--rate 30] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from bench.common import RemoteEmulator, p95, scratch_database, start_emulator
from bot.application import build_application, polling, prepare_database
from bot.config import Settings
from reminders import rules
from reminders.delivery import wake_at
from reminders.planner import PLAN_AHEAD, PLAN_EVERY, PlanSettings, plan_all
from rules.vocabulary import (
    AttendanceStatus,
    MeetingKind,
    MeetingState,
    MemberRole,
    MembershipState,
    MemberStatus,
    PartyOrgKind,
)
from storage import outbox
from storage.db import Database
from storage.models import (
    Attendance,
    Meeting,
    Membership,
    OutboxMessage,
    PartyOrganization,
    Person,
)

FIRST_SECRETARY = 20_000_000
FIRST_MEMBER = 21_000_000
SPREAD = timedelta(hours=48)  # upcoming meetings start evenly over this span
STEADY_PASSES = 12  # an hour of 5-minute passes


@dataclass
class Seeded:
    branches: list[int]  # organization ids
    secretaries: list[int]  # telegram ids, one per branch
    members: list[int]  # telegram ids
    branch_of: dict[int, int]  # member telegram id → index of their branch


async def _ids(session: Any, statement: Any) -> list[int]:
    return [int(i) for i in (await session.scalars(statement)).all()]


async def seed(
    database: Database, *, branches: int, members: int, language: str = "zh",
    meetings: bool = True, now: datetime | None = None,
) -> Seeded:
    """Branches under one committee, each with a secretary and its share of members, by
    bulk inserts; with `meetings`, see _seed_meetings."""
    now = now or datetime.now(UTC)
    joined = now - timedelta(days=400)
    async with database.session() as session:
        committee = (
            await session.execute(
                insert(PartyOrganization)
                .values(name="基准委员会", kind=PartyOrgKind.COMMITTEE, created_at=now)
                .returning(PartyOrganization.id)
            )
        ).scalar_one()
        await session.execute(insert(PartyOrganization), [
            {"name": f"Branch {b:05d}", "kind": PartyOrgKind.BRANCH, "parent_id": committee,
             "created_at": now}
            for b in range(branches)
        ])
        org_ids = await _ids(session, select(PartyOrganization.id).where(
            PartyOrganization.parent_id == committee).order_by(PartyOrganization.id))
        secretaries = [FIRST_SECRETARY + b for b in range(branches)]
        member_ids = [FIRST_MEMBER + i for i in range(members)]
        await session.execute(insert(Person), [
            {"telegram_id": tg, "real_name": f"Secretary {b:05d}", "language": language,
             "created_at": now}
            for b, tg in enumerate(secretaries)
        ] + [
            {"telegram_id": tg, "real_name": f"Member {i:06d}", "language": language,
             "created_at": now}
            for i, tg in enumerate(member_ids)
        ])
        person_of: dict[int, int] = {
            tg: pid for tg, pid in (await session.execute(
                select(Person.telegram_id, Person.id).where(Person.telegram_id >= FIRST_SECRETARY)
            )).all()
        }
        branch_of = {tg: i % branches for i, tg in enumerate(member_ids)}
        common = {"state": MembershipState.ACTIVE, "status": MemberStatus.FULL,
                  "requested_at": joined, "decided_at": joined}
        await session.execute(insert(Membership), [
            {"person_id": person_of[tg], "party_organization_id": org_ids[b],
             "role": MemberRole.SECRETARY, **common}
            for b, tg in enumerate(secretaries)
        ] + [
            {"person_id": person_of[tg], "party_organization_id": org_ids[branch_of[tg]],
             "role": MemberRole.MEMBER, **common}
            for tg in member_ids
        ])
        if meetings:
            await _seed_meetings(session, org_ids, now)
    return Seeded(org_ids, secretaries, member_ids, branch_of)


async def _seed_meetings(session: Any, org_ids: list[int], now: datetime) -> None:
    """A closed meeting 40 days ago in every branch (5 % absent), and an upcoming assembly
    in every branch, their starts spread evenly over the next SPREAD, everyone expected."""
    past = now - timedelta(days=40)
    step = SPREAD / max(1, len(org_ids))
    base = {"kind": MeetingKind.ASSEMBLY, "topic": "基准", "place": "会议室",
            "code_secret": "00" * 32, "created_by": FIRST_SECRETARY, "created_at": now,
            "checkin_minutes_before": 30, "checkin_minutes_after": 30}
    await session.execute(insert(Meeting), [
        {**base, "party_organization_id": org, "state": MeetingState.CLOSED, "starts_at": past,
         "ends_at": past + timedelta(hours=2), "closed_at": past + timedelta(hours=3)}
        for org in org_ids
    ])
    await session.execute(insert(Meeting), [
        {**base, "party_organization_id": org, "state": MeetingState.SCHEDULED,
         "starts_at": now + timedelta(minutes=10) + n * step,
         "ends_at": now + timedelta(minutes=10) + n * step + timedelta(hours=2)}
        for n, org in enumerate(org_ids)
    ])
    meeting_rows = (await session.execute(
        select(Meeting.id, Meeting.party_organization_id, Meeting.state)
    )).all()
    by_org: dict[tuple[int, MeetingState], int] = {(o, s): m for m, o, s in meeting_rows}
    memberships = (await session.execute(
        select(Membership.id, Membership.party_organization_id).order_by(Membership.id)
    )).all()
    rows = []
    for n, (membership_id, org) in enumerate(memberships):
        held = AttendanceStatus.ABSENT if n % 20 == 7 else AttendanceStatus.PRESENT
        rows.append({"meeting_id": by_org[(org, MeetingState.CLOSED)],
                     "membership_id": membership_id, "status": held, "updated_at": now})
        rows.append({"meeting_id": by_org[(org, MeetingState.SCHEDULED)],
                     "membership_id": membership_id, "status": AttendanceStatus.EXPECTED,
                     "updated_at": now})
    await session.execute(insert(Attendance), rows)


async def _pass(database: Database, at: datetime, settings: PlanSettings) -> tuple[float, int]:
    """One planner pass (the 5-minute job) at `at`: seconds and new rows."""
    started = time.perf_counter()
    async with database.session() as session:
        added = await plan_all(session, at, settings)
    return time.perf_counter() - started, added


async def time_planning(url: str, members: int, branches: int) -> list[str]:
    settings = PlanSettings(tz=Settings().tzinfo)
    # 07:00 local on the next day: the passes of the next hour reach 08:00, when the
    # date-based checks (drift, renewals, duties, compliance, training) run.
    local = datetime.now(UTC).astimezone(settings.tz) + timedelta(days=1)
    start = local.replace(hour=7, minute=0, second=0, microsecond=0).astimezone(UTC)
    database = Database(url)
    started = time.perf_counter()
    await seed(database, branches=branches, members=members, now=start)
    seeded = time.perf_counter() - started
    lines = [f"seeded {members} members in {branches} branches in {seeded:.1f} s; one upcoming"
             f" meeting per branch, starts spread over {SPREAD.total_seconds() / 3600:g} h"]

    def line(label: str, seconds: float, added: int, goal: str = "") -> str:
        return f"plan_all, {label:<52} {seconds:6.2f} s  {added:7d} new rows{goal}"

    seconds, added = await _pass(database, start, settings)
    lines.append(line("first pass ever (07:00; date checks look back 1 day)", seconds, added))
    steady: list[tuple[float, int, datetime]] = []
    for k in range(1, STEADY_PASSES + 1):
        at = start + k * PLAN_EVERY
        seconds, added = await _pass(database, at, settings)
        steady.append((seconds, added, at))
    typical = sorted(steady)[len(steady) // 2]
    morning = [p for p in steady if rules.day_checks(
        p[2] - PLAN_EVERY + PLAN_AHEAD, p[2] + PLAN_AHEAD, settings.tz)]
    lines.append(line(f"steady 5-min pass, median of {len(steady)} (07:05-08:00)",
                      typical[0], typical[1], "   (goal < 2 s)"))
    slowest = max(steady)
    lines.append(line("steady 5-min pass, slowest of them", slowest[0], slowest[1],
                      "   (goal < 2 s)"))
    for seconds, added, at in morning:
        lines.append(line(f"the pass reaching 08:00 ({at.astimezone(settings.tz):%H:%M}: +daily"
                          " checks)", seconds, added, "   (goal < 2 s)"))
    back = steady[-1][2] + timedelta(days=1)
    seconds, added = await _pass(database, back, settings)
    lines.append(line("first pass after a 1-day outage (catches up)", seconds, added))
    seconds, added = await _pass(database, back + PLAN_EVERY, settings)
    lines.append(line("the next 5-min pass after it", seconds, added, "   (goal < 2 s)"))
    async with database.session() as session:
        by_kind = (await session.execute(
            select(OutboxMessage.kind, func.count()).group_by(OutboxMessage.kind)
        )).all()
    lines.append("outbox rows by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(by_kind)))
    await database.dispose()
    return lines


async def command_latencies(emulator: RemoteEmulator, users: list[int], rounds: int
                            ) -> list[float]:
    """Each user types /me, one after the other; seconds until the bot's answer."""
    latencies: list[float] = []
    for _ in range(rounds):
        for user in users:
            result = await emulator.burst({user: "/me"}, "me")
            latencies.extend(result.latencies)
    return latencies


async def time_delivery(url: str, deliver: int, rate: float) -> list[str]:
    emulator = await start_emulator(rate)
    try:
        database = Database(url)
        seeded = await seed(database, branches=max(1, deliver // 100), members=deliver,
                            meetings=False)
        askers = seeded.members[:5]
        await emulator.add_started_users(seeded.members + seeded.secretaries)
        settings = Settings(
            token=emulator.token,  # type: ignore[arg-type]
            api_base_url=emulator.base_url, database_url=url, plan_reminders=False,
            send_rate_per_second=rate, web_port=0, metrics_port=0,
        )
        application = build_application(settings)
        async with polling(application):
            await asyncio.sleep(1.0)
            idle = await command_latencies(emulator, askers, rounds=6)
            now = datetime.now(UTC)
            async with database.session() as session:
                await outbox.enqueue(session, [
                    outbox.Planned(key=f"bench:{u}", kind="bench", chat_id=u, due_at=now,
                                   text=f"⏰ 提醒 {u}")
                    for u in seeded.members
                ])
            started = time.perf_counter()
            wake_at(application, now)  # the courier's own lane: a JobQueue job
            await asyncio.sleep(1.0)
            busy = await command_latencies(emulator, askers, rounds=6)
            while True:
                async with database.session() as session:
                    left = await outbox.pending_count(session)
                if not left:
                    break
                await asyncio.sleep(0.1)
            seconds = time.perf_counter() - started
        await database.dispose()
    finally:
        await emulator.stop()
    achieved = deliver / seconds
    total = (deliver + len(busy)) / seconds  # the replies to /me share the budget
    return [
        f"delivery: {deliver} reminders in {seconds:.1f} s = {achieved:.1f}/s against a limit of"
        f" {rate:g}/s: {achieved / rate:.0%} (goal >= 95 %); with the {len(busy)} replies sent"
        f" meanwhile {total / rate:.0%}",
        f"/me p95 idle {p95(idle) * 1000:.0f} ms (p50 {statistics.median(idle) * 1000:.0f} ms),"
        f" while delivering {p95(busy) * 1000:.0f} ms (p50 {statistics.median(busy) * 1000:.0f}"
        f" ms): {p95(busy) / p95(idle):.2f}x (goal <= 2x; {len(busy)} commands)",
    ]


async def main(arguments: argparse.Namespace) -> None:
    async with scratch_database(name="plan") as plan_sqlite, \
            scratch_database(name="deliver") as deliver_url:
        plan_url = arguments.database_url or plan_sqlite  # as given: not a scratch database
        await prepare_database(Settings(database_url=plan_url))
        planning = await time_planning(plan_url, arguments.members, arguments.branches)
        delivery: list[str] = []
        if arguments.deliver:
            await prepare_database(Settings(database_url=deliver_url))
            delivery = await time_delivery(deliver_url, arguments.deliver, arguments.rate)
    backend = (arguments.database_url or "sqlite").split(":", 1)[0]
    print(f"reminders: {arguments.members} members, {arguments.branches} branches ({backend});"
          " delivery on SQLite, emulator in its own process")
    for line in planning + delivery:
        print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--branches", type=int, default=1_000)
    parser.add_argument("--deliver", type=int, default=1_000, help="0: planning only")
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--database-url", default=None, help="plan on this (empty) database")
    asyncio.run(main(parser.parse_args()))
