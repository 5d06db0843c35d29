"""Benchmark (issue 8): a check-in burst against one `branchbot run` process, then two.

A branch of N members on a scratch PostgreSQL database, an assembly open for check-in, and the
emulator (its own process) pushing every member's typed room code to one webhook address: a
round-robin balancer (botapi_emulator.balancer) in front of (a) one and (b) two real `branchbot run`
processes in webhook mode. Attendance is reset to "expected" between the runs. Prints
check-ins per second, p50/p95 reply latency, the ratio two/one and each instance's resident
memory after its burst. Figures only: this is not a test and asserts nothing.

    .venv/bin/python -m bench.instances_burst [--members 500] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from botapi_emulator.balancer import Balancer
from sqlalchemy import func, select, update

from bench.checkin_burst import FIRST_MEMBER, SECRETARY, seed_branch
from bench.common import Burst, RemoteEmulator, burst_checkins, scratch_database, start_emulator
from bot.application import prepare_database
from bot.config import Settings
from rules.vocabulary import AttendanceStatus
from storage.db import Database
from storage.models import Attendance

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
SECRET = "instances-burst_secret"
WEBHOOK_PATH = "/telegram"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def resident_kib(pid: int) -> int:
    """VmRSS of a process in KiB, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@dataclass
class Instance:
    """One `branchbot run` process in webhook mode, its web server on `port`, /healthz on
    `ops_port`."""

    process: asyncio.subprocess.Process
    port: int
    ops_port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def ready(self, http: aiohttp.ClientSession) -> None:
        for _ in range(1200):
            if self.process.returncode is not None:
                raise RuntimeError(self.log.read_text(errors="replace")[-3000:])
            try:
                async with http.get(f"http://127.0.0.1:{self.ops_port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
        raise TimeoutError(self.log.read_text(errors="replace")[-3000:])

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def webhook_set(http: aiohttp.ClientSession, emulator: RemoteEmulator, url: str) -> None:
    """Wait until an instance has pointed the emulator's webhook at `url`."""
    for _ in range(600):
        async with http.get(f"{emulator.base_url}{emulator.token}/getWebhookInfo") as response:
            if (await response.json())["result"]["url"] == url:
                return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"webhook never set to {url}")


@asynccontextmanager
async def instances(
    count: int, emulator: RemoteEmulator, database_url: str, folder: Path, label: str
) -> AsyncIterator[list[Instance]]:
    """`count` bot processes behind a fresh balancer, ready and holding the webhook."""
    ports = [free_port() for _ in range(count)]
    balancer = Balancer([f"http://127.0.0.1:{p}" for p in ports])
    await balancer.start()
    hook = f"http://127.0.0.1:{balancer.port}{WEBHOOK_PATH}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANCHBOT_")}
    env.update(
        BRANCHBOT_TOKEN=emulator.token,
        BRANCHBOT_API_BASE_URL=emulator.base_url,
        BRANCHBOT_DATABASE_URL=database_url,
        BRANCHBOT_WEBHOOK_URL=hook,
        BRANCHBOT_WEBHOOK_SECRET=SECRET,
        BRANCHBOT_PLAN_REMINDERS="false",
        BRANCHBOT_SEND_RATE_PER_SECOND="0",  # measure our own work, not the client-side cap
    )
    started: list[Instance] = []
    try:
        for n, port in enumerate(ports):
            log = folder / f"{label}-{n}.log"
            ops_port = free_port()
            with log.open("wb") as out:
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot.cli", "run",
                    env={**env, "BRANCHBOT_WEB_PORT": str(port),
                         "BRANCHBOT_METRICS_PORT": str(ops_port)},
                    stdout=out, stderr=asyncio.subprocess.STDOUT,
                )
            started.append(Instance(process, port, ops_port, log))
        async with aiohttp.ClientSession() as http:
            await asyncio.gather(*(i.ready(http) for i in started))
            await webhook_set(http, emulator, hook)
        await asyncio.sleep(1.0)  # let startup work (menus, pruning job) settle before timing
        yield started
    finally:
        for instance in started:
            await instance.stop()
        await balancer.stop()


@dataclass
class Run:
    """One burst's figures and what the machine did meanwhile."""

    burst: Burst
    memory_kib: list[int]  # each instance's VmRSS after the burst
    cpu: dict[str, float]  # CPU seconds each process spent during the burst
    machine_busy: float  # share of all cores busy during the burst (every process counted)
    troubles: list[str]


def cpu_seconds(pid: int | str) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int]:
    """Busy and total CPU ticks of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


PROFILE = os.environ.get("BENCH_PROFILE")  # a folder: py-spy samples instance 0 of each run


async def start_profiler(pid: int, count: int) -> asyncio.subprocess.Process | None:
    """py-spy (if installed and BENCH_PROFILE is set) sampling `pid` into collapsed stacks."""
    if not PROFILE:
        return None
    out = Path(PROFILE) / f"instances-{count}.txt"
    spy = await asyncio.create_subprocess_exec(
        "py-spy", "record", "--pid", str(pid), "--format", "raw", "--rate", "250",
        "--output", str(out), stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await asyncio.sleep(0.5)  # attached before the burst starts
    return spy


async def stop_profiler(spy: asyncio.subprocess.Process | None) -> None:
    if spy is not None:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        await spy.wait()


async def run_once(
    count: int, emulator: RemoteEmulator, database: Database, url: str, folder: Path,
    meeting_id: int, users: Sequence[int],
) -> Run:
    """One burst against `count` instances, with attendance reset before it."""
    label = f"{count} instance{'s' if count > 1 else ''} (webhook)"
    async with database.session() as session:  # every member checks in afresh
        await session.execute(
            update(Attendance).where(Attendance.meeting_id == meeting_id).values(
                status=AttendanceStatus.EXPECTED, checked_in_at=None, method=None, marked_by=None
            )
        )
    async with instances(count, emulator, url, folder, f"run{count}") as running:
        pids: dict[str, int | str] = {f"instance {n}": i.process.pid
                                      for n, i in enumerate(running)}
        assert emulator.process.pid is not None
        pids |= {"emulator": emulator.process.pid, "bench + balancer": "self"}
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        busy_before, total_before = machine_ticks()
        spy = await start_profiler(running[0].process.pid, count)
        burst = await burst_checkins(database, emulator, meeting_id, users, label)
        await stop_profiler(spy)
        busy_after, total_after = machine_ticks()
        cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        memory = [resident_kib(i.process.pid) for i in running]
        logs = [i.log for i in running]
    troubles = [f"Traceback in {log.name}" for log in logs
                if "Traceback" in log.read_text(errors="replace")]
    async with database.session() as session:
        recorded = await session.scalar(
            select(func.count()).select_from(Attendance).where(
                Attendance.meeting_id == meeting_id, Attendance.status == AttendanceStatus.PRESENT
            )
        )
    if recorded != len(users):
        troubles.append(f"{recorded} of {len(users)} check-ins recorded ({label})")
    busy = (busy_after - busy_before) / max(1, total_after - total_before)
    return Run(burst, memory, cpu, busy, troubles)


async def main(members: int, postgres: str) -> None:
    users = [FIRST_MEMBER + i for i in range(members)]
    async with scratch_database(postgres) as url:
        emulator = await start_emulator(allow_http_webhooks=True)
        try:
            # People who opened the bot long ago: no pending update before the burst.
            await emulator.add_started_users([SECRETARY, *users])
            await prepare_database(Settings(
                token=emulator.token,  # type: ignore[arg-type]
                api_base_url=emulator.base_url, database_url=url,
            ))
            database = Database(url)
            try:
                _org_id, meeting_id = await seed_branch(database, members)
                with tempfile.TemporaryDirectory() as folder:
                    one = await run_once(1, emulator, database, url, Path(folder), meeting_id,
                                         users)
                    two = await run_once(2, emulator, database, url, Path(folder), meeting_id,
                                         users)
            finally:
                await database.dispose()
        finally:
            await emulator.stop()
    print(f"check-in burst: {members} members, PostgreSQL, emulator in its own process pushing"
          f" to a round-robin balancer, no flood limit, {os.cpu_count()} CPUs")
    print(one.burst.line())
    print(two.burst.line())
    ratio = (two.burst.count / two.burst.seconds) / (one.burst.count / one.burst.seconds)
    print(f"throughput ratio two/one: {ratio:.2f}")
    for label, run in (("one", one), ("two", two)):
        memory = ", ".join(f"{kib / 1024:.0f} MiB" for kib in run.memory_kib)
        print(f"VmRSS after the burst ({label}): {memory}")
        spent = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in run.cpu.items())
        print(f"CPU during the burst ({label}): {spent}; whole machine"
              f" {run.machine_busy:.0%} busy (PostgreSQL and anything else running included)")
    for trouble in one.troubles + two.troubles:
        print(f"warning: {trouble}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--postgres", default=POSTGRES,
                        help="a PostgreSQL server URL; a scratch database is made on it")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.members, arguments.postgres))
