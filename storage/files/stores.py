"""Where the bytes go: a directory (the default) or the database, behind one small interface.

Both are content-addressed by sha256: one copy per distinct file, written before its row is
marked stored, so a stored row always has its bytes. There is no S3-compatible store yet: no
S3 client is installed here to test against; the interface is what one would implement.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from storage.db import Database, is_sqlite
from storage.models import StoredFileContent

SHA256 = re.compile(r"[0-9a-f]{64}")
DIRECTORY, DATABASE = "directory", "database"
STORE_KINDS = (DIRECTORY, DATABASE)


class FileStore(Protocol):
    """Keeps bytes by their sha256."""

    async def put(self, sha256: str, data: bytes) -> None: ...

    async def get(self, sha256: str) -> bytes | None: ...


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def default_file_dir(database_url: str) -> Path:
    """A `files` folder next to the SQLite database file (else in the working directory)."""
    if is_sqlite(database_url):
        database = make_url(database_url).database
        if database and database != ":memory:":
            return Path(database).parent / "files"
    return Path("files")


def path_in(root: Path, sha256: str) -> Path:
    """ab/cd/abcd…: two levels of folders keep any one folder small."""
    if not SHA256.fullmatch(sha256):
        raise ValueError("not a sha256 hex digest")
    return root / sha256[:2] / sha256[2:4] / sha256


class DirectoryStore:
    """Files under a folder, named by their hash; written to a temporary name, then renamed."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _put(self, sha256: str, data: bytes) -> None:
        target = path_in(self.root, sha256)
        if target.is_file() and target.stat().st_size == len(data):
            return  # content-addressed: the same bytes are there already
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{sha256}.partial-{os.getpid()}")
        with open(partial, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)

    def _get(self, sha256: str) -> bytes | None:
        target = path_in(self.root, sha256)
        return target.read_bytes() if target.is_file() else None

    async def put(self, sha256: str, data: bytes) -> None:
        await asyncio.to_thread(self._put, sha256, data)

    async def get(self, sha256: str) -> bytes | None:
        return await asyncio.to_thread(self._get, sha256)


class DatabaseStore:
    """The bytes in stored_file_contents: every instance on one PostgreSQL database sees them."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def put(self, sha256: str, data: bytes) -> None:
        async with self.database.session() as session:
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            # Two instances storing the same bytes at once: the second insert does nothing.
            await session.execute(
                insert(StoredFileContent).values(sha256=sha256, data=data)
                .on_conflict_do_nothing(index_elements=["sha256"])
            )

    async def get(self, sha256: str) -> bytes | None:
        async with self.database.session() as session:
            return await session.scalar(
                select(StoredFileContent.data).where(StoredFileContent.sha256 == sha256)
            )


def open_store(kind: str, database: Database, directory: Path | None) -> FileStore:
    """The store the settings name (BRANCHBOT_FILE_STORE, BRANCHBOT_FILE_DIR)."""
    if kind == DATABASE:
        return DatabaseStore(database)
    if kind == DIRECTORY:
        return DirectoryStore(directory or default_file_dir(database.url))
    raise ValueError(f"unknown file store {kind!r}")
