"""Benchmark: a branch of N members all checking in at the same minute, through the emulator.

Prints check-ins per second, p50/p95 reply latency, when the last check-in was stored and how
many typed codes each transaction held, for branchbot typing the room code on SQLite; then
times the compliance view and the ledger export for a branch with Y years of meetings.
Figures only: this is not a test and asserts nothing.

With the shipped send cap (`BRANCHBOT_SEND_RATE_PER_SECOND`, 30 unless the environment says
otherwise) the emulator enforces Telegram's limit strictly (30 in any second), so 500 replies
take about 17 s whatever the bot does. `--send-rate 0` turns the cap off and the emulator's
limit with it, measuring our own work; that run also measures a bare python-telegram-bot echo
bot on the same emulator for comparison.

    .venv/bin/python -m bench.checkin_burst [--members 500] [--years 5] [--send-rate 0]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update
from telegram import Update
from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, MessageHandler, filters

from bench.common import (
    Burst,
    RemoteEmulator,
    burst_checkins,
    scratch_database,
    seed_checkin_branch,
    start_emulator,
)
from bot.application import BranchApplication, build_application, polling, prepare_database
from bot.config import Settings
from bot.ratelimit import PacedRateLimiter
from rules.vocabulary import MeetingKind, MeetingState
from storage import meetings
from storage.db import Database
from storage.models import Meeting

SECRETARY = 5_000_000
FIRST_MEMBER = 6_000_000


async def echo_baseline(emulator: RemoteEmulator, users: list[int]) -> Burst:
    """A bare PTB bot that echoes text: the ceiling for this emulator and machine."""

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    application = (
        ApplicationBuilder()
        .token(emulator.token)
        .base_url(emulator.base_url)
        .base_file_url(emulator.base_file_url)
        .rate_limiter(AIORateLimiter(overall_max_rate=0, group_max_rate=0))
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=10)
        await application.start()
        try:
            # Let it answer the members' first "hi" before measuring.
            await asyncio.sleep(2.0)
            return await emulator.burst({u: "123456" for u in users}, "echo bot (PTB)")
        finally:
            await application.updater.stop()
            await application.stop()


async def seed_branch(database: Database, members: int) -> tuple[int, int]:
    """A branch with a secretary and `members` active members, and an assembly starting now."""
    async with database.session() as session:
        branch_id, meeting = await seed_checkin_branch(
            session, name="基准测试支部", parent_id=None, actor=None, secretary=SECRETARY,
            members=[FIRST_MEMBER + i for i in range(members)], ends_after=timedelta(hours=2),
        )
        return branch_id, meeting.id


async def seed_history(database: Database, org_id: int, years: int) -> int:
    """Closed meetings of every kind at the required frequencies for `years` past years."""
    count = 0
    today = datetime.now(UTC)
    start = today - timedelta(days=365 * years)
    async with database.session() as session:
        day = start
        while day < today - timedelta(days=2):
            kinds = [MeetingKind.COMMITTEE, MeetingKind.THEME_DAY]
            if day.month % 3 == 1:
                kinds += [MeetingKind.ASSEMBLY, MeetingKind.LESSON]
            if day.month == 12:
                kinds += [MeetingKind.ORG_LIFE, MeetingKind.APPRAISAL]
            for offset, kind in enumerate(kinds):
                starts = day + timedelta(hours=2 * offset)
                plan = meetings.MeetingPlan(
                    org_id=org_id, kind=kind, starts_at=starts,
                    ends_at=starts + timedelta(hours=1), topic=f"{kind.value} {starts:%Y-%m}",
                )
                meeting = await meetings.schedule(
                    session, plan, created_by=SECRETARY, now=starts - timedelta(days=1)
                )
                await meetings.close(
                    session, meeting, minutes="纪要", by=SECRETARY, now=starts + timedelta(hours=1)
                )
                count += 1
            day += timedelta(days=30)
    return count


async def time_ledger(database: Database, org_id: int, settings: Settings, years: int) -> list[str]:
    """The compliance view (this year) and the ledger export of the whole history.

    Each is run once to warm up (imports, statement caches, as in a bot that has been up for a
    while), then timed three times; the median is printed.
    """
    from handlers.kit.i18n import translator
    from handlers.labels import meeting_kind_labels
    from handlers.ledger.workbook import WORKBOOK_TEXTS, build_workbook
    from rules.meetings import Period
    from storage import ledger

    tz = settings.tzinfo
    now = datetime.now(UTC)  # a benchmark of the real thing: the wall clock
    today = now.astimezone(tz).date()
    t = translator("zh")
    texts = {key: t(message) for key, message in WORKBOOK_TEXTS.items()}
    labels = meeting_kind_labels(t)
    history = ledger.ReportPeriod("bench", Period.YEAR, date(today.year - years, 1, 1), today)

    async def compliance() -> tuple[float, int]:
        started = time.perf_counter()
        async with database.session() as session:
            report = await ledger.compliance_report(
                session, org_id, ledger.report_period("y", today), tz=tz,
                requirements=settings.requirements, today=today,
            )
        return time.perf_counter() - started, len(report.members)

    async def export() -> tuple[float, float, int, int]:
        started = time.perf_counter()
        async with database.session() as session:
            data = await ledger.ledger_data(
                session, org_id, "基准测试支部", history, tz=tz,
                requirements=settings.requirements, today=today, now=now,
            )
        queried = time.perf_counter()
        workbook = build_workbook(data, texts, labels)
        return time.perf_counter() - started, queried - started, len(data.meetings), len(workbook)

    await compliance()
    await export()
    views = sorted([await compliance() for _ in range(3)])
    exports = sorted([await export() for _ in range(3)])
    (seconds, members), (total, queries, meetings_count, size) = views[1], exports[1]
    return [
        f"{'compliance view (this year)':<28} {seconds * 1000:8.1f} ms   ({members} members;"
        " median of 3 after a warm-up)",
        f"{f'ledger export ({years} years)':<28} {total * 1000:8.1f} ms   (queries"
        f" {queries * 1000:.1f} ms, workbook {(total - queries) * 1000:.1f} ms, {meetings_count}"
        f" meetings, {size // 1024} KiB; median of 3 after a warm-up)",
    ]


TELEGRAM_LIMIT = 30.0  # Telegram: about 30 messages a second per bot


async def stored_after(application: BranchApplication, members: int) -> float:
    """Seconds from now until the check-in queue has written `members` codes."""
    queue = application.checkin_queue
    started, before = time.perf_counter(), queue.written
    while queue.written - before < members:  # noqa: ASYNC110 - the queue has no event
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


async def main(
    members: int, years: int, send_rate: float | None, telegram_limit: float | None
) -> None:
    # The flag, else BRANCHBOT_SEND_RATE_PER_SECOND from the environment, else the default.
    capped = Settings().send_rate_per_second if send_rate is None else send_rate
    async with scratch_database() as url:
        # Telegram's limit, strictly, whenever the bot paces itself; none when the cap is off.
        limit = (TELEGRAM_LIMIT if capped else 0) if telegram_limit is None else telegram_limit
        emulator = await start_emulator(limit or None)
        try:
            users = [FIRST_MEMBER + i for i in range(members)]
            if capped or limit:  # no echo bot to answer a first "hi": they opened the bot long ago
                await emulator.add_started_users([SECRETARY, *users])
                echo = None
            else:
                for user in [SECRETARY, *users]:
                    await emulator.add_user(user)
                echo = await echo_baseline(emulator, users)

            settings = Settings(
                token=emulator.token,  # type: ignore[arg-type]
                api_base_url=emulator.base_url,
                database_url=url,
                send_rate_per_second=capped,
                web_port=0, metrics_port=0,  # not measured; never clash with a running bot
            )
            await prepare_database(settings)
            database = Database(url)
            org_id, meeting_id = await seed_branch(database, members)
            application = build_application(settings)
            async with polling(application):
                await asyncio.sleep(1.0)
                queue = application.checkin_queue
                batches, written = queue.batches, queue.written
                stored = asyncio.create_task(stored_after(application, members))
                ours = await burst_checkins(database, emulator, meeting_id, users,
                                            "branchbot check-in (code)")
                stored_seconds = await stored
                batches, written = queue.batches - batches, queue.written - written
                limiter = application.bot.rate_limiter
                holds = limiter.holds if isinstance(limiter, PacedRateLimiter) else 0
            async with database.session() as session:
                await session.execute(
                    update(Meeting).where(Meeting.id == meeting_id).values(
                        state=MeetingState.CANCELLED
                    )
                )
            seeded = await seed_history(database, org_id, years) if years else 0
            ledger_lines = await time_ledger(database, org_id, settings, years) if years else []
            await database.dispose()
        finally:
            await emulator.stop()
    flood = f"Telegram's {limit:g}/s enforced strictly" if limit else "no flood limit"
    cap = f"send cap {capped:g}/s" if capped else "send cap off"
    print(f"check-in burst: {members} members, SQLite, emulator in its own process ({flood}),"
          f" {cap}, {settings.max_concurrent_updates} update slots")
    if echo is not None:
        print(echo.line())
    print(ours.line())
    print(f"all {members} check-ins stored after {stored_seconds:.2f} s; {batches} transactions,"
          f" {written / max(batches, 1):.1f} codes per transaction (largest batch"
          f" {queue.largest})")
    if echo is not None:
        ratio = (ours.count / ours.seconds) / (echo.count / echo.seconds)
        print(f"throughput ratio branchbot/echo: {ratio:.2f}  (goal >= 0.5; p95 goal < 1 s)")
    else:
        print(f"replies at {ours.count / ours.seconds / TELEGRAM_LIMIT:.0%} of 30/s"
              f" (the cap lets at most {max(1, int(capped) - 1)} a second go out); 429s: {holds}")
    if years:
        print(f"history: {seeded} closed meetings over {years} years")
    for line in ledger_lines:
        print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--years", type=int, default=5, help="0: no ledger timings")
    parser.add_argument(
        "--send-rate", type=float, default=None,
        help="BRANCHBOT_SEND_RATE_PER_SECOND for this run (default: the environment's, else 30;"
        " 0: the cap off)",
    )
    parser.add_argument(
        "--telegram-limit", type=float, default=None,
        help="the emulator's strict flood limit (default: 30 with the cap on, none with it off;"
        " 0: none)",
    )
    arguments = parser.parse_args()
    asyncio.run(
        main(arguments.members, arguments.years, arguments.send_rate, arguments.telegram_limit)
    )
