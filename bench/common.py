"""What the bench scripts share: scratch databases, the emulator in its own process, bulk
seeding, and timing figures. Not a benchmark itself."""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from rules.meetings import room_code
from rules.vocabulary import (
    MeetingKind,
    MeetingState,
    MemberRole,
    MembershipState,
    MemberStatus,
    PartyOrgKind,
)
from storage import meetings, orgs, people
from storage.db import Database, is_sqlite
from storage.models import Base, Meeting

CHUNK = 5_000
T = TypeVar("T")


# --- databases ---------------------------------------------------------------------------


async def pg_admin(url: str, sql: str) -> None:
    """Run `sql` on the PostgreSQL server of `url` (outside any transaction)."""
    import asyncpg

    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host or "127.0.0.1", port=parsed.port or 5432,
        user=parsed.username or "postgres", password=parsed.password,
        database=parsed.database or "postgres",
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@asynccontextmanager
async def scratch_database(
    url: str | None = None, *, name: str = "bench", prefix: str = "branchbot_bench"
) -> AsyncIterator[str]:
    """A database URL to bench on: without `url` a SQLite file `name`.db in a temporary
    directory; a SQLite `url` as it is; on a PostgreSQL server a database made for the run and
    dropped after it."""
    if url is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / f'{name}.db'}"
        return
    if is_sqlite(url):
        yield url
        return
    scratch = f"{prefix}_{uuid.uuid4().hex[:8]}"
    await pg_admin(url, f"CREATE DATABASE {scratch}")
    try:
        yield make_url(url).set(database=scratch).render_as_string(hide_password=False)
    finally:
        await pg_admin(url, f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")


# --- bulk seeding ------------------------------------------------------------------------


async def bulk_insert(
    database: Database, model: type[Base], rows: Sequence[dict[str, Any]]
) -> None:
    """Insert `rows` by SQLAlchemy Core, CHUNK rows a transaction."""
    for start in range(0, len(rows), CHUNK):
        async with database.session() as session:
            await session.execute(insert(model), list(rows[start : start + CHUNK]))


def party_tree(
    branches: int, per_general: int, created_at: datetime,
    kind_of: Callable[[int], PartyOrgKind] = lambda _b: PartyOrgKind.BRANCH,
) -> tuple[list[dict[str, Any]], list[int]]:
    """Rows of one 党委 (id 1), its 党总支 and `branches` branches spread over them (the kind
    of branch number b is kind_of(b)); and the branch ids."""
    generals = max(1, branches // per_general)
    rows: list[dict[str, Any]] = [
        {"id": 1, "name": "基准党委", "kind": PartyOrgKind.COMMITTEE, "parent_id": None,
         "created_at": created_at},
    ]
    for g in range(generals):
        rows.append({"id": 2 + g, "name": f"党总支{g:03d}", "kind": PartyOrgKind.GENERAL_BRANCH,
                     "parent_id": 1, "created_at": created_at})
    branch_ids = [2 + generals + b for b in range(branches)]
    for b, branch_id in enumerate(branch_ids):
        rows.append({"id": branch_id, "name": f"支部{b:04d}", "kind": kind_of(b),
                     "parent_id": 2 + b % generals, "created_at": created_at})
    return rows, branch_ids


def member_rows(
    index: int, telegram_id: int, org_id: int, role: MemberRole, status: MemberStatus,
    now: datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Person row (id index + 1) and their active Membership row (same id)."""
    person = {"id": index + 1, "telegram_id": telegram_id, "real_name": f"党员{index:05d}",
              "language": "zh", "created_at": now}
    membership = {
        "id": index + 1, "person_id": index + 1, "party_organization_id": org_id,
        "state": MembershipState.ACTIVE, "status": status, "role": role,
        "requested_at": now, "decided_at": now,
    }
    return person, membership


async def seed_checkin_branch(
    session: Any, *, name: str, parent_id: int | None, actor: int | None, secretary: int,
    members: Sequence[int], ends_after: timedelta,
) -> tuple[int, Meeting]:
    """A branch with a secretary and `members` registered and approved through the storage
    functions, and an assembly starting in a minute, open for check-in."""
    branch = await orgs.create_party_org(
        session, name=name, kind=PartyOrgKind.BRANCH, parent_id=parent_id,
        actor_telegram_id=actor,
    )
    await people.appoint_by_telegram_id(
        session, branch, secretary, MemberRole.SECRETARY, status=MemberStatus.FULL,
        actor_telegram_id=None, language="zh",
    )
    for i, telegram_id in enumerate(members):
        form = people.RegistrationForm(
            telegram_id=telegram_id, language="zh", real_name=f"党员{i:04d}",
            org_id=branch.id, status=MemberStatus.FULL, joined_party_on=date(2010, 1, 1),
            phone=None, invite_id=None,
        )
        registered = await people.submit_registration(session, form)
        await people.decide_registration(
            session, registered.id, approve=True, decided_by=secretary
        )
    now = datetime.now(UTC)
    meeting = await meetings.schedule(
        session,
        meetings.MeetingPlan(
            org_id=branch.id, kind=MeetingKind.ASSEMBLY, starts_at=now + timedelta(minutes=1),
            ends_at=now + ends_after, topic="基准测试", place="会议室",
        ),
        created_by=secretary, now=now,
    )
    meeting.state = MeetingState.CHECKIN_OPEN
    await session.flush()
    return branch.id, meeting


# --- the emulator in its own process -----------------------------------------------------


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


@dataclass
class Burst:
    label: str
    count: int
    seconds: float
    latencies: list[float]

    def line(self) -> str:
        p50 = statistics.median(self.latencies)
        return (
            f"{self.label:<28} {self.count / self.seconds:8.1f} msg/s   "
            f"p50 {p50 * 1000:7.1f} ms   p95 {p95(self.latencies) * 1000:7.1f} ms   "
            f"({self.count} in {self.seconds:.2f} s)"
        )


class RemoteEmulator:
    """The Bot API emulator in its own process (so it does not share a core with the bot)."""

    token = "123456:SANDBOX-TOKEN"

    def __init__(self, process: asyncio.subprocess.Process, base_url: str) -> None:
        self.process = process
        self.base_url = base_url
        self.base_file_url = base_url.replace("/bot", "/file/bot")
        self.origin = base_url.removesuffix("/bot")
        self.http = aiohttp.ClientSession()

    async def stop(self) -> None:
        await self.http.close()
        self.process.terminate()
        await self.process.wait()

    async def _post(self, path: str, body: dict[str, object]) -> dict[str, object]:
        async with self.http.post(f"{self.origin}/_emu/api{path}", json=body) as response:
            response.raise_for_status()
            result: dict[str, object] = await response.json()
            return result

    async def stats(self) -> dict[str, object]:
        """Flood refusals and the Stars paid broadcasts cost."""
        async with self.http.get(f"{self.origin}/_emu/api/stats") as response:
            response.raise_for_status()
            result: dict[str, object] = await response.json()
            return result

    async def add_user(self, user_id: int) -> None:
        await self._post("/users", {"id": user_id, "first_name": f"u{user_id}"})
        await self._post(f"/users/{user_id}/text", {"text": "hi"})  # they opened the bot

    async def add_started_users(self, ids: Sequence[int]) -> None:
        """People who opened the bot long ago (no update for the bot to answer)."""
        gate = asyncio.Semaphore(32)

        async def one(user_id: int) -> None:
            async with gate:
                await self._post("/users", {"id": user_id, "first_name": f"u{user_id}",
                                            "started": True})

        await asyncio.gather(*(one(i) for i in ids))

    async def burst(self, texts: dict[int, str], label: str) -> Burst:
        result = await self._post("/burst", {"texts": {str(k): v for k, v in texts.items()}})
        latencies = result["latencies"]
        assert isinstance(latencies, dict)
        elapsed = result["elapsed"]
        assert isinstance(elapsed, float)
        return Burst(label, len(latencies), elapsed, [float(v) for v in latencies.values()])


async def start_emulator(
    rate: float | None = None, *, allow_http_webhooks: bool = False,
    paid_rate: float | None = None,
) -> RemoteEmulator:
    """The emulator in its own process; with `rate`, enforcing Telegram's global limit; with
    `allow_http_webhooks`, pushing updates to bots on this machine over plain http, any port."""
    limit = ["--rate", str(rate)] if rate is not None else []
    if paid_rate is not None:
        limit += ["--paid-rate", str(paid_rate)]
    if allow_http_webhooks:
        limit += ["--allow-http-webhooks", "--any-webhook-port"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "botapi_emulator", "--port", "0", *limit,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    return RemoteEmulator(process, line.rsplit(" ", 1)[-1].strip())


async def burst_checkins(
    database: Database, emulator: RemoteEmulator, meeting_id: int, users: Sequence[int],
    label: str,
) -> Burst:
    """Every user types the meeting's current room code at once."""
    async with database.session() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        code = room_code(bytes.fromhex(meeting.code_secret), datetime.now(UTC))
    return await emulator.burst({u: code for u in users}, label)


# --- timing ------------------------------------------------------------------------------


async def timed(
    action: Callable[[], Awaitable[T]], repeat: int, *, warm_up: bool = True
) -> tuple[list[float], T]:
    """Run `action` `repeat` times (after one untimed run: statement caches, imports);
    durations in seconds and the last result."""
    result: T | None = await action() if warm_up else None
    durations: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = await action()
        durations.append(time.perf_counter() - started)
    assert result is not None
    return durations, result


async def median_seconds(action: Callable[[], Awaitable[T]], runs: int = 3) -> tuple[float, T]:
    """Seconds (median of `runs` after a warm-up) and the last result."""
    durations, result = await timed(action, runs)
    return statistics.median(durations), result


def timing_line(label: str, durations: Sequence[float], note: str = "") -> str:
    """`label`, median and max in ms, the number of runs and `note`."""
    ms = [d * 1000 for d in durations]
    return (f"{label:<34} median {statistics.median(ms):8.1f} ms   max {max(ms):8.1f} ms   "
            f"({len(ms)} runs{'; ' + note if note else ''})")
