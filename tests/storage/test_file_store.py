"""The file store in storage, on SQLite and PostgreSQL: every place that records a file
records its pending stored_files row in the same transaction; the fetcher (with a stand-in for
the bot) stores the bytes by hash in either store, marks too-big files without a download and
retries failures; who may see a file; backup and restore carry the directory store's files,
and the move to PostgreSQL carries the file tables.
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram.error import BadRequest, NetworkError

from reminders.files import FileFetcher
from rules.permissions import Actor
from rules.vocabulary import MeetingKind
from storage import duties, files, people
from storage import meetings as meeting_store
from storage import training as training_store
from storage.db import Database
from storage.migrate import upgrade
from storage.models import FileState, StoredFile, StoredFileContent
from tests.storage.test_meetings_storage import BEFORE, T0
from tests.storage.test_ops_cli import _branchbot, _env, postgres_target  # noqa: F401
from tests.storage.test_training_storage import PDF, PHOTO, build_tree, draft, log

NOW = datetime(2030, 6, 30, 8, tzinfo=UTC)


@dataclass
class FakeFile:
    data: bytes
    file_path: str | None = "documents/file_1.pdf"

    @property
    def file_size(self) -> int:
        return len(self.data)

    async def download_as_bytearray(self) -> bytearray:
        return bytearray(self.data)


@dataclass
class FakeBot:
    """What the fetcher asks of the bot: getFile, then the download."""

    contents: dict[str, bytes]
    failures: list[Exception] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)

    async def get_file(self, file_id: str) -> FakeFile:
        self.asked.append(file_id)
        if self.failures:
            raise self.failures.pop(0)
        if file_id not in self.contents:
            raise BadRequest("Bad Request: invalid file_id")
        return FakeFile(self.contents[file_id])


async def rows(db: Database) -> list[StoredFile]:
    async with db.session() as session:
        return list((await session.scalars(select(StoredFile).order_by(StoredFile.id))).all())


def fetcher(db: Database, bot: FakeBot, store: files.FileStore, now: list[datetime]
            ) -> FileFetcher:
    return FileFetcher(db, bot, store, clock=lambda: now[0])  # type: ignore[arg-type]


async def test_every_recorded_file_is_remembered_in_its_transaction(db: Database) -> None:
    tree = await build_tree(db)
    record_id = await log(db, tree.m1, draft(), evidence=[PHOTO, PDF])
    async with db.session() as session:
        meeting = await meeting_store.schedule(
            session, meeting_store.MeetingPlan(
                org_id=tree.branch_a, kind=MeetingKind.ASSEMBLY, starts_at=T0,
                ends_at=T0 + timedelta(hours=1), topic="assembly", place="Room 1",
                latitude=None, longitude=None, party_group_id=None,
            ), created_by=tree.secretary_a.telegram_id, now=BEFORE,
        )
        await meeting_store.add_file(session, meeting, telegram_file_id="minutes-1",
                                     kind="photo", file_name=None, by=1)
        await meeting_store.add_file(session, meeting, telegram_file_id="minutes-2",
                                     kind="document", file_name="sign-in.pdf", by=1)
        await duties.ensure_default_duties(session, NOW)
        [duty, *_rest] = await duties.calendar(session, None)
        assert await duties.complete(session, duty, tree.branch_a, "2030", by=1,
                                     file_id="duty-doc", file_name="report.pdf")
        assert await duties.complete(session, duty, tree.branch_b, "2030", by=1)  # no file
    # The same file attached again (another record) is one row.
    await log(db, tree.m2, draft(), evidence=[PDF])
    # A transaction that fails records nothing.
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            await files.remember_file(session, "never-committed")
            raise RuntimeError
    found = {r.telegram_file_id: r for r in await rows(db)}
    assert sorted(found) == ["duty-doc", "file-1", "file-2", "minutes-1", "minutes-2"]
    assert all(r.state is FileState.PENDING and r.attempts == 0 for r in found.values())
    assert (found["file-2"].mime_type, found["file-2"].file_name,
            found["file-2"].telegram_file_unique_id) == ("application/pdf",
                                                         "certificate.pdf", "uniq-2")
    assert found["minutes-1"].mime_type == "image/jpeg" and found["minutes-2"].mime_type is None
    assert found["duty-doc"].file_name == "report.pdf"
    async with db.session() as session:  # evidence added later is remembered too
        await training_store.add_evidence(
            session, record_id, training_store.EvidenceFile("file-3", "uniq-3", "image/jpeg",
                                                            10, None), by=tree.m1.telegram_id)
    assert "file-3" in {r.telegram_file_id for r in await rows(db)}


@pytest.mark.parametrize("kind", ["directory", "database"])
async def test_the_fetcher_stores_by_hash_and_settles_every_row(
    db: Database, tmp_path: Path, kind: str
) -> None:
    pdf, photo = b"%PDF-1.4 certificate", b"\xff\xd8\xff photo"
    async with db.session() as session:
        await files.remember_file(session, "pdf", file_name="certificate.pdf")
        await files.remember_file(session, "photo", mime_type="image/jpeg")
        await files.remember_file(session, "huge", size_bytes=25 * 1024 * 1024)
        await files.remember_file(session, "gone")
        await files.remember_file(session, "flaky")
    bot = FakeBot({"pdf": pdf, "photo": photo, "flaky": pdf})
    bot.failures.append(NetworkError("connection reset"))  # the first getFile ("pdf")
    store = files.open_store(kind, db, tmp_path / "files")
    now = [NOW]
    fetch = fetcher(db, bot, store, now)
    await fetch.fetch_due()
    found = {r.telegram_file_id: r for r in await rows(db)}
    assert "huge" not in bot.asked  # over 20 MB as recorded: never asked for
    assert found["huge"].state is FileState.TOO_BIG
    retried = [r for r in found.values() if r.state is FileState.PENDING]
    assert len(retried) == 2  # the network failure, and the file Telegram does not know
    assert all(r.next_attempt_at == NOW + timedelta(seconds=10) for r in retried)
    # Not due yet: nothing happens; due: retried (the unknown file gives up after 3 tries).
    assert await fetch.fetch_due() == 0
    for minutes in (1, 2, 3):
        now[0] = NOW + timedelta(minutes=minutes)
        await fetch.fetch_due()
    found = {r.telegram_file_id: r for r in await rows(db)}
    assert {k: r.state for k, r in found.items()} == {
        "pdf": FileState.STORED, "photo": FileState.STORED, "huge": FileState.TOO_BIG,
        "gone": FileState.FAILED, "flaky": FileState.STORED,
    }
    gone = found["gone"]
    assert gone.attempts == 3 and "invalid file_id" in (gone.last_error or "").lower()
    for name, data, mime in (("pdf", pdf, "application/pdf"), ("photo", photo, "image/jpeg")):
        row = found[name]
        assert row.sha256 == hashlib.sha256(data).hexdigest() and row.size_bytes == len(data)
        assert row.mime_type == mime and row.stored_at is not None
        assert await store.get(row.sha256) == data
    # One copy per distinct content ("pdf" and "flaky" hold the same bytes).
    if kind == "database":
        async with db.session() as session:
            assert await session.scalar(select(func.count()).select_from(StoredFileContent)) == 2
    else:
        assert len([p for p in (tmp_path / "files").rglob("*") if p.is_file()]) == 2
    async with db.session() as session:
        assert await files.counts(session) == {
            FileState.STORED: 3, FileState.TOO_BIG: 1, FileState.FAILED: 1}


class DownStore:
    """A store that is briefly down (a full disk, a database that does not answer)."""

    def __init__(self, inner: files.FileStore, failures: int) -> None:
        self.inner, self.failures = inner, failures

    async def put(self, sha256: str, data: bytes) -> None:
        if self.failures:
            self.failures -= 1
            raise OSError(28, "No space left on device")
        await self.inner.put(sha256, data)

    async def get(self, sha256: str) -> bytes | None:
        return await self.inner.get(sha256)


async def test_a_store_that_is_down_is_retried(db: Database, tmp_path: Path) -> None:
    async with db.session() as session:
        await files.remember_file(session, "doc", file_name="minutes.pdf")
    store = DownStore(files.DirectoryStore(tmp_path / "files"), failures=2)
    now = [NOW]
    fetch = fetcher(db, FakeBot({"doc": b"%PDF minutes"}), store, now)
    await fetch.fetch_due()
    [row] = await rows(db)
    assert row.state is FileState.PENDING and "No space left" in (row.last_error or "")
    now[0] = NOW + timedelta(seconds=10)
    await fetch.fetch_due()
    [row] = await rows(db)
    assert row.state is FileState.PENDING and row.attempts == 2
    assert row.next_attempt_at == now[0] + timedelta(seconds=20)  # backing off
    now[0] += timedelta(seconds=20)
    await fetch.fetch_due()
    [row] = await rows(db)
    assert row.state is FileState.STORED and row.stored_at == now[0] and row.attempts == 3
    assert row.last_error is None and row.mime_type == "application/pdf"


async def test_who_may_see_a_file(db: Database) -> None:
    tree = await build_tree(db)
    await log(db, tree.m1, draft(), evidence=[PDF])
    async with db.session() as session:
        row = await session.scalar(select(StoredFile))
        assert row is not None
        row.state, row.sha256 = FileState.STORED, "0" * 64
    async with db.session() as session:

        async def sees(telegram_id: int, *, admin: bool = False) -> bool:
            actor = await people.load_actor(
                session, telegram_id, admins=frozenset({telegram_id}) if admin else frozenset(),
                language="en")
            return await files.visible_file(session, row.id, actor) is not None

        assert await sees(tree.m1.telegram_id)  # the member whose record it is
        assert await sees(tree.secretary_a.telegram_id)  # the branch's secretary
        assert await sees(9_999, admin=True)
        for refused in (tree.m2, tree.committee_a, tree.secretary_b, tree.secretary_c):
            assert not await sees(refused.telegram_id), refused
        assert not await sees(9_999)  # a stranger
        assert not files.may_see(Actor(telegram_id=5, language="en"), {1}, {2})


def _sqlite_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as connection, connection:
        return connection.execute(sql).fetchall()


async def _stored_database(path: Path, folder: Path) -> dict[str, bytes]:
    """A SQLite database with two stored files in a directory store; their bytes by hash."""
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)
    database = Database(url)
    contents = {"a": b"minutes photo", "b": b"%PDF certificate"}
    try:
        async with database.session() as session:
            for name in contents:
                await files.remember_file(session, name)
        await fetcher(database, FakeBot(contents), files.DirectoryStore(folder),
                      [NOW]).fetch_due()
    finally:
        await database.dispose()
    return {hashlib.sha256(data).hexdigest(): data for data in contents.values()}


async def test_backup_and_restore_carry_the_directory_store(tmp_path: Path) -> None:
    live, store = tmp_path / "live.db", tmp_path / "files"
    stored = await _stored_database(live, store)
    copy = tmp_path / "backup.db"
    code, out, err = await _branchbot(_env(live), "backup", str(copy))
    assert code == 0, err
    assert "files: 2 copied" in out
    for sha256, data in stored.items():
        assert files.path_in(tmp_path / "backup.db.files", sha256).read_bytes() == data
    code, out, err = await _branchbot(_env(live), "backup", str(copy), "--force")
    assert code == 0 and "files: 0 copied (0 bytes), 2 already in" in out, err

    # Restore on another machine: an empty database and an empty file folder.
    other_dir = tmp_path / "elsewhere"
    other_dir.mkdir()
    other, other_files = other_dir / "bot.db", other_dir / "store"
    await upgrade(f"sqlite+aiosqlite:///{other}")
    code, out, err = await _branchbot(
        _env(other, BRANCHBOT_FILE_DIR=str(other_files)), "restore", str(copy), "--yes")
    assert code == 0, err
    assert "files: 2 copied" in out
    assert _sqlite_rows(other, "SELECT count(*) FROM stored_files WHERE state = 'stored'") == [
        (2,)]
    for sha256, data in stored.items():
        assert files.path_in(other_files, sha256).read_bytes() == data

    # A damaged file in the backup is not restored, and the command says so.
    damaged = files.path_in(tmp_path / "backup.db.files", next(iter(stored)))
    damaged.write_bytes(b"not what was stored")
    fresh = other_dir / "fresh"
    code, out, err = await _branchbot(
        _env(other, BRANCHBOT_FILE_DIR=str(fresh)), "restore", str(copy), "--yes")
    assert code == 1 and "does not match its hash" in err and "1 stored files are missing" in err


async def test_the_move_to_postgres_carries_the_file_tables(
    tmp_path: Path, postgres_target: str  # noqa: F811
) -> None:
    source = tmp_path / "source.db"
    stored = await _stored_database(source, tmp_path / "files")
    source_url = f"sqlite+aiosqlite:///{source}"
    database = Database(source_url)
    try:  # the database store's bytes too
        await files.DatabaseStore(database).put(*next(iter(stored.items())))
    finally:
        await database.dispose()
    code, out, err = await _branchbot(
        _env(source), "migrate-sqlite-to-postgres", "--to", postgres_target)
    assert code == 0, err + out
    assert "stored_files" in out and "stored_file_contents" in out and "MISMATCH" not in out
    assert f"the directory store stays in {(tmp_path / 'files').resolve()}" in out
    target = Database(postgres_target)
    try:
        async with target.session() as session:
            moved = list((await session.scalars(select(StoredFile))).all())
            assert {r.sha256 for r in moved} == set(stored)
            assert all(r.state is FileState.STORED for r in moved)
        sha256, data = next(iter(stored.items()))
        assert await files.DatabaseStore(target).get(sha256) == data
    finally:
        await target.dispose()


async def test_files_recorded_before_the_migration_become_pending(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url, "0018")
    with closing(sqlite3.connect(path)) as connection, connection:  # foreign keys off here
        connection.executemany(
            "INSERT INTO meeting_files (meeting_id, telegram_file_id, kind, file_name, added_by,"
            " added_at) VALUES (1, ?, ?, ?, 1, '2026-01-01 00:00:00')",
            [("m1", "photo", None), ("m2", "document", "a.pdf"), ("shared", "document", None)],
        )
        connection.execute(
            "INSERT INTO training_evidence (record_id, telegram_file_id, telegram_file_unique_id,"
            " mime_type, size_bytes, file_name, added_by, added_at) VALUES"
            " (1, 'shared', 'u1', 'application/pdf', 10, 'c.pdf', 1, '2026-01-01 00:00:00')")
        connection.execute(
            "INSERT INTO duty_completions (duty_id, party_organization_id, occurrence, done_at,"
            " done_by, file_id, file_name) VALUES"
            " (1, 1, '2026', '2026-01-01 00:00:00', 1, 'd1', 'r.pdf'),"
            " (1, 2, '2026', '2026-01-01 00:00:00', 1, NULL, NULL)")
    await upgrade(url)
    database = Database(url)
    try:
        found = {r.telegram_file_id: r for r in await rows(database)}
    finally:
        await database.dispose()
    assert sorted(found) == ["d1", "m1", "m2", "shared"]
    assert all(r.state is FileState.PENDING and r.next_attempt_at is None
               for r in found.values())
    assert (found["m2"].file_name, found["d1"].file_name) == ("a.pdf", "r.pdf")
