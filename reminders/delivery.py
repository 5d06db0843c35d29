"""The courier: sends what the outbox holds when it falls due, and records what happened.

The database is the source of truth; the JobQueue only decides when to look. At start a
sweep job runs at once and then every SWEEP_EVERY, and after each pass a one-off wake is set
for the next row that falls due, so a restart rebuilds the schedule from the table.

Pacing: sends go through the bot's rate limiter as bulk (replies to people go first, see
bot/ratelimit.py), and two messages to one chat leave at least `chat_interval` apart. Rows of
one kind to one chat that were missed (due longer ago than a sweep: the bot was down) go as
one message. A 403 marks the person unreachable and tells their branch's leaders once; their
further rows fail at claim time (storage/outbox.py) until they write to the bot again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError, TimedOut
from telegram.ext import CallbackContext, JobQueue

from bot.i18n import N_, translator
from bot.logs import pseudonym
from bot.ratelimit import bulk_sends
from reminders.planner import leaders
from rules.notices import Step
from storage import notices, outbox
from storage.db import Database
from storage.models import Membership, MembershipState, Person
from storage.outbox import Claimed, Outcome, Planned, Settled

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
MISSED_AFTER = SWEEP_EVERY  # due longer ago than this: missed while the bot was down
NEVER_MERGED = frozenset({"notice"})  # a broadcast is sent as composed, with its read receipt
UNREACHABLE_KIND = "unreachable"
UNREACHABLE_NOTICE = N_(
    "⚠️ {name} cannot be reached by the bot: they blocked it or never opened it, so reminders "
    "and notices do not arrive. Please get in touch; this clears as soon as they write to "
    "the bot again."
)


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
        chat_interval: float = 1.0,
    ) -> None:
        self.database = database
        self.bot = bot
        self.name = courier_name()
        self.batch = batch
        self.lease = lease
        self.clock = clock or (lambda: datetime.now(UTC))  # tests set their own
        self._running = asyncio.Lock()
        self._paused_until: datetime | None = None
        self.chat_interval = chat_interval  # seconds between two of our messages to one chat
        self._last_sent: dict[int, float] = {}  # chat → time.monotonic() of our last send
        self._refused: set[int] = set()  # chats that answered 403 in the current batch
        self._released = False
        self.sent = 0
        self.failed = 0
        self.retried = 0
        self.recovered = 0
        self.dropped = 0  # expired or unreachable: settled without sending
        self.merged = 0  # rows that went out inside another row's message

    async def deliver_due(self) -> int:
        """Send everything due now; returns how many rows were settled.

        A call while another pass runs waits for it, then looks again: when it returns,
        whatever was due at the call has been settled.
        """
        settled = 0
        async with self._running:
            if not self._released:
                await self._release_dead_leases()
            with bulk_sends():  # the rate limiter lets replies to people go first
                while count := await self._one_batch():
                    settled += count
        return settled

    async def _release_dead_leases(self) -> None:
        """Rows a crashed process of this host left in flight are taken over at once."""
        async with self.database.session() as session:
            released = await outbox.release_dead_leases(
                session, self.clock(), host=self.name.split(":", 1)[0]
            )
        self._released = True
        if released:
            logger.warning("taking over %d outbox rows from a courier that died", released)

    async def _pace(self, chat_id: int) -> None:
        """Wait until our last message to this chat is `chat_interval` old."""
        last = self._last_sent.get(chat_id)
        if last is not None:
            wait = last + self.chat_interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)

    def _sent_to(self, chat_id: int) -> None:
        now = time.monotonic()
        if len(self._last_sent) > 10_000:  # forget chats whose interval is over
            horizon = now - self.chat_interval
            self._last_sent = {c: t for c, t in self._last_sent.items() if t > horizon}
        self._last_sent[chat_id] = now

    async def _one_batch(self) -> int:
        now = self.clock()
        if self._paused_until is not None and now < self._paused_until:
            return 0  # Telegram asked us to wait (flood control)
        async with self.database.session() as session:
            rows, dropped = await outbox.claim_batch(
                session, now, limit=self.batch, lease=self.lease, courier=self.name
            )
            # Notices were split once when confirmed: their copies send the stored parts.
            planned = await notices.planned_steps(
                session, [r.key for r in rows if r.kind == notices.KIND])
        self.dropped += dropped
        if not rows:
            return dropped
        gate = asyncio.Semaphore(CONCURRENT_SENDS)
        by_chat: dict[int, list[list[Claimed]]] = {}
        for parcel in parcels(rows, now):
            by_chat.setdefault(parcel[0].chat_id, []).append(parcel)
        self._refused = set()

        async def send(chat_id: int, chat_parcels: list[list[Claimed]]) -> list[Settled]:
            done: list[Settled] = []
            for parcel in chat_parcels:  # one chat: one after the other, paced
                await self._pace(chat_id)
                async with gate:
                    done += await self._send(parcel, planned.get(parcel[0].key))
                self._sent_to(chat_id)
            return done

        results = [
            settled
            for chat_results in await asyncio.gather(*(send(c, p) for c, p in by_chat.items()))
            for settled in chat_results
        ]
        async with self.database.session() as session:
            await outbox.settle(session, results, courier=self.name)
            if self._refused:
                await record_unreachable(session, sorted(self._refused), self.clock())
        return len(results) + dropped

    async def _steps_of(self, row: Claimed) -> list[Step]:
        """A notice copy's messages as stored; rows planned before parts were stored (and
        other rows with attachments) carry their text, split here."""
        if row.kind == notices.KIND:
            async with self.database.session() as session:
                stored = await notices.planned_steps(session, [row.key])
            if row.key in stored:
                return stored[row.key]
        return await notices.plan_messages(row.text, row.media)

    async def _send(self, parcel: list[Claimed], steps: list[Step] | None = None
                    ) -> list[Settled]:
        """Send one message (one row, or a digest of bundled rows) and settle its rows alike;
        a notice copy sends `steps`, its parts as stored (looked up when not given)."""
        row = parcel[0]
        ids = [r.id for r in parcel]
        self.merged += len(parcel) - 1
        for recovered in (r for r in parcel if r.recovered):
            self.recovered += 1
            logger.warning(
                "outbox row %s (%s) to chat %s was in flight when its courier stopped: sending"
                " it again, it may arrive twice", recovered.id, recovered.kind,
                pseudonym(recovered.chat_id),
            )
        text = "\n\n".join(r.text for r in parcel)
        markup = InlineKeyboardMarkup.de_json(row.reply_markup) if row.reply_markup else None

        def settled(outcome: Outcome, **values: Any) -> list[Settled]:
            at = values.pop("at", None) or self.clock()
            return [Settled(i, outcome, at, **values) for i in ids]

        try:
            if row.kind == "notice" or row.media:  # notices: attachments, captions, long text
                if steps is None:
                    steps = await self._steps_of(row)
                for index, step in enumerate(steps):
                    if index:  # several messages to one chat: paced like separate rows
                        self._sent_to(row.chat_id)
                        await self._pace(row.chat_id)
                    options: dict[str, Any] = {
                        "reply_markup": markup if step.with_markup else None,
                        "allow_paid_broadcast": row.paid_broadcast or None,
                    }
                    if step.kind == "photo":
                        message = await self.bot.send_photo(
                            row.chat_id, str(step.file_id), caption=step.text, **options)
                    elif step.kind == "document":
                        message = await self.bot.send_document(
                            row.chat_id, str(step.file_id), caption=step.text, **options)
                    else:
                        message = await self.bot.send_message(row.chat_id, str(step.text),
                                                              **options)
            else:
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
            self._refused.add(row.chat_id)
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


def parcels(rows: list[Claimed], now: datetime | None = None) -> list[list[Claimed]]:
    """One message per row, except, joined while they fit: bundled rows of one chat (the
    digest), and plain rows of one kind to one chat missed while the bot was down."""
    result: list[list[Claimed]] = []
    open_bundles: dict[tuple[int, str], list[Claimed]] = {}
    for row in rows:
        if row.bundle:
            key = (row.chat_id, "")
        elif _missed(row, now):
            key = (row.chat_id, row.kind)
        else:
            result.append([row])
            continue
        current = open_bundles.get(key)
        if current is None or sum(len(r.text) + 2 for r in current) + len(row.text) > DIGEST_CHARS:
            current = []
            open_bundles[key] = current
            result.append(current)
        current.append(row)
    return result


def _missed(row: Claimed, now: datetime | None) -> bool:
    """Due long ago, and plain text (buttons, attachments and notices stay one message)."""
    return (
        now is not None and row.due_at is not None and now - row.due_at > MISSED_AFTER
        and not row.reply_markup and not row.media and row.kind not in NEVER_MERGED
    )


async def record_unreachable(session: AsyncSession, chat_ids: Sequence[int], now: datetime
                             ) -> int:
    """Mark people Telegram refused; tell the leaders of each one's branch, once per episode.
    Returns how many notices were recorded."""
    marked = await outbox.mark_unreachable(session, chat_ids, now)
    if not marked:
        return 0
    found = (
        await session.execute(
            select(Person.id, Person.telegram_id, Person.real_name,
                   Membership.party_organization_id)
            .join(Membership, Membership.person_id == Person.id)
            .where(Person.id.in_(marked), Membership.state == MembershipState.ACTIVE)
        )
    ).all()
    heads = await leaders(session, {org_id for *_rest, org_id in found})
    stamp = now.strftime("%Y%m%d%H%M%S")
    notices = []
    for person_id, telegram_id, name, org_id in found:
        logger.info("person %s is unreachable: telling their branch's leaders", person_id)
        for head in heads.get(org_id, []):
            if head.telegram_id == telegram_id:
                continue
            t = translator(head.language)
            notices.append(
                Planned(
                    key=f"{UNREACHABLE_KIND}:{person_id}:{stamp}:{head.telegram_id}",
                    kind=UNREACHABLE_KIND, chat_id=head.telegram_id, subject=f"person:{person_id}",
                    text=t(UNREACHABLE_NOTICE, name=name or str(telegram_id)), due_at=now,
                    bundle=True,  # several at once: one message
                )
            )
    return await outbox.enqueue(session, notices)


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
