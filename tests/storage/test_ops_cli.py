"""Operations commands as an operator runs them: backup, restore, copy to PostgreSQL, demo data."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import uuid
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from rules.dues import Month
from rules.vocabulary import (
    AttendanceStatus,
    MeetingKind,
    MemberRole,
    MembershipState,
    MemberStatus,
    PartyOrgKind,
)
from storage import demo, dues
from storage.db import Database
from storage.migrate import upgrade
from storage.models import (
    Attendance,
    AuditEvent,
    Base,
    ConversationState,
    Duty,
    Meeting,
    Membership,
    OutboxMessage,
    PartyOrganization,
    Person,
    UserData,
)
from tests.conftest import POSTGRES_URL, _pg_admin, _pg_url

TODAY = date(2026, 11, 24)
WRITER_TELEGRAM_ID = 5_500_000_000


def _env(db: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANCHBOT_")}
    env["BRANCHBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{db}"
    env.update(values)
    return env


async def _branchbot(
    env: dict[str, str], *args: str, stdin: str = "", limit: float = 120
) -> tuple[int, str, str]:
    """Run the command; exit code, stdout and stderr without the migration log lines."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), limit)
    assert process.returncode is not None
    errors = "\n".join(
        line for line in err.decode().splitlines() if " INFO " not in line
    )
    return process.returncode, out.decode(), errors


async def _small_province(path: Path, seed: int = 7) -> demo.DemoCounts:
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)
    database = Database(url)
    try:
        return await demo.generate(database, orgs=12, members=300, years=2, seed=seed, today=TODAY)
    finally:
        await database.dispose()


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as connection, connection:
        return connection.execute(sql).fetchall()


def _kept(folder: Path, name: str) -> list[Path]:
    return list(folder.glob(f"{name}.bak-*"))


def _scribble(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(data)


def _count(path: Path, table: str) -> int:
    return int(_rows(path, f"SELECT count(*) FROM {table}")[0][0])


# ---------------------------------------------------------------------------------------------
# backup and restore
# ---------------------------------------------------------------------------------------------


async def _write_pairs(
    url: str, stop: asyncio.Event, written: list[int], started: asyncio.Event
) -> None:
    """Keep committing a person and its audit line together, like the bot registering people."""
    database = Database(url)
    try:
        n = 0
        while not stop.is_set():
            async with database.session() as session:
                person = Person(telegram_id=WRITER_TELEGRAM_ID + n, real_name=f"写入{n}")
                session.add(person)
                await session.flush()
                session.add(AuditEvent(action="test.pair", target_type="person",
                                       target_id=person.id, details={"n": n}))
            n += 1
            written.append(n)
            if n == 20:
                started.set()
            await asyncio.sleep(0)
    finally:
        await database.dispose()


async def test_backup_while_writing_is_consistent_and_restore_accepts_it(tmp_path: Path) -> None:
    live = tmp_path / "live.db"
    await _small_province(live)
    url = f"sqlite+aiosqlite:///{live}"
    stop, started, written = asyncio.Event(), asyncio.Event(), []
    writer = asyncio.create_task(_write_pairs(url, stop, written, started))
    await asyncio.wait_for(started.wait(), 60)
    copy = tmp_path / "copy.db"
    try:
        before = len(written)
        code, out, err = await _branchbot(_env(live), "backup", str(copy))
        during = len(written) - before
    finally:
        stop.set()
        await writer
    assert code == 0, err
    assert f"backed up to {copy}" in out and "integrity ok" in out
    assert during > 0  # the writer was not held up by the backup
    people = _count(copy, "people") - 300
    pairs = _count(copy, "audit_events WHERE action = 'test.pair'")
    assert 20 <= people == pairs < len(written) + 1  # a snapshot between two commits
    assert _rows(copy, "PRAGMA integrity_check") == [("ok",)]

    # A second backup to the same file is refused unless --force.
    code, _, err = await _branchbot(_env(live), "backup", str(copy))
    assert code == 2 and err == f"branchbot: {copy} exists; use --force to overwrite it"
    code, _, err = await _branchbot(_env(live), "backup", str(copy), "--force")
    assert code == 0, err

    # Restore the first snapshot over another database: asked first, the old file kept.
    other = tmp_path / "other.db"
    await upgrade(f"sqlite+aiosqlite:///{other}")
    _rows(other, "INSERT INTO people (telegram_id, language, created_at)"
                 " VALUES (1, 'zh', '2026-01-01 00:00:00')")
    code, out, _ = await _branchbot(_env(other), "restore", str(copy), stdin="n\n")
    assert code == 1 and "restore cancelled" in out
    assert _count(other, "people") == 1
    code, out, err = await _branchbot(_env(other), "restore", str(copy), stdin="y\n")
    assert code == 0, err
    assert "migrations applied" in out
    assert _count(other, "people") == _count(copy, "people")
    assert _count(other, "attendances") == _count(live, "attendances")
    kept = _kept(tmp_path, "other.db")
    assert len(kept) == 1 and _count(kept[0], "people") == 1
    assert _rows(other, "SELECT version_num FROM alembic_version") == _rows(
        live, "SELECT version_num FROM alembic_version"
    )


async def test_restore_refuses_files_that_are_not_sound_backups(tmp_path: Path) -> None:
    live = tmp_path / "live.db"
    await upgrade(f"sqlite+aiosqlite:///{live}")
    env = _env(live)

    text_file = tmp_path / "notes.db"
    text_file.write_text("hello", encoding="utf-8")
    foreign = tmp_path / "foreign.db"
    _rows(foreign, "CREATE TABLE things (id INTEGER PRIMARY KEY)")
    newer = tmp_path / "newer.db"
    await _small_province(newer)
    _rows(newer, "UPDATE alembic_version SET version_num = '9999'")
    corrupt = tmp_path / "corrupt.db"
    await _small_province(corrupt)
    page_size = _rows(corrupt, "PRAGMA page_size")[0][0]
    pages = _rows(corrupt, "PRAGMA page_count")[0][0]
    _scribble(corrupt, page_size * (pages // 2) + 8, b"\xff\x00" * (page_size * 3))

    cases = [
        (tmp_path / "missing.db", "file not found"),
        (text_file, "not a SQLite database"),
        (foreign, "not a branchbot database"),
        (newer, "unknown migration revision 9999"),
        (corrupt, "integrity check failed"),
    ]
    for path, message in cases:
        code, out, err = await _branchbot(env, "restore", str(path), "--yes")
        assert code == 2, (path, out, err)
        assert err.startswith("branchbot: ") and message in err, err
        assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not _kept(tmp_path, "live.db")  # nothing was touched
    assert _count(live, "people") == 0


async def test_postgres_backup_prints_the_pg_dump_command(tmp_path: Path) -> None:
    env = _env(tmp_path / "x.db",
               BRANCHBOT_DATABASE_URL="postgresql+asyncpg://bot:secret@db.example:5432/branchbot")
    code, _, err = await _branchbot(env, "backup", "branchbot.dump")
    assert code == 2
    assert ("pg_dump --format=custom --file=branchbot.dump "
            "'postgresql://bot:***@db.example:5432/branchbot'") in err
    assert "secret" not in err


# ---------------------------------------------------------------------------------------------
# demo data
# ---------------------------------------------------------------------------------------------


async def _dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            result = {}
            for table in Base.metadata.sorted_tables:
                rows = await connection.execute(
                    select(table).order_by(*table.primary_key.columns)
                )
                result[table.name] = [tuple(row) for row in rows]
            return result
    finally:
        await database.dispose()


async def test_demo_province_has_the_expected_shape_and_is_deterministic(tmp_path: Path) -> None:
    counts = await _small_province(tmp_path / "a.db", seed=7)
    await _small_province(tmp_path / "b.db", seed=7)
    await _small_province(tmp_path / "c.db", seed=8)
    a = await _dump(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    assert a == await _dump(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    assert a["people"] != (await _dump(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"))["people"]
    assert counts.rows["party_organizations"] == 12 and counts.rows["people"] == 300

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    try:
        async with database.session() as session:
            current = (await session.execute(
                select(func.count()).select_from(Membership).where(
                    Membership.state.in_([MembershipState.ACTIVE, MembershipState.PENDING]))
            )).scalar_one()
            roles = set((await session.scalars(select(Membership.role))).all())
            statuses = set((await session.scalars(select(Membership.status))).all())
            kinds = set((await session.scalars(select(Meeting.kind))).all())
            lines = set((await session.scalars(
                select(func.distinct(Attendance.status)))).all())
            orgs = (await session.scalars(select(PartyOrganization))).all()
            names = (await session.scalars(select(Person.real_name))).all()
            branch = next(o.id for o in orgs if o.kind is PartyOrgKind.BRANCH)
            owing = await dues.branch_dues(session, branch, Month.of(TODAY))
    finally:
        await database.dispose()
    # Every party member has a dues standard and months paid; lax members leave some open.
    assert owing and all(line.monthly is not None and line.paid for line in owing)
    assert counts.rows["dues_payments"] > 300 * 12
    assert current == 300  # one current membership per person
    assert roles == set(MemberRole)
    # Applicants (入党申请人) enter by registration; the demo has none yet.
    assert statuses == set(MemberStatus) - {MemberStatus.APPLICANT}
    assert kinds == set(MeetingKind)
    assert {AttendanceStatus.PRESENT, AttendanceStatus.ON_LEAVE,
            AttendanceStatus.ABSENT} <= lines
    assert orgs[0].name == "省社会组织综合党委" and orgs[0].parent_id is None
    assert all(o.parent_id is not None for o in orgs[1:])
    assert all(2 <= len(name) <= 3 for name in names if name)


async def test_demo_data_command_refuses_a_database_with_data(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    args = ("demo-data", "--orgs", "5", "--members", "60", "--years", "1", "--seed", "3")
    code, out, err = await _branchbot(_env(db), *args)
    assert code == 0, err
    assert "party_organizations 5" in out and "people 60" in out
    code, _, err = await _branchbot(_env(db), *args)
    assert code == 2 and "the database is not empty" in err
    code, _, err = await _branchbot(_env(db), *args[:-1], "4", "--force")
    assert code == 0, err
    assert _count(db, "people") == 60
    code, _, err = await _branchbot(_env(tmp_path / "tiny.db"), "demo-data", "--orgs", "5",
                                    "--members", "5")
    assert code == 2 and "--members must be at least" in err


# ---------------------------------------------------------------------------------------------
# SQLite to PostgreSQL
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def postgres_target() -> Any:
    if not POSTGRES_URL:
        pytest.skip("BRANCHBOT_TEST_POSTGRES_URL is not set")
    name = f"branchbot_ops_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f"CREATE DATABASE {name}"))
    try:
        yield _pg_url(name)
    finally:
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def test_migrate_sqlite_to_postgres_copies_everything(
    tmp_path: Path, postgres_target: str
) -> None:
    source = tmp_path / "source.db"
    await _small_province(source)
    source_url = f"sqlite+aiosqlite:///{source}"
    database = Database(source_url)
    try:
        async with database.session() as session:  # types the province does not use
            await session.execute(insert(OutboxMessage), [{
                "key": "k1", "kind": "meeting", "subject": None, "chat_id": 2**40,
                "text": "提醒", "reply_markup": {"inline_keyboard": [[{"text": "好"}]]},
                "urgent": True, "bundle": False, "due_at": datetime(2026, 1, 2, 3, tzinfo=UTC),
            }])
            session.add(ConversationState(name="c", key="1,2", state={"s": 1}))
            session.add(UserData(user_id=2**41, data={"draft": ["a", None, 1.5]}))
    finally:
        await database.dispose()

    code, out, err = await _branchbot(
        _env(source), "migrate-sqlite-to-postgres", "--from", source_url, "--to", postgres_target
    )
    assert code == 0, err + out
    assert "verified" in out and "MISMATCH" not in out
    assert "attendances" in out

    before = await _dump(source_url)
    after = await _dump(postgres_target)
    assert {k: len(v) for k, v in after.items()} == {k: len(v) for k, v in before.items()}
    for table in ("party_organizations", "memberships", "outbox", "user_data", "duties",
                  "conversation_states", "training_records"):
        assert after[table] == before[table], table
    assert after["meetings"][::50] == before["meetings"][::50]

    target = Database(postgres_target)
    try:
        async with target.session() as session:  # sequences were moved past the copied ids
            person = Person(telegram_id=1)
            session.add(person)
            await session.flush()
            assert person.id == len(before["people"]) + 1
    finally:
        await target.dispose()

    code, _, err = await _branchbot(
        _env(source), "migrate-sqlite-to-postgres", "--to", postgres_target
    )
    assert code == 2 and "the target already holds data" in err


def test_demo_fast_sqlite_path_binds_what_core_binds() -> None:
    from zoneinfo import ZoneInfo

    from sqlalchemy import JSON, BigInteger, Boolean, Date, Float, Integer, String
    from sqlalchemy import Enum as SqlEnum
    from sqlalchemy.dialects import sqlite

    from storage.models import UTCDateTime

    dialect = sqlite.dialect()
    samples: list[tuple[type, Any]] = [
        (UTCDateTime, datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=ZoneInfo("Asia/Shanghai"))),
        (Date, date(2026, 3, 4)), (Boolean, True), (JSON, {"a": [1, "二", None]}),
        (BigInteger, 2**40), (Integer, 7), (Float, 30.25), (String, "文字"),
    ]
    checked = 0
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, SqlEnum):
                assert column.type.enum_class is not None
                value: Any = next(iter(column.type.enum_class))
            else:
                value = next((v for kind, v in samples if isinstance(column.type, kind)), None)
                if value is None:
                    continue
            core = column.type.dialect_impl(dialect).bind_processor(dialect)
            fast = demo.sqlite_converter(column.type, dialect)
            expected = core(value) if core else value
            assert (fast(value) if fast else value) == expected, (table.name, column.name)
            checked += 1
    assert checked > 100


async def test_demo_province_loads_on_every_backend(db: Database) -> None:
    counts = await demo.generate(db, orgs=8, members=200, years=1, seed=5, today=TODAY)
    assert counts.rows["people"] == 200 and counts.rows["attendances"] > 1000
    async with db.session() as session:
        duties = (await session.scalars(select(Duty).order_by(Duty.id))).all()
        assert duties[0].lead_days and duties[0].audience  # JSON lists came back as lists
        closed = (await session.scalars(
            select(Meeting).where(Meeting.state == "closed").order_by(Meeting.id).limit(1)
        )).one()
        assert closed.starts_at.tzinfo is not None and closed.closed_at is not None
        person = Person(telegram_id=1)  # ids continue after the generated ones
        session.add(person)
        await session.flush()
        assert person.id == 201
    with pytest.raises(demo.DemoError, match="--members must be at least"):
        await demo.generate(db, orgs=8, members=10, years=1, seed=5, today=TODAY)


async def test_two_instances_migrating_a_fresh_postgres_database_both_come_up(
    tmp_path: Path, postgres_target: str
) -> None:
    """Several instances start together: migrations run once, under a lock, and none crashes."""
    env = _env(tmp_path / "unused.db", BRANCHBOT_DATABASE_URL=postgres_target)
    for _attempt in range(3):  # the race is not certain on one try
        results = await asyncio.gather(*(_branchbot(env, "db", "upgrade") for _ in range(3)))
        for code, out, err in results:
            assert code == 0, err
            assert "database is up to date" in out
        name = postgres_target.rsplit("/", 1)[1]  # fresh again for the next try
        await _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await _pg_admin(f"CREATE DATABASE {name}")
