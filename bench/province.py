"""Benchmark: a whole demo province (storage/demo/) on SQLite and, if given, PostgreSQL.

Seeds the province (default 1,000 party organizations, 30,000 members, 5 years of meetings,
attendance, training and duties) and prints how long that took and how big it is; then times
the compliance view and the ledger export of the biggest branch (storage/ledger.py, over the
whole history), the admin overview of the whole province (storage/overview/); and starts
`branchbot run` as a subprocess against the Bot API emulator on the demo database to print
its resident memory (VmRSS from /proc) once idle and after people used a few commands.
Figures only: this is not a test and asserts nothing.

    .venv/bin/python -m bench.province [--orgs 1000] [--members 30000] [--years 5]
    .venv/bin/python -m bench.province --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m bench.province --db sqlite+aiosqlite:////tmp/province.db --overview-only
    .venv/bin/python -m bench.province --db sqlite+aiosqlite:////tmp/province.db --dues-only

With --postgres a scratch database is created on that server (and dropped at the end) and
vacuumed and analyzed after seeding, as autovacuum would do. With --db URL (a SQLite file or a
PostgreSQL database, created if missing) the province is seeded only when that database is
empty, and the database is kept, so later runs skip the seeding; --overview-only times the
overview alone.
The bot runs with BRANCHBOT_PLAN_REMINDERS off unless --plan-reminders is given (the planner
would send thousands of reminders to people the emulator does not know).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from botapi_emulator import BotApiEmulator
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bench.checkin_burst import time_ledger
from bench.common import median_seconds, pg_admin, scratch_database
from bot.config import Settings
from rules.vocabulary import MemberRole, MembershipState, PartyOrgKind
from storage import demo
from storage.db import Database, is_sqlite
from storage.migrate import upgrade
from storage.models import Membership, PartyOrganization, Person

ADMIN = 4_200_001


async def _biggest_branch(database: Database) -> tuple[int, str, int, list[int]]:
    """The branch with most current members: id, name, members, its leaders' Telegram ids."""
    async with database.session() as session:
        members = func.count(Membership.id).label("members")
        row = (await session.execute(
            select(PartyOrganization.id, PartyOrganization.name, members)
            .join(Membership, Membership.party_organization_id == PartyOrganization.id)
            .where(Membership.state == MembershipState.ACTIVE,
                   PartyOrganization.kind == PartyOrgKind.BRANCH)
            .group_by(PartyOrganization.id, PartyOrganization.name)
            .order_by(members.desc()).limit(1)
        )).one()
        leaders = (await session.scalars(
            select(Person.telegram_id).join(Membership, Membership.person_id == Person.id)
            .where(Membership.party_organization_id == row.id,
                   Membership.state == MembershipState.ACTIVE,
                   Membership.role == MemberRole.SECRETARY)
        )).all()
        plain = (await session.scalars(
            select(Person.telegram_id).join(Membership, Membership.person_id == Person.id)
            .where(Membership.party_organization_id == row.id,
                   Membership.state == MembershipState.ACTIVE,
                   Membership.role == MemberRole.MEMBER).limit(1)
        )).all()
    return row.id, row.name, row.members, [*leaders, *plain]


async def _overview_line(database: Database, settings: Settings) -> str:
    try:
        from storage import overview
    except ImportError:
        return "overview: storage/overview.py not there yet"
    today = overview.local_today(settings.tzinfo)

    async def whole() -> tuple[Any, list[Any]]:
        async with database.session() as session:
            view = await overview.overview(
                session, overview.Scope(None), today=today, tz=settings.tzinfo,
                requirements=settings.requirements,
            )
            rows = await overview.branch_rows(session, overview.Scope(None), view)
        return view, rows

    seconds, (view, rows) = await median_seconds(whole)
    return (f"{'overview (whole province)':<28} {seconds * 1000:8.1f} ms   ({len(view.branches)}"
            f" branches judged, {len(rows)} table rows, {len(view.renewals)} renewals due, "
            f"{len(view.duties)} overdue duties; median of 3 after a warm-up)")


async def _dues_lines(database: Database, settings: Settings, org_id: int) -> list[str]:
    """The dues views (issue 16, goal under 1 s each): the biggest branch's members with
    what they owe, its dues ledger (.xlsx, queries and workbook), the province's arrears, and
    its totals per branch and month."""
    from handlers.dues.workbook import LEDGER_TEXTS, build_dues_workbook
    from handlers.kit.i18n import translator
    from rules.dues import Month
    from storage import dues, overview

    today = overview.local_today(settings.tzinfo)
    through = Month.of(today)
    offset = int((settings.tzinfo.utcoffset(datetime.now()) or timedelta()).total_seconds() // 60)
    async with database.session() as session:
        branches = list(await session.scalars(select(PartyOrganization.id).where(
            PartyOrganization.kind.in_((PartyOrgKind.BRANCH, PartyOrgKind.JOINT_BRANCH)))))

    async def branch() -> int:
        async with database.session() as session:
            return len(await dues.branch_dues(session, org_id, through))

    t = translator("zh")
    texts = {key: t(message) for key, message in LEDGER_TEXTS.items()}

    async def ledger() -> int:
        async with database.session() as session:
            members = await dues.branch_dues(session, org_id, through)
            paid = await dues.payments_in(session, org_id, today.year)
        workbook = build_dues_workbook("bench", today.year, through, members, paid, texts,
                                       datetime.now())
        return len(workbook) // 1024

    async def arrears() -> int:
        async with database.session() as session:
            return len(await dues.arrears(session, branches, through, offset_minutes=offset))

    async def totals() -> int:
        async with database.session() as session:
            return len(await dues.totals_by_month(session, branches, today.year))

    lines = []
    for label, action, unit in (("dues of the biggest branch", branch, "members"),
                                ("dues ledger .xlsx (same)", ledger, "KiB"),
                                ("dues arrears (whole province)", arrears, "members 3+ months"),
                                ("dues totals this year", totals, "branch-months")):
        seconds, count = await median_seconds(action)
        lines.append(f"{label:<28} {seconds * 1000:8.1f} ms   ({count:,} {unit}; median of 3 "
                     f"after a warm-up)")
    return lines


def _file_size(path: str) -> int:
    return Path(path).stat().st_size


def _rss_kib(pid: int) -> tuple[int, int]:
    """VmRSS and VmHWM (peak) of a process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


async def _bot_memory(url: str, people: list[int], plan_reminders: bool) -> list[str]:
    """Start `branchbot run` on the database against the emulator; its RSS idle and after use."""
    async with BotApiEmulator() as emulator:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRANCHBOT_")}
        env.update(
            BRANCHBOT_TOKEN=emulator.token, BRANCHBOT_API_BASE_URL=emulator.base_url,
            BRANCHBOT_DATABASE_URL=url, BRANCHBOT_ADMINS=str(ADMIN), BRANCHBOT_WEB_PORT="0",
            BRANCHBOT_METRICS_PORT="0",
            BRANCHBOT_PLAN_REMINDERS="true" if plan_reminders else "false",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        lines = []
        try:
            emulator.add_user(ADMIN, "Admin", language_code="en")
            for user in people:
                emulator.add_user(user, f"u{user}")

            async def say(user: int, words: str) -> float:
                last = emulator.last_bot_message(user)
                started = time.perf_counter()
                emulator.send_text(user, words)
                await emulator.wait_for_bot_message(
                    user, after_message_id=last.message_id if last else 0, timeout=120
                )
                return time.perf_counter() - started

            first = await say(ADMIN, "/start")
            await asyncio.sleep(5)
            idle, _ = _rss_kib(process.pid)
            answered = []
            secretary = people[0]
            script = [(ADMIN, "/orgs"), (ADMIN, "/overview"), (secretary, "/start"),
                      (secretary, "/members"), (secretary, "/meetings"),
                      (secretary, "/compliance"), (secretary, "/training"),
                      (secretary, "/me")]
            if len(people) > 1:
                script += [(people[-1], "/start"), (people[-1], "/record"),
                           (people[-1], "/training")]
            for user, words in script:
                try:
                    answered.append(await say(user, words))
                except TimeoutError:
                    lines.append(f"  (no answer to {words})")
            await asyncio.sleep(2)
            used, peak = _rss_kib(process.pid)
            lines.insert(0, (
                f"{'bot process memory':<28} idle {idle / 1024:6.1f} MiB   after "
                f"{len(answered)} commands {used / 1024:6.1f} MiB   peak {peak / 1024:6.1f} MiB"
                f"   (first /start answered in {first:.1f} s; commands: median "
                f"{statistics.median(answered) * 1000 if answered else 0:.0f} ms; reminders "
                f"planner {'on' if plan_reminders else 'off'})"
            ))
        finally:
            process.terminate()
            await process.wait()
    return lines


async def _seed(database: Database, url: str, arguments: argparse.Namespace) -> None:
    """Seed the province and print its size; with --db, only into an empty database."""
    backend = "SQLite" if is_sqlite(url) else "PostgreSQL"
    if arguments.db and await demo.has_data(database):
        print(f"== {backend}: kept database {make_url(url).render_as_string()} (not reseeded)")
        return
    started = time.perf_counter()
    counts = await demo.generate(
        database, orgs=arguments.orgs, members=arguments.members, years=arguments.years,
        seed=arguments.seed,
    )
    seeding = time.perf_counter() - started
    if not is_sqlite(url):  # as autovacuum would: statistics, and the visibility map
        async with database.engine.connect() as connection:  # that index-only scans need
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE"))
    async with database.session() as session:
        if is_sqlite(url):
            size = _file_size(make_url(url).database or "")
        else:
            size = int(await session.scalar(text(
                "SELECT pg_database_size(current_database())")) or 0)
    total = sum(counts.rows.values())
    print(f"== {backend}: {arguments.orgs:,} party organizations, {arguments.members:,} "
          f"members, {arguments.years} years; seeded {total:,} rows in {seeding:.1f} s "
          f"({total / seeding:,.0f} rows/s), {size / 2**20:,.0f} MiB")
    print(f"   {counts.format()}")


async def run(url: str, arguments: argparse.Namespace) -> None:
    await upgrade(url)
    database = Database(url)
    settings = Settings(database_url=url)
    try:
        await _seed(database, url, arguments)
        if arguments.dues_only:
            org_id, name, members, people = await _biggest_branch(database)
            for line in await _dues_lines(database, settings, org_id):
                print(line)
            return
        if not arguments.overview_only:
            org_id, name, members, people = await _biggest_branch(database)
            print(f"biggest branch: {name} ({members} members)")
            for line in await time_ledger(database, org_id, settings, arguments.years):
                print(line)
            for line in await _dues_lines(database, settings, org_id):
                print(line)
        print(await _overview_line(database, settings))
    finally:
        await database.dispose()
    if not (arguments.no_bot or arguments.overview_only or arguments.dues_only):
        for line in await _bot_memory(url, people, arguments.plan_reminders):
            print(line)


async def _kept_database(url: str) -> str:
    """--db: the URL itself; a PostgreSQL database is created first if it is missing."""
    if not is_sqlite(url):
        import asyncpg

        name = make_url(url).database
        try:
            await pg_admin(make_url(url).set(database="postgres").render_as_string(
                hide_password=False), f"CREATE DATABASE {name}")
        except asyncpg.DuplicateDatabaseError:
            pass
    return url


async def main(arguments: argparse.Namespace) -> None:
    if arguments.db:
        await run(await _kept_database(arguments.db), arguments)
        return
    if not arguments.skip_sqlite:
        async with scratch_database(name="province") as url:
            await run(url, arguments)
    if arguments.postgres:
        async with scratch_database(arguments.postgres, prefix="branchbot_province") as url:
            await run(url, arguments)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=1000)
    parser.add_argument("--members", type=int, default=30_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", default=None, help="postgresql+asyncpg://USER@HOST/DB")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--no-bot", action="store_true", help="skip the bot memory figures")
    parser.add_argument("--plan-reminders", action="store_true")
    parser.add_argument("--db", default=None,
                        help="bench this database and keep it: seeded only when empty "
                             "(sqlite+aiosqlite:////path.db or postgresql+asyncpg://.../name)")
    parser.add_argument("--overview-only", action="store_true",
                        help="time the overview only (no ledger, no bot)")
    parser.add_argument("--dues-only", action="store_true",
                        help="time the dues views only (no ledger, no overview, no bot)")
    asyncio.run(main(parser.parse_args()))
