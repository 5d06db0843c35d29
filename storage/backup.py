"""Backups of the SQLite database (`branchbot backup FILE`, `branchbot restore FILE`).

A backup is taken online while the bot runs: SQLite's backup API copies every page in one
read transaction on its own connection, which in WAL mode sees one consistent snapshot and
does not hold up the bot's writers. It goes to a temporary file next to FILE and is renamed
into place only after `PRAGMA integrity_check` passed, so FILE is never half written.

A restore checks the file first (a SQLite database, a branchbot schema at a known migration
revision, integrity_check ok), keeps the current database as DB.bak-<UTC timestamp> (again
by the backup API, so its WAL content is included), writes the file's pages into the
database through the backup API (never by replacing files under a running process), and
then applies the migrations. Stop the bot before restoring.

The directory file store (storage/files) goes beside the backup: FILE.files/, laid out as
the store (ab/cd/<sha256>). Files are named by their hash, so a backup taken again with
--force copies only the new ones, and each copied file is checked against its name. A restore
copies into the store the files it lacks (it deletes none: a file the restored database does
not know is harmless). With the database store the files are inside FILE already.

PostgreSQL is backed up with its own tools (printed by `branchbot backup` as a hint)::

    pg_dump --format=custom --file=FILE 'postgresql://USER@HOST:PORT/DB'
    pg_restore --clean --if-exists --dbname='postgresql://USER@HOST:PORT/DB' FILE
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.db import SQLITE_BUSY_TIMEOUT_MS, is_sqlite

# Tables every branchbot database has had since the first migration.
CORE_TABLES = frozenset({"people", "memberships", "party_organizations", "alembic_version"})


class BackupError(Exception):
    """A backup or restore refused or failed; the message is one line for the operator."""


@dataclass(frozen=True)
class Checked:
    """What a database file was found to be."""

    path: Path
    revision: str
    tables: int
    size: int


def sqlite_path(url: str) -> Path:
    """The file behind a sqlite URL; BackupError for PostgreSQL or an in-memory database."""
    if not is_sqlite(url):
        raise BackupError("not a SQLite database URL")
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("the SQLite database is in memory: nothing to back up")
    return Path(database)


def pg_dump_command(url: str, file: str) -> str:
    """The pg_dump command line for a PostgreSQL URL (the async driver name dropped)."""
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=True)
    return f"pg_dump --format=custom --file={file} '{plain}'"


def pg_restore_command(url: str, file: str) -> str:
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=True)
    return f"pg_restore --clean --if-exists --dbname='{plain}' {file}"


def _connect(path: Path, *, existing: bool = False) -> sqlite3.Connection:
    # Not mode=ro: a read-only connection to a WAL file leaves its -wal and -shm behind.
    target = f"file:{path}?mode=rw" if existing else f"file:{path}?mode=rwc"
    connection = sqlite3.connect(target, uri=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    return connection


def _copy_pages(source: sqlite3.Connection, target_path: Path) -> None:
    target = _connect(target_path)
    try:
        source.backup(target)  # pages=-1: all pages in one step, one consistent snapshot
    finally:
        target.close()


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {revision.revision for revision in script.walk_revisions()}


def check_file(path: Path) -> Checked:
    """A branchbot SQLite database at a known revision that passes integrity_check."""
    if not path.is_file():
        raise BackupError(f"file not found: {path}")
    try:
        connection = _connect(path, existing=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: cannot open: {exc}") from None
    try:
        try:
            tables = {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path}: not a SQLite database ({exc})") from None
        if not CORE_TABLES <= tables:
            missing = ", ".join(sorted(CORE_TABLES - tables))
            raise BackupError(f"{path}: not a branchbot database (no {missing} table)")
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        if revision is None or revision[0] not in known_revisions():
            found = revision[0] if revision else "none"
            raise BackupError(f"{path}: unknown migration revision {found} "
                              "(made by a newer branchbot?)")
        try:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path}: integrity check failed: {exc}") from None
        if problems != ["ok"]:
            lines = [line for problem in problems for line in problem.splitlines()]
            raise BackupError(f"{path}: integrity check failed: {lines[0]}"
                              + (f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""))
        return Checked(path, revision[0], len(tables), path.stat().st_size)
    finally:
        connection.close()


def backup(url: str, file: Path, *, force: bool = False) -> Checked:
    """Copy the live database at url to file, consistently, while the bot may be writing."""
    source_path = sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(f"database file not found: {source_path}")
    if file.exists() and not force:
        raise BackupError(f"{file} exists; use --force to overwrite it")
    if file.resolve() == source_path.resolve():
        raise BackupError("the backup file is the database itself")
    if not file.parent.is_dir():
        raise BackupError(f"folder not found: {file.parent}")
    partial = file.with_name(f".{file.name}.partial-{os.getpid()}")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    try:
        source = _connect(source_path, existing=True)
        try:
            _copy_pages(source, partial)
        finally:
            source.close()
        checked = check_file(partial)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, file)
    except sqlite3.Error as exc:
        raise BackupError(f"backup failed: {exc}") from None
    finally:
        for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            leftover.unlink(missing_ok=True)
    return Checked(file, checked.revision, checked.tables, file.stat().st_size)


def restore(url: str, file: Path) -> tuple[Checked, Path | None]:
    """Write a checked backup into the database at url; returns it and the kept previous copy.

    The caller asks for confirmation first and applies the migrations afterwards.
    """
    target_path = sqlite_path(url)
    checked = check_file(file)
    if target_path.exists() and file.resolve() == target_path.resolve():
        raise BackupError("the file to restore is the database itself")
    kept: Path | None = None
    try:
        if target_path.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            kept = target_path.with_name(f"{target_path.name}.bak-{stamp}")
            if kept.exists():
                raise BackupError(f"{kept} exists; try again in a second")
            current = _connect(target_path, existing=True)
            try:
                _copy_pages(current, kept)
            finally:
                current.close()
        elif not target_path.parent.is_dir():
            raise BackupError(f"folder not found: {target_path.parent}")
        source = _connect(file, existing=True)
        try:
            _copy_pages(source, target_path)
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(f"restore failed: {exc}") from None
    return checked, kept


@dataclass(frozen=True)
class FilesCopied:
    """The file store's part of a backup or restore."""

    folder: Path
    copied: int  # files written now
    present: int  # files that were there already
    bytes: int  # of the files written now
    bad: tuple[str, ...] = ()  # names whose content does not match (skipped)
    missing: tuple[str, ...] = ()  # stored in the database, in neither folder


def files_folder(file: Path) -> Path:
    """Where a backup FILE keeps the directory store's files: FILE.files/ beside it."""
    return file.with_name(f"{file.name}.files")


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def copy_files(source: Path, target: Path) -> FilesCopied:
    """Copy the content-addressed files of `source` that `target` lacks, each checked against
    its hash, written under a temporary name and renamed."""
    from storage.files import SHA256, path_in

    copied = present = size = 0
    bad: list[str] = []
    if not source.is_dir():
        return FilesCopied(target, 0, 0, 0)
    for path in sorted(source.glob("??/??/*")):
        if not (path.is_file() and SHA256.fullmatch(path.name)):
            continue
        destination = path_in(target, path.name)
        if destination.is_file():
            present += 1
            continue
        if _hash_file(path) != path.name:
            bad.append(path.name)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(f".{path.name}.partial-{os.getpid()}")
        try:
            with open(path, "rb") as reader, open(partial, "wb") as writer:
                for chunk in iter(lambda: reader.read(1 << 20), b""):
                    writer.write(chunk)
                writer.flush()
                os.fsync(writer.fileno())
            os.replace(partial, destination)
        finally:
            partial.unlink(missing_ok=True)
        copied += 1
        size += destination.stat().st_size
    return FilesCopied(target, copied, present, size, tuple(bad))


def stored_hashes(database: Path) -> set[str]:
    """The hashes a SQLite database lists as stored (none before migration 0020)."""
    connection = _connect(database, existing=True)
    try:
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "stored_files" not in tables:
            return set()
        return {row[0] for row in connection.execute(
            "SELECT DISTINCT sha256 FROM stored_files WHERE state = 'stored'"
            " AND sha256 IS NOT NULL")}
    finally:
        connection.close()


def backup_files(store: Path, file: Path) -> FilesCopied:
    """After `backup`: the directory store's files into FILE.files/, and which files the
    backed-up database lists that neither the store nor FILE.files/ has."""
    from storage.files import path_in

    done = copy_files(store, files_folder(file))
    missing = sorted(h for h in stored_hashes(file) if not path_in(done.folder, h).is_file())
    return FilesCopied(done.folder, done.copied, done.present, done.bytes, done.bad,
                       tuple(missing))


def restore_files(file: Path, store: Path) -> FilesCopied | None:
    """After `restore`: the files of FILE.files/ the store lacks (None: no such folder)."""
    from storage.files import path_in

    folder = files_folder(file)
    if not folder.is_dir():
        return None
    done = copy_files(folder, store)
    missing = sorted(h for h in stored_hashes(file) if not path_in(store, h).is_file())
    return FilesCopied(store, done.copied, done.present, done.bytes, done.bad, tuple(missing))
