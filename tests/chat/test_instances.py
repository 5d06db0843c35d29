"""Two bot processes on one PostgreSQL database behind one webhook address (PostgreSQL only).

A round-robin balancer (botapi_emulator.balancer) stands between the emulator (Telegram) and two
real `branchbot run` processes in webhook mode. They share the outbox, a conversation whose steps
land on both, and an update delivered twice; one of them is SIGKILLed while delivering.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from botapi_emulator import BotApiEmulator, ChatEntry
from botapi_emulator.balancer import Balancer
from sqlalchemy import func, select

from rules.vocabulary import MemberRole, MembershipState, MemberStatus, PartyOrgKind
from storage import invites, orgs, outbox, people
from storage.db import Database
from storage.models import Membership, OutboxMessage, OutboxState

SECRET = "two-instances_secret"
ADMIN = 900_001
SECRETARY = 700_001
MEMBER = 1001
OUTBOX_ROWS = 520
FIRST_RECIPIENT = 50_000
LEASE_SECONDS = 3
BATCH = 30  # reminders.delivery.BATCH: what one courier holds at a time


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("several instances need PostgreSQL")
    return database_url


class Instance:
    """One `branchbot run` process in webhook mode."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        ops_port = free_port()
        self.env = {**env, "BRANCHBOT_WEB_PORT": str(port),
                    "BRANCHBOT_METRICS_PORT": str(ops_port)}
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.ops_url = f"http://127.0.0.1:{ops_port}"  # /healthz and /metrics
        self.log = log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", env=self.env,
                stdout=out, stderr=asyncio.subprocess.STDOUT,
            )

    async def ready(self, http: aiohttp.ClientSession) -> None:
        for _ in range(600):
            assert self.process is not None and self.process.returncode is None, self.output()
            try:
                async with http.get(self.ops_url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
        raise TimeoutError(self.output())

    async def metric(self, http: aiohttp.ClientSession, name: str) -> float:
        async with http.get(self.ops_url + "/metrics") as response:
            text = await response.text()
        match = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
        assert match, text
        return float(match.group(1))

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def stop(self) -> int | None:
        if self.process is None or self.process.returncode is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGINT)
        try:
            return await asyncio.wait_for(self.process.wait(), 20)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()


@asynccontextmanager
async def cluster(postgres_url: str, tmp_path: Path) -> AsyncIterator[
    tuple[BotApiEmulator, Balancer, list[Instance]]
]:
    async with BotApiEmulator(
        global_rate_per_second=None, allow_http_webhooks=True, webhook_ports=None
    ) as emulator:
        ports = [free_port(), free_port()]
        balancer = Balancer([f"http://127.0.0.1:{p}" for p in ports])
        await balancer.start()
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRANCHBOT_")}
        env.update(
            BRANCHBOT_TOKEN=emulator.token,
            BRANCHBOT_API_BASE_URL=emulator.base_url,
            BRANCHBOT_DATABASE_URL=postgres_url,
            BRANCHBOT_ADMINS=str(ADMIN),
            BRANCHBOT_WEBHOOK_URL=f"http://127.0.0.1:{balancer.port}/telegram",
            BRANCHBOT_WEBHOOK_SECRET=SECRET,
            BRANCHBOT_PLAN_REMINDERS="false",
            BRANCHBOT_SEND_RATE_PER_SECOND="60",
            BRANCHBOT_OUTBOX_LEASE_SECONDS=str(LEASE_SECONDS),
            BRANCHBOT_LOG_FORMAT="json",
        )
        instances = [Instance(env, port, tmp_path / f"instance{n}.log")
                     for n, port in enumerate(ports)]
        try:
            yield emulator, balancer, instances
        finally:
            for instance in instances:
                await instance.stop()
            await balancer.stop()


async def seed(database: Database) -> str:
    async with database.session() as session:
        branch = await orgs.create_party_org(
            session, name="阳光社工服务中心党支部", kind=PartyOrgKind.BRANCH, parent_id=None,
            actor_telegram_id=ADMIN,
        )
        await people.appoint_by_telegram_id(
            session, branch, SECRETARY, MemberRole.SECRETARY, status=MemberStatus.FULL,
            actor_telegram_id=ADMIN, language="zh",
        )
        now = datetime.now(UTC)  # the bots under test run in other processes, on the wall clock
        invite = await invites.create_invite(
            session, org_id=branch.id, created_by=SECRETARY, valid_days=14, now=now
        )
        await outbox.enqueue(session, [
            outbox.Planned(key=f"load:{n}", kind="notice", chat_id=FIRST_RECIPIENT + n,
                           text=f"notice {n}", due_at=now)
            for n in range(OUTBOX_ROWS)
        ])
        return invite.code


async def step(emulator: BotApiEmulator, user: int, act: Callable[[], object],
               expect: str) -> ChatEntry:
    """Do something as `user` and wait until the bot's newest message shows `expect`."""
    act()

    def answered() -> bool:
        last = emulator.last_bot_message(user)
        shown = [last.text, *(b.text for b in last.buttons)] if last is not None else []
        return any(expect in text for text in shown)

    await emulator.wait_until(answered, timeout=20)
    last = emulator.last_bot_message(user)
    assert last is not None
    return last


def tap(emulator: BotApiEmulator, user: int, text: str) -> int:
    """Press the newest button whose label contains `text`."""
    for message in reversed(emulator.bot_messages(user)):
        for b in message.buttons:
            if text in b.text and b.callback_data:
                return emulator.press_button(user, message.message_id, b.callback_data,
                                             match="data")
    raise LookupError(f"{text}: {[(m.text, m.buttons) for m in emulator.bot_messages(user)]}")


async def test_two_instances_share_the_work(postgres_url: str, tmp_path: Path) -> None:
    database = Database(postgres_url)
    try:
        code = await seed(database)
        async with cluster(postgres_url, tmp_path) as (emulator, balancer, instances), \
                aiohttp.ClientSession() as http:
            for n in range(OUTBOX_ROWS):
                emulator.add_user(FIRST_RECIPIENT + n, f"R{n}").started = True
            first, second = instances
            await asyncio.gather(first.start(), second.start())
            await asyncio.gather(first.ready(http), second.ready(http))

            # Both couriers lease from the one outbox; the first dies in the middle.
            async def couriers() -> int:
                async with database.session() as session:
                    return int(await session.scalar(
                        select(func.count(func.distinct(OutboxMessage.leased_by)))
                        .where(OutboxMessage.leased_by.is_not(None))
                    ) or 0)

            def delivered() -> int:
                return sum(emulator.bot_message_count(FIRST_RECIPIENT + n)
                           for n in range(OUTBOX_ROWS))

            while delivered() < OUTBOX_ROWS // 4 or await couriers() < 2:
                assert delivered() < OUTBOX_ROWS, "delivery finished before the kill"
                await asyncio.sleep(0.02)
            await first.kill()
            await first.start()  # the operator restarts it
            await first.ready(http)

            # Every row arrives; only the killed courier's batch in flight may come twice.
            await emulator.wait_until(
                lambda: all(emulator.bot_message_count(FIRST_RECIPIENT + n)
                            for n in range(OUTBOX_ROWS)),
                timeout=40,
            )
            for _ in range(200):  # the last settle may trail the last message a little
                async with database.session() as session:
                    sent = await outbox.counts_by_state(session, kind="notice")
                if sent == {OutboxState.SENT: OUTBOX_ROWS}:
                    break
                await asyncio.sleep(0.05)
            assert sent == {OutboxState.SENT: OUTBOX_ROWS}
            assert delivered() - OUTBOX_ROWS <= BATCH

            # A registration whose steps alternate between the instances completes.
            emulator.add_user(SECRETARY, "书记")
            emulator.add_user(MEMBER, "Alice")
            await step(emulator, SECRETARY, lambda: emulator.send_text(SECRETARY, "/start"), "")
            before = dict(balancer.forwarded)
            await step(emulator, MEMBER, lambda: emulator.send_text(MEMBER, f"/start {code}"),
                       "中文")
            await step(emulator, MEMBER, lambda: tap(emulator, MEMBER, "中文"), "真实姓名")
            await step(emulator, MEMBER, lambda: emulator.send_text(MEMBER, "王丽"), "正式党员")
            await step(emulator, MEMBER, lambda: tap(emulator, MEMBER, "正式党员"), "入党")
            await step(emulator, MEMBER, lambda: emulator.send_text(MEMBER, "2015-07-01"), "手机号")
            await step(emulator, MEMBER, lambda: emulator.send_text(MEMBER, "跳过"), "请核对")
            await step(emulator, MEMBER, lambda: tap(emulator, MEMBER, "✅ 提交"), "已提交")
            await emulator.wait_until(
                lambda: "王丽" in (emulator.last_bot_message(SECRETARY) or ChatEntry(
                    0, True, "", None, [], "text", None, None, [], False, False, 0)).text,
                timeout=20,
            )
            assert all(balancer.forwarded[b] > before[b] for b in balancer.backends)
            async with database.session() as session:
                pending = await session.scalar(
                    select(func.count()).select_from(Membership)
                    .where(Membership.state == MembershipState.PENDING)
                )
            assert pending == 1

            # One update delivered to both instances is handled by one of them.
            answers = len(emulator.bot_messages(MEMBER))
            update = {"update_id": 8_000_001, "message": {
                "message_id": 900, "date": 1_700_000_000, "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                "chat": {"id": MEMBER, "type": "private", "first_name": "Alice"},
                "from": {"id": MEMBER, "is_bot": False, "first_name": "Alice"},
            }}
            for instance in instances:
                async with http.post(instance.url + "/telegram", json=update, headers={
                    "X-Telegram-Bot-Api-Secret-Token": SECRET,
                }) as response:
                    assert response.status == 200
            duplicates = [await i.metric(http, "branchbot_updates_duplicate_total")
                          for i in instances]
            assert sorted(duplicates) == [0, 1]
            await emulator.wait_until(
                lambda: len(emulator.bot_messages(MEMBER)) > answers, timeout=20
            )
            assert len(emulator.bot_messages(MEMBER)) == answers + 1

            # Two updates sent at once land on both instances and are answered in order.
            answers = len(emulator.bot_messages(MEMBER))
            emulator.send_text(MEMBER, "/help")
            emulator.send_text(MEMBER, "/language")
            await emulator.wait_until(
                lambda: len(emulator.bot_messages(MEMBER)) >= answers + 2, timeout=20
            )
            help_text, language = emulator.bot_messages(MEMBER)[answers:answers + 2]
            assert "/help" in help_text.text
            assert any("English" in b.text for b in language.buttons)

            codes = [await instance.stop() for instance in instances]
            assert codes == [0, 0], [i.output()[-3000:] for i in instances]
            for instance in instances:
                assert emulator.token not in instance.output()
                assert "Traceback" not in instance.output(), instance.output()[-3000:]
    finally:
        await database.dispose()
