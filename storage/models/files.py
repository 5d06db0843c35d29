"""The project's own copy of every file people hand in (minutes, certificates, duty
documents): one row per Telegram file, and the bytes themselves for the database store."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, string_enum, utcnow


class FileState(enum.StrEnum):
    PENDING = "pending"  # recorded, not downloaded yet (or waiting for a retry)
    STORED = "stored"  # in the file store, with its sha256
    FAILED = "failed"  # Telegram refused it or the retries ran out
    TOO_BIG = "too_big"  # over what getFile serves (20 MB): never downloaded


class StoredFile(Base):
    """A Telegram file the bot keeps a copy of; the fetcher (reminders/files.py) fills it."""

    __tablename__ = "stored_files"
    # The fetcher's question: which pending rows are due.
    __table_args__ = (Index("ix_stored_files_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_file_id: Mapped[str] = mapped_column(String(200), unique=True)
    telegram_file_unique_id: Mapped[str | None] = mapped_column(String(64))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    file_name: Mapped[str | None] = mapped_column(String(200))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    state: Mapped[FileState] = mapped_column(string_enum(FileState), default=FileState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # NULL: due at once (recorded by a handler, which has no clock of the fetcher's).
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    stored_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(500))


class StoredFileContent(Base):
    """The bytes of a stored file, by hash (BRANCHBOT_FILE_STORE=database)."""

    __tablename__ = "stored_file_contents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
