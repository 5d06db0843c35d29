"""The file fetcher: downloads the files people handed in into the project's own file store.

Like the courier (reminders/delivery.py) the database is the source of truth and the JobQueue
only wakes it: a sweep at start and every FETCH_EVERY, a wake right after a transaction that
recorded files (storage/files `on_new_files`), and one at the next retry. It claims due pending
rows of stored_files, asks Telegram for each file (getFile; files over 20 MB, which getFile
does not serve, are marked too_big without a download), downloads it to memory, hashes it,
stores it and marks it stored. A failure is retried with the courier's backoff; a refusal
(a file id Telegram does not know) is marked failed. It runs as a job, never in a handler, so
a slow or unreachable Telegram or store delays nothing in the chat.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from telegram import Bot
from telegram.error import BadRequest, TelegramError
from telegram.ext import CallbackContext, JobQueue

from handlers.kit.context import BranchServices
from reminders.delivery import backoff
from storage import files
from storage.db import Database
from storage.files import Claimed, FileStore
from storage.models import FileState

logger = logging.getLogger(__name__)

FETCH_EVERY = timedelta(seconds=60)  # also picks up rows another instance recorded
BATCH = 8  # files claimed at once
CONCURRENT_DOWNLOADS = 2  # at most this many files in memory at once
SWEEP_JOB = "file-fetch-sweep"
WAKE_JOB = "file-fetch-wake"
_LATE_IS_FINE = {"misfire_grace_time": None}


class FetcherHost(BranchServices, Protocol):
    """The running bot as the fetcher's jobs see it (bot/application.py implements it)."""

    @property
    def file_fetcher(self) -> FileFetcher: ...


class FileFetcher:
    """Claims due files, downloads a few at a time, settles each as it is stored."""

    def __init__(
        self, database: Database, bot: Bot, store: FileStore, *,
        clock: Callable[[], datetime] | None = None, batch: int = BATCH,
        concurrency: int = CONCURRENT_DOWNLOADS,
        limit_bytes: int = files.TELEGRAM_DOWNLOAD_LIMIT,
    ) -> None:
        self.database = database
        self.bot = bot
        self.store = store
        self.clock = clock or (lambda: datetime.now(UTC))  # the bot passes its one clock
        self.batch = batch
        self.concurrency = concurrency
        self.limit_bytes = limit_bytes
        self._running = asyncio.Lock()
        self.stored = 0
        self.retried = 0
        self.failed = 0

    async def fetch_due(self) -> int:
        """Download everything due now; returns how many rows were settled or rescheduled."""
        async with self._running:
            done = 0
            while True:
                async with self.database.session() as session:
                    claimed = await files.claim_due(session, self.clock(), limit=self.batch)
                if not claimed:
                    return done
                downloads = asyncio.Semaphore(self.concurrency)

                async def one(row: Claimed, downloads: asyncio.Semaphore = downloads) -> None:
                    async with downloads:
                        await self._fetch(row)

                await asyncio.gather(*(one(row) for row in claimed))
                done += len(claimed)

    async def _fetch(self, row: Claimed) -> None:
        try:
            if row.size_bytes is not None and row.size_bytes > self.limit_bytes:
                await self._give_up(row, FileState.TOO_BIG, "over 20 MB", row.size_bytes)
                return
            telegram_file = await self.bot.get_file(row.telegram_file_id)
            size = telegram_file.file_size
            if size is not None and size > self.limit_bytes:
                await self._give_up(row, FileState.TOO_BIG, "over 20 MB", size)
                return
            data = bytes(await telegram_file.download_as_bytearray())
            sha256 = files.sha256_of(data)
            await self.store.put(sha256, data)
            mime = row.mime_type or guess_mime(row.file_name, telegram_file.file_path)
            async with self.database.session() as session:
                await files.mark_stored(session, row.id, sha256=sha256, size_bytes=len(data),
                                        mime_type=mime, now=self.clock())
            self.stored += 1
        except BadRequest as exc:
            if "too big" in exc.message.lower():
                await self._give_up(row, FileState.TOO_BIG, exc.message)
            elif row.attempts >= 3:  # Telegram does not know the file: a few tries, then stop
                await self._give_up(row, FileState.FAILED, exc.message)
            else:
                await self._retry(row, exc.message)
        except (TelegramError, OSError) as exc:  # network, 5xx, timeouts; a full disk
            if row.attempts >= files.MAX_ATTEMPTS:
                await self._give_up(row, FileState.FAILED, f"gave up: {exc}")
            else:
                await self._retry(row, str(exc))
        except Exception as exc:  # the database store down: its row stays claimed, retried
            logger.exception("storing file %s failed", row.id)
            try:
                await self._retry(row, f"{type(exc).__name__}: {exc}")
            except Exception:
                logger.warning("file %s: retry not recorded; its claim lapses", row.id)

    async def _retry(self, row: Claimed, error: str) -> None:
        at = self.clock() + backoff(row.attempts)
        logger.warning("file %s not stored (attempt %d): %s; again at %s", row.id,
                       row.attempts, error, at.isoformat(timespec="seconds"))
        async with self.database.session() as session:
            await files.mark_retry(session, row.id, error=error, at=at)
        self.retried += 1

    async def _give_up(self, row: Claimed, state: FileState, error: str,
                       size: int | None = None) -> None:
        logger.warning("file %s not stored: %s (%s)", row.id, state.value, error)
        async with self.database.session() as session:
            await files.mark_given_up(session, row.id, state=state, error=error,
                                      size_bytes=size)
        self.failed += 1


def guess_mime(file_name: str | None, file_path: str | None) -> str:
    """A document's type from its name, else from Telegram's path, else generic bytes."""
    for name in (file_name, file_path):
        if name:
            guessed, _encoding = mimetypes.guess_type(name)
            if guessed:
                return guessed
    return "application/octet-stream"


async def _run_fetcher(context: CallbackContext) -> None:
    """JobQueue callback: fetch what is due, then wake again at the next retry."""
    application: FetcherHost = context.application  # type: ignore[assignment]
    await application.file_fetcher.fetch_due()
    async with application.database.session() as session:
        moment = await files.next_due(session)
    if moment is not None:
        wake_fetcher(application.job_queue, moment - application.file_fetcher.clock())


def wake_fetcher(job_queue: JobQueue | None, after: timedelta = timedelta(0)) -> None:
    """Make sure the fetcher looks `after` from now (unless a sweep or an earlier wake does)."""
    if job_queue is None or after > FETCH_EVERY:
        return
    when = datetime.now(UTC) + max(after, timedelta(0))
    for job in job_queue.get_jobs_by_name(WAKE_JOB):
        if job.next_t is not None and job.next_t <= when:
            return  # an earlier wake is already set
        job.schedule_removal()
    job_queue.run_once(_run_fetcher, when=when, name=WAKE_JOB, job_kwargs=_LATE_IS_FINE)


def start_fetcher(job_queue: JobQueue) -> Callable[[], None]:
    """Sweep now and every FETCH_EVERY, and wake after each transaction that recorded files;
    returns the function that stops the wakes (at shutdown)."""
    job_queue.run_once(_run_fetcher, when=timedelta(0), name=WAKE_JOB, job_kwargs=_LATE_IS_FINE)
    job_queue.run_repeating(
        _run_fetcher, interval=FETCH_EVERY, first=FETCH_EVERY, name=SWEEP_JOB,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
    return files.on_new_files(lambda: wake_fetcher(job_queue))
