"""The stored_files rows: recorded pending where a file is accepted, claimed by the fetcher
(reminders/files.py), settled as stored, retried, failed or too big."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.models import FileState, StoredFile

logger = logging.getLogger(__name__)

TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile serves files up to 20 MB
CLAIM_LEASE = timedelta(minutes=5)  # a claimed row is another fetcher's after this
MAX_ATTEMPTS = 20  # with the backoff capped at an hour: about 13 hours of outage
_NEW_FILES = "branchbot_new_files"  # session.info flag: remember_file added a row
_listeners: list[Callable[[], None]] = []


@dataclass(frozen=True)
class Claimed:
    """A pending file the fetcher downloads now."""

    id: int
    telegram_file_id: str
    mime_type: str | None
    file_name: str | None
    size_bytes: int | None
    attempts: int  # including this one


async def remember_file(
    session: AsyncSession, file_id: str, *, unique_id: str | None = None,
    mime_type: str | None = None, file_name: str | None = None, size_bytes: int | None = None,
) -> None:
    """Record a file to keep, pending, in the caller's transaction (once per file id)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values: dict[str, Any] = {
        "telegram_file_id": file_id, "telegram_file_unique_id": unique_id,
        "mime_type": mime_type, "file_name": file_name, "size_bytes": size_bytes,
        "state": FileState.PENDING, "attempts": 0,
    }
    statement = insert(StoredFile).values(**values)
    await session.execute(statement.on_conflict_do_nothing(index_elements=["telegram_file_id"]))
    session.info[_NEW_FILES] = True


def on_new_files(listener: Callable[[], None]) -> Callable[[], None]:
    """Call `listener` after a commit that recorded files (the fetcher's wake); returns the
    function that removes it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_NEW_FILES, False):
        for listener in list(_listeners):
            try:
                listener()
            except Exception:  # a wake that fails leaves the rows to the next sweep
                logger.exception("file fetcher wake failed")


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_NEW_FILES, None)


def _due(now: datetime) -> Any:
    return (StoredFile.state == FileState.PENDING) & or_(
        StoredFile.next_attempt_at.is_(None), StoredFile.next_attempt_at <= now
    )


async def claim_due(
    session: AsyncSession, now: datetime, *, limit: int, lease: timedelta = CLAIM_LEASE
) -> list[Claimed]:
    """Take up to `limit` due pending rows: counted as an attempt and held for `lease`, so
    another instance's fetcher leaves them alone (a crash releases them when it ends)."""
    query = select(StoredFile).where(_due(now)).order_by(StoredFile.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list((await session.scalars(query)).all())
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = now + lease
    await session.flush()
    return [Claimed(r.id, r.telegram_file_id, r.mime_type, r.file_name, r.size_bytes,
                    r.attempts) for r in rows]


async def mark_stored(
    session: AsyncSession, file_id: int, *, sha256: str, size_bytes: int, mime_type: str,
    now: datetime,
) -> None:
    await session.execute(
        update(StoredFile).where(StoredFile.id == file_id).values(
            state=FileState.STORED, sha256=sha256, size_bytes=size_bytes, mime_type=mime_type,
            stored_at=now, next_attempt_at=None, last_error=None,
        )
    )


async def mark_retry(session: AsyncSession, file_id: int, *, error: str, at: datetime) -> None:
    await session.execute(
        update(StoredFile).where(StoredFile.id == file_id)
        .values(next_attempt_at=at, last_error=error[:500])
    )


async def mark_given_up(
    session: AsyncSession, file_id: int, *, state: FileState, error: str,
    size_bytes: int | None = None,
) -> None:
    """Settle a file that will not be downloaded: FAILED or TOO_BIG."""
    values: dict[str, Any] = {"state": state, "next_attempt_at": None, "last_error": error[:500]}
    if size_bytes is not None:
        values["size_bytes"] = size_bytes
    await session.execute(update(StoredFile).where(StoredFile.id == file_id).values(**values))


async def next_due(session: AsyncSession) -> datetime | None:
    """When the next pending row falls due (None when none is waiting for a time)."""
    return await session.scalar(
        select(func.min(StoredFile.next_attempt_at)).where(StoredFile.state == FileState.PENDING)
    )


async def any_due_now(session: AsyncSession, now: datetime) -> bool:
    return bool(await session.scalar(select(select(StoredFile.id).where(_due(now)).exists())))


async def counts(session: AsyncSession) -> dict[FileState, int]:
    """Rows per state (for the operator and the tests)."""
    found = await session.execute(
        select(StoredFile.state, func.count()).group_by(StoredFile.state)
    )
    return {state: count for state, count in found.all()}
