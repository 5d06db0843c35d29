"""Benchmark: 500 members pressing "Check in" under one meeting post in their branch's group.

Prints how many presses were recorded (all of them, or the run is wrong), p50/p95 of each
press's answer (the toast, answerCallbackQuery, which Telegram does not count as a sent
message) measured from the press, and how often the group post was edited while its counts
caught up: the number of edits and the shortest interval between two (the bot edits a post
at most every 3 s; Telegram allows about 20 messages a minute in a group). SQLite, the shipped
send cap (`BRANCHBOT_SEND_RATE_PER_SECOND`, 30 unless the environment says otherwise) with
Telegram's 30/s enforced by the emulator, the group-post job running as in production. The
emulator runs in this process (it has no control API for groups), so it shares the core with
the bot: the figures are on the pessimistic side. Figures only: not a test, asserts nothing.

    .venv/bin/python -m bench.group_checkin [--members 500] [--spread SECONDS]

`--spread 10` presses over ten seconds instead, so the counts change long enough for several
edits (at once, the post catches up with a single edit).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time
from datetime import UTC, datetime, timedelta

from botapi_emulator import BotApiEmulator
from sqlalchemy import func, select

from bench.common import p95, scratch_database, seed_checkin_branch
from bot.application import build_application, polling, prepare_database
from bot.config import Settings
from reminders.group_posts import start_group_posts
from rules.vocabulary import AttendanceStatus
from storage import branch_chats
from storage.db import Database
from storage.models import Attendance

SECRETARY = 5_000_000
FIRST_MEMBER = 6_000_000
TELEGRAM_LIMIT = 30.0  # Telegram: about 30 messages a second per bot


async def seed(database: Database, members: list[int], chat_id: int) -> int:
    """The branch, its meeting open for check-in, and its group linked; the meeting's id."""
    async with database.session() as session:
        branch_id, meeting = await seed_checkin_branch(
            session, name="基准测试支部", parent_id=None, actor=None, secretary=SECRETARY,
            members=members, ends_after=timedelta(hours=2),
        )
        now = datetime.now(UTC)
        code = await branch_chats.new_code(session, branch_id, by=SECRETARY, now=now)
        await branch_chats.link(session, code, chat_id=chat_id, title="基准测试支部",
                                language="zh", by=SECRETARY, now=now)
        return meeting.id


def group_calls(emulator: BotApiEmulator, chat_id: int, start: int) -> list[str]:
    """The methods of the bot's requests into the group since request number `start`."""
    return [call.method for call in itertools.islice(emulator.api_calls, start, None)
            if str(call.params.get("chat_id")) == str(chat_id)]


async def main(members: int, send_rate: float | None, spread: float) -> None:
    capped = Settings().send_rate_per_second if send_rate is None else send_rate
    users = [FIRST_MEMBER + i for i in range(members)]
    async with scratch_database() as url, BotApiEmulator(
        global_rate_per_second=TELEGRAM_LIMIT if capped else None
    ) as emulator:
        for user in [SECRETARY, *users]:
            emulator.add_user(user, f"u{user}")
            emulator.user(user).started = True
        group = emulator.add_group("基准测试支部", [SECRETARY, *users], supergroup=True)
        settings = Settings(
            token=emulator.token,  # type: ignore[arg-type]
            api_base_url=emulator.base_url, database_url=url, send_rate_per_second=capped,
            plan_reminders=False,  # no reminders to 500 people meanwhile; the post job below
            web_port=0, metrics_port=0,
        )
        await prepare_database(settings)
        database = Database(url)
        meeting_id = await seed(database, users, group.id)
        application = build_application(settings)
        async with polling(application):
            assert application.job_queue is not None
            start_group_posts(application.job_queue)
            await emulator.wait_until(lambda: bool(emulator.bot_messages(group.id)), 30)
            post = emulator.bot_messages(group.id)[0]
            await asyncio.sleep(1.0)  # the bot settled after posting
            calls_before = len(emulator.api_calls)

            pressed: dict[int, float] = {}
            answered: dict[int, float] = {}
            started = time.perf_counter()

            async def press_all() -> None:
                for user in users:
                    pressed[user] = time.perf_counter()
                    emulator.press_group_button(group.id, user, post.message_id, "📍 签到")
                    if spread:
                        await asyncio.sleep(spread / members)

            pressing = asyncio.create_task(press_all())
            await asyncio.sleep(0)
            waiting = set(users)
            deadline = time.monotonic() + 120

            def shown() -> str:
                return emulator.message(group.id, post.message_id).text

            answers = 0
            while (waiting or f"已签到 {members}" not in shown()) and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                count = len(emulator.group_callback_answers(group.id))
                if count > answers:  # someone was answered: who
                    answers = count
                    for user in [u for u in waiting
                                 if u in pressed and emulator.callback_answers(u)]:
                        answered[user] = now - pressed[user]
                        waiting.discard(user)
            elapsed = time.perf_counter() - started
            await pressing
            await asyncio.sleep(4.0)  # one more job pass: nothing left to edit
            after = group_calls(emulator, group.id, calls_before)
            edits = [at for at, chat, _message in emulator.answered_edits if chat == group.id]
            toasts = [emulator.callback_answers(u)[0].text for u in users
                      if emulator.callback_answers(u)]
        async with database.session() as session:
            recorded = await session.scalar(
                select(func.count()).select_from(Attendance).where(
                    Attendance.meeting_id == meeting_id,
                    Attendance.status == AttendanceStatus.PRESENT))
        await database.dispose()

    latencies = list(answered.values())
    gaps = [b - a for a, b in itertools.pairwise(edits)]
    cap = f"send cap {capped:g}/s" if capped else "send cap off"
    when = f"over {spread:g} s" if spread else "at once"
    print(f"group check-in burst: {members} members press 📍 签到 under one group post {when},"
          " SQLite,"
          f" emulator in-process (Telegram's {TELEGRAM_LIMIT:g}/s enforced), {cap},"
          f" {settings.max_concurrent_updates} update slots")
    print(f"presses recorded: {recorded} of {members}; answered: {len(latencies)}"
          f" ({sum(1 for text in toasts if text == '✅ 签到成功。')} '✅ 签到成功。' toasts)")
    if latencies:
        print(f"press answer (toast): p50 {statistics.median(latencies) * 1000:.1f} ms,"
              f" p95 {p95(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms;"
              f" post showing all {members} after {elapsed:.2f} s")
    shortest = f"{min(gaps):.3f} s" if gaps else "n/a (one edit)"
    print(f"group post: {len(edits)} edits, shortest interval {shortest};"
          f" {len(after)} requests into the group in all ({', '.join(sorted(set(after)))})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--spread", type=float, default=0.0,
                        help="seconds the presses are spread over (default 0: all at once)")
    parser.add_argument("--send-rate", type=float, default=None,
                        help="BRANCHBOT_SEND_RATE_PER_SECOND for this run (default: the"
                        " environment's, else 30; 0: the cap off)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.members, arguments.send_rate, arguments.spread))
