"""The courier: sends what the outbox holds when it falls due, and records what happened.

The database is the source of truth; the JobQueue only decides when to look. At start a
sweep job runs at once and then every SWEEP_EVERY, and after each pass a one-off wake is set
for the next row that falls due, so a restart rebuilds the schedule from the table.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError, TimedOut
from telegram.ext import CallbackContext, JobQueue

from storage import outbox
from storage.db import Database
from storage.outbox import Claimed, Outcome, Settled

if TYPE_CHECKING:
    from bot.application import BranchApplication

logger = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(seconds=30)  # also picks up rows another instance planned
BATCH = 30  # claimed at once: at most this many may arrive twice after a crash
CONCURRENT_SENDS = 8
# Longer than a batch can take, flood-control waits of the rate limiter included; only rows
# whose courier died wait this long before another courier takes them.
LEASE = timedelta(minutes=5)
DIGEST_CHARS = 3800  # below Telegram's 4096, with room for the entities' markup
WAKE_JOB = "outbox-wake"
_LATE_IS_FINE = {"misfire_grace_time": None}  # a busy loop delays a wake; never drop it
SWEEP_JOB = "outbox-sweep"


def backoff(attempts: int) -> timedelta:
    """Wait before retrying after a transient failure: 10 s, 20 s, 40 s ... at most 1 h."""
    return min(timedelta(seconds=10 * 2 ** max(0, attempts - 1)), timedelta(hours=1))


def courier_name() -> str:
    """Who holds a lease: host, process and a random part (a restarted process is new)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(3)}"


class Courier:
    """Claims due rows in batches, sends them a few at a time, settles each batch."""

    def __init__(
        self,
        database: Database,
        bot: Bot,
        *,
        clock: Callable[[], datetime] | None = None,
        batch: int = BATCH,
        lease: timedelta = LEASE,
    ) -> None:
        self.database = database
        self.bot = bot
        self.name = courier_name()
        self.batch = batch
        self.lease = lease
        self.clock = clock or (lambda: datetime.now(UTC))  # tests set their own
        self._running = asyncio.Lock()
        self._paused_until: datetime | None = None
        self.sent = 0
        self.failed = 0
        self.retried = 0
        self.recovered = 0

    async def deliver_due(self) -> int:
        """Send everything due now; returns how many rows were settled.

        A call while another pass runs waits for it, then looks again: when it returns,
        whatever was due at the call has been settled.
        """
        settled = 0
        async with self._running:
            while count := await self._one_batch():
                settled += count
        return settled

    async def _one_batch(self) -> int:
        now = self.clock()
        if self._paused_until is not None and now < self._paused_until:
            return 0  # Telegram asked us to wait (flood control)
        async with self.database.session() as session:
            rows = await outbox.claim(
                session, now, limit=self.batch, lease=self.lease, courier=self.name
            )
        if not rows:
            return 0
        gate = asyncio.Semaphore(CONCURRENT_SENDS)

        async def send(parcel: list[Claimed]) -> list[Settled]:
            async with gate:
                return await self._send(parcel)

        results = [
            settled
            for settled_parcel in await asyncio.gather(*(send(p) for p in parcels(rows)))
            for settled in settled_parcel
        ]
        async with self.database.session() as session:
            await outbox.settle(session, results, courier=self.name)
        return len(results)

    async def _send(self, parcel: list[Claimed]) -> list[Settled]:
        """Send one message (one row, or a digest of bundled rows) and settle its rows alike."""
        row = parcel[0]
        ids = [r.id for r in parcel]
        for recovered in (r for r in parcel if r.recovered):
            self.recovered += 1
            logger.warning(
                "outbox row %s (%s) was in flight when its courier stopped: sending it again,"
                " it may arrive twice", recovered.id, recovered.kind,
            )
        text = "\n\n".join(r.text for r in parcel)
        markup = InlineKeyboardMarkup.de_json(row.reply_markup) if row.reply_markup else None

        def settled(outcome: Outcome, **values: Any) -> list[Settled]:
            at = values.pop("at", None) or self.clock()
            return [Settled(i, outcome, at, **values) for i in ids]

        try:
            message = await self.bot.send_message(row.chat_id, text, reply_markup=markup)
        except RetryAfter as exc:  # the rate limiter's own retries did not get through
            wait = exc.retry_after
            delay = wait if isinstance(wait, timedelta) else timedelta(seconds=wait)
            now = self.clock()
            self._paused_until = now + delay
            self.retried += len(ids)
            return settled(Outcome.RETRY, at=now, error="flood control", retry_at=now + delay)
        except Forbidden as exc:
            self.failed += len(ids)
            logger.info("outbox rows %s: recipient unreachable: %s", ids, exc.message)
            return settled(Outcome.FAILED, error=f"blocked: {exc.message}")
        except BadRequest as exc:
            self.failed += len(ids)
            logger.warning("outbox rows %s refused by Telegram: %s", ids, exc.message)
            return settled(Outcome.FAILED, error=exc.message)
        except TelegramError as exc:  # network trouble, 5xx, timeouts
            now = self.clock()
            if isinstance(exc, TimedOut):
                logger.warning("outbox rows %s timed out: may have arrived; retrying", ids)
            if row.attempts >= outbox.MAX_ATTEMPTS:
                self.failed += len(ids)
                return settled(Outcome.FAILED, at=now, error=f"gave up: {exc.message}")
            self.retried += len(ids)
            return settled(Outcome.RETRY, at=now, error=exc.message,
                           retry_at=now + backoff(row.attempts))
        self.sent += len(ids)
        return settled(Outcome.SENT, telegram_message_id=message.message_id)


def parcels(rows: list[Claimed]) -> list[list[Claimed]]:
    """One message per row, except bundled rows of one chat: joined while they fit."""
    result: list[list[Claimed]] = []
    open_bundles: dict[int, list[Claimed]] = {}
    for row in rows:
        if not row.bundle:
            result.append([row])
            continue
        current = open_bundles.get(row.chat_id)
        if current is None or sum(len(r.text) + 2 for r in current) + len(row.text) > DIGEST_CHARS:
            current = []
            open_bundles[row.chat_id] = current
            result.append(current)
        current.append(row)
    return result


async def _run_courier(context: CallbackContext) -> None:
    """JobQueue callback: deliver what is due, then set the wake for what comes next."""
    application: BranchApplication = context.application  # type: ignore[assignment]
    await application.courier.deliver_due()
    await schedule_next_wake(application)


async def schedule_next_wake(application: BranchApplication) -> None:
    """One wake job at the next due row, if that comes before the next sweep."""
    async with application.database.session() as session:
        moment = await outbox.next_wake(session)
    wake_at(application, moment)


def wake_at(application: BranchApplication, moment: datetime | None) -> None:
    """Make sure the courier looks at `moment` (now if it is past)."""
    job_queue = application.job_queue
    if moment is None or job_queue is None:
        return
    now = datetime.now(UTC)
    if moment - now > SWEEP_EVERY:
        return  # a sweep comes first and sets the wake again
    for job in job_queue.get_jobs_by_name(WAKE_JOB):
        next_run = job.next_t
        if next_run is not None and next_run <= max(moment, now):
            return  # an earlier wake is already set
        job.schedule_removal()
    # An aware datetime: APScheduler must never get a naive one.
    job_queue.run_once(
        _run_courier, when=max(moment, now), name=WAKE_JOB, job_kwargs=_LATE_IS_FINE
    )


def start_courier(job_queue: JobQueue) -> None:
    """Sweep now and then every SWEEP_EVERY (rebuilding the schedule from the database)."""
    # The first look as a one-off: a repeating job whose start passed before the scheduler
    # started would wait a whole interval (APScheduler rounds up to the next one).
    job_queue.run_once(_run_courier, when=timedelta(0), name=WAKE_JOB, job_kwargs=_LATE_IS_FINE)
    job_queue.run_repeating(
        _run_courier, interval=SWEEP_EVERY, first=SWEEP_EVERY, name=SWEEP_JOB,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
