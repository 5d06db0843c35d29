"""A thousand reminders through a hostile Telegram, and a crash in the middle.

The bot runs as a real process (`python -m bot.cli run`) against the emulator in this test's
process. The emulator answers some sends with 429 (retry_after), 500, 403 (blocked members)
and no answer in time; the process is SIGKILLed mid-delivery and started again. From the
emulator's records: every reminder to a reachable member arrived; duplicates are no more than
the batch in flight at the kill, and each is logged by the restarted process; no send came
while a 429's retry_after ran; no two messages to one chat within a second; each blocked
member's secretary was told once.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bench.reminders import seed
from bot.sandbox.emulator import BotApiEmulator
from reminders.delivery import BATCH
from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage, OutboxState

MEMBERS = 1_000
BRANCHES = 10
BLOCKED_EVERY = 50  # 20 members blocked the bot
KILL_AFTER = 450  # sendMessage calls seen before the SIGKILL
ROOT = Path(__file__).resolve().parent.parent


async def eventually(condition: Callable[[], Awaitable[bool]], limit: float, what: str) -> None:
    deadline = time.monotonic() + limit
    while not await condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.1)


async def start_bot(emulator: BotApiEmulator, database_url: str, log: Path
                    ) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANCHBOT_")}
    env.update(
        BRANCHBOT_TOKEN=emulator.token, BRANCHBOT_API_BASE_URL=emulator.base_url,
        BRANCHBOT_DATABASE_URL=database_url, BRANCHBOT_PLAN_REMINDERS="false",
        BRANCHBOT_SEND_RATE_PER_SECOND="200", BRANCHBOT_WEB_PORT="0",
    )
    with log.open("wb") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env,
            stdout=output, stderr=output, cwd=ROOT,
        )


class Faults:
    """Injects failures as sendMessage calls pass given counts."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self.emulator = emulator
        self.plan: list[tuple[int, dict[str, object]]] = [
            (100, {"status": 429, "retry_after": 2}),
            (200, {"status": 500, "times": 3}),
            (250, {"status": 502, "description": "Bad Gateway", "delay": 7.0}),  # a timeout
            (300, {"status": 429, "retry_after": 1}),
            (600, {"status": 500, "times": 2}),
            (650, {"status": 504, "description": "Gateway Timeout", "delay": 7.0, "times": 2}),
            (700, {"status": 429, "retry_after": 2}),
        ]

    async def run(self) -> None:
        while self.plan:
            count, options = self.plan[0]
            if self.emulator.call_count("sendMessage") >= count:
                self.emulator.inject_failure("sendMessage", **options)  # type: ignore[arg-type]
                self.plan.pop(0)
                continue
            await asyncio.sleep(0.01)


async def test_a_thousand_reminders_survive_faults_and_a_crash(
    database_url: str, tmp_path: Path
) -> None:
    database = Database(database_url)
    seeded = await seed(database, branches=BRANCHES, members=MEMBERS, language="en",
                        meetings=False)
    blocked = set(seeded.members[::BLOCKED_EVERY])
    now = datetime.now(UTC)
    async with database.session() as session:
        await outbox.enqueue(session, [
            outbox.Planned(key=f"fault:{tg}", kind="test", chat_id=tg, text=f"Reminder {tg}",
                           due_at=now - timedelta(seconds=5))
            for tg in seeded.members
        ])

    async with BotApiEmulator(global_rate_per_second=None, per_chat_rate_per_second=1.0
                              ) as emulator:
        for tg in seeded.members + seeded.secretaries:
            emulator.add_user(tg, f"u{tg}", language_code="en").started = True
        for tg in blocked:
            emulator.block(tg)
        faults = Faults(emulator)
        injector = asyncio.create_task(faults.run())
        first = await start_bot(emulator, database_url, tmp_path / "first.log")
        try:
            await eventually(
                lambda: _true(emulator.call_count("sendMessage") >= KILL_AFTER), 40,
                "the first process did not get going",
            )
            first.send_signal(signal.SIGKILL)
            await first.wait()
            killed_at = emulator.call_count("sendMessage")
            second = await start_bot(emulator, database_url, tmp_path / "second.log")
            try:
                async def settled() -> bool:
                    async with database.session() as session:
                        return await outbox.pending_count(session) == 0

                await eventually(settled, 50, "the outbox did not settle")
                await asyncio.sleep(1.0)  # nothing more comes
            finally:
                second.send_signal(signal.SIGTERM)
                await second.wait()
        finally:
            injector.cancel()
            if first.returncode is None:
                first.kill()
                await first.wait()

        got = {tg: [m.text for m in emulator.bot_messages(tg)] for tg in seeded.members}
        to_secretaries = [
            text for tg in seeded.secretaries for text in
            (m.text for m in emulator.bot_messages(tg))
        ]
        flood_violations = emulator.flood_violations
        too_close = sum(emulator.chat_interval_violations.values())

    assert killed_at > KILL_AFTER - 1 and not faults.plan, "faults came before and after the kill"
    async with database.session() as session:
        states = dict((await session.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        )).all())
        errors = dict((await session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.error)
            .where(OutboxMessage.state == OutboxState.FAILED)
        )).all())
    await database.dispose()

    # Every reachable member has their reminder; the blocked ones nothing.
    for tg in seeded.members:
        if tg in blocked:
            assert got[tg] == []
        else:
            assert f"Reminder {tg}" in got[tg], f"member {tg} got nothing"
    assert set(errors) == blocked and all("blocked" in (e or "") for e in errors.values())
    # Duplicates: only what was in flight at the kill, each one logged by the new process.
    twice = {tg: len(texts) - 1 for tg, texts in got.items() if len(texts) > 1}
    assert sum(twice.values()) <= BATCH
    log = (tmp_path / "second.log").read_text(errors="replace")
    logged = {int(chat) for chat in re.findall(r"to chat (\d+) was in flight", log)}
    assert set(twice) <= logged
    # Flood control respected; never two messages to one chat within a second.
    assert flood_violations == 0
    assert too_close == 0
    # Each blocked member's secretary was told once.
    for tg in blocked:
        name = f"Member {seeded.members.index(tg):06d}"
        mentions = Counter(name in text for text in to_secretaries)[True]
        joined = sum(text.count(name) for text in to_secretaries)
        assert mentions == joined == 1, f"{name} was reported {joined} times"
    assert states.get(OutboxState.PENDING, 0) == states.get(OutboxState.SENDING, 0) == 0


async def _true(value: bool) -> bool:
    return value
