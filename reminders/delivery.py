"""The courier: sends what the outbox holds when it falls due, and records what happened.

The database is the source of truth; the JobQueue only decides when to look. At start a
sweep job runs at once and then every SWEEP_EVERY, and after each pass a one-off wake is set
for the next row that falls due, so a restart rebuilds the schedule from the table.

Sending: rows are claimed in batches and fed to a bounded pool of concurrent sends as senders
come free, so one send that hangs until its timeout holds up nobody else; each message's rows
are settled as soon as Telegram answers, in the recorder's next write (reminders/recorder.py),
so a crash can only resend what had no answer yet or whose answer was being written. A courier
is one process start: a random id with a heartbeat in the database (`courier_instances`);
every courier releases the rows of one whose heartbeat stopped.

The reply lane: a handler that messages another person records the rows and calls
`deliver_now`, which sends them at once in the handler's task, beside any pass (a member's
approval never waits behind a broadcast); a transient failure leaves the row to the passes.

Pacing: sends go through the bot's rate limiter as bulk (replies to people go first, see
bot/ratelimit.py), and two messages to one chat leave at least `chat_interval` apart. Rows of
one kind to one chat that were missed (due longer ago than a sweep: the bot was down) go as
one message. A 403 marks the person unreachable and tells their branch's leaders once; their
further rows fail at claim time (storage/outbox.py) until they write to the bot again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError, TimedOut
from telegram.ext import CallbackContext, JobQueue

from handlers.kit.context import BranchServices
from handlers.kit.i18n import N_, translator
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.slots import bulk_sends
from reminders.planner import leaders
from reminders.recorder import Recorder
from rules.notices import Step
from rules.vocabulary import MembershipState
from storage import notices, outbox
from storage.db import Database
from storage.models import Membership, OutboxState, Person
from storage.outbox import Claimed, Outcome, Planned, Settled

logger = logging.getLogger(__name__)
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply


class CourierHost(BranchServices, Protocol):
    """The running bot as the courier's jobs see it (bot/application.py implements it)."""

    @property
    def courier(self) -> Courier: ...

SWEEP_EVERY = timedelta(seconds=30)  # also picks up rows another instance planned
BATCH = 30  # rows claimed at once (at least), sent as senders come free
CONCURRENT_SENDS = 16  # sends in flight at once: a send that hangs holds only its own
SEND_ROUND_TRIP = 0.25  # seconds a send may take, recorded: enough in flight for the rate
# Longer than a row can wait in a pass, flood-control waits of the rate limiter included; only
# rows of a courier that is neither alive nor known wait this long before another takes them.
LEASE = timedelta(minutes=5)
HEARTBEAT_EVERY = timedelta(seconds=5)
DEAD_AFTER = timedelta(seconds=20)  # no heartbeat this long: its rows are taken over
HEARTBEAT_JOB = "outbox-heartbeat"
DIGEST_CHARS = 3800  # below Telegram's 4096, with room for the entities' markup
WAKE_JOB = "outbox-wake"
_LATE_IS_FINE = {"misfire_grace_time": None}  # a busy loop delays a wake; never drop it
SWEEP_JOB = "outbox-sweep"
MISSED_AFTER = SWEEP_EVERY  # due longer ago than this: missed while the bot was down
# A broadcast is sent as composed, with its read receipt; a handler's message to a person too.
NEVER_MERGED = frozenset({notices.KIND, notices.GROUP_KIND, outbox.DIRECT_KIND})
# What deliver_now reports for a row it did not send itself (settled before, or held by a pass).
_OUTCOME_OF = {OutboxState.SENT: Outcome.SENT, OutboxState.FAILED: Outcome.FAILED,
               OutboxState.CANCELLED: Outcome.FAILED}
UNREACHABLE_KIND = "unreachable"
UNREACHABLE_NOTICE = N_(
    "⚠️ {name} cannot be reached by the bot: they blocked it or never opened it, so reminders "
    "and notices do not arrive. Please get in touch; this clears as soon as they write to "
    "the bot again."
)


def backoff(attempts: int) -> timedelta:
    """Wait before retrying after a transient failure: 10 s, 20 s, 40 s ... at most 1 h."""
    return min(timedelta(seconds=10 * 2 ** max(0, attempts - 1)), timedelta(hours=1))


def senders_for(rate: float) -> int:
    """Sends in flight that keep `rate` a second going (a paid broadcast's 1000/s needs 250)."""
    return max(CONCURRENT_SENDS, math.ceil(rate * SEND_ROUND_TRIP))


def courier_name() -> str:
    """Who holds a lease: a random id per process start (a restarted process with the same pid
    on the same host is a new courier); host and pid are recorded beside it."""
    return uuid.uuid4().hex


class Courier:
    """Claims due rows, keeps a bounded pool of sends going, settles each row as it returns."""

    def __init__(
        self,
        database: Database,
        bot: Bot,
        *,
        clock: Callable[[], datetime] | None = None,
        batch: int | None = None,
        lease: timedelta = LEASE,
        chat_interval: float = 1.0,
        concurrency: int = CONCURRENT_SENDS,
        dead_after: timedelta = DEAD_AFTER,
        name: str | None = None,
    ) -> None:
        self.database = database
        self.bot = bot
        self.name = name or courier_name()
        # Rows claimed at once: half the senders' worth, so the next batch is claimed while
        # the other half still sends (a paid 1000/s claims 125 at a time).
        self.batch = batch or max(BATCH, concurrency // 2)
        self.lease = lease
        self.concurrency = concurrency
        self.dead_after = dead_after
        self.clock = clock or (lambda: datetime.now(UTC))  # tests set their own
        self._running = asyncio.Lock()
        self._paused_until: datetime | None = None
        self.chat_interval = chat_interval  # seconds between two of our messages to one chat
        self._last_sent: dict[int, float] = {}  # chat → time.monotonic() of our last send
        self._chat_turns: dict[int, asyncio.Lock] = {}  # one send at a time per chat
        self._turn_takers: dict[int, int] = {}  # sends holding or waiting for a chat's turn
        self._refused: set[int] = set()  # chats that answered 403 in the current pass
        self._planned: dict[str, list[Step]] = {}  # stored notice parts of claimed rows
        self.recorder = Recorder(database, self.name)  # answers are stored in group commits
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
        async with self._running:
            await self.keep_alive()
            self._refused = set()
            self._planned = {}
            settled = 0
            with bulk_sends():  # the rate limiter lets replies to people go first
                # Again while a pass settled something: it may have queued more (a leader told
                # that a member is unreachable).
                while count := await self._pass():
                    settled += count
            return settled

    async def deliver_now(self, keys: Sequence[str]) -> dict[str, Outcome]:
        """Send these rows at once, in the caller's task and lane (a handler's: replies, not
        behind a bulk pass), paced per chat, each settled as its answer comes. Every key is
        answered: SENT (arrived now, or before), FAILED (refused, expired, the person is
        unreachable), RETRY (a transient failure, or a pass holds the row: the passes send it).
        """
        outcomes = dict.fromkeys(keys, Outcome.RETRY)
        for start in range(0, len(keys), self.batch):
            async with self.database.session() as session:
                rows, others = await outbox.claim_keys(
                    session, keys[start:start + self.batch], self.clock(), lease=self.lease,
                    courier=self.name,
                )
            outcomes.update({key: _OUTCOME_OF.get(state, Outcome.RETRY)
                             for key, state in others.items()})
            by_chat: dict[int, list[list[Claimed]]] = {}
            for row in rows:  # one message per row, as composed
                by_chat.setdefault(row.chat_id, []).append([row])
                # Reachable as the database knows (they may have written since a 403 of a pass).
                self._refused.discard(row.chat_id)
            for done in await asyncio.gather(
                *(self._send_chat(chat_id, parcels) for chat_id, parcels in by_chat.items())
            ):
                outcomes.update(done)
        return outcomes

    async def keep_alive(self) -> int:
        """Heartbeat (registering this courier the first time) and take over the rows of
        couriers whose heartbeat stopped. Returns how many rows were released."""
        now = self.clock()
        async with self.database.session() as session:
            await outbox.beat(session, self.name, now, host=socket.gethostname(),
                              pid=os.getpid())
            dead, released = await outbox.release_dead_couriers(
                session, now, dead_after=self.dead_after
            )
        if released:
            logger.warning("taking over %d outbox rows from %d courier(s) that stopped",
                           released, len(dead))
        return released

    async def retire(self) -> None:
        """Stopping: rows still held are for the next courier at once; forget this one."""
        async with self.database.session() as session:
            await outbox.retire(session, self.name, self.clock())

    async def _pass(self) -> int:
        """Claim batches while rows are due and feed them to at most `concurrency` sends."""
        settled = 0
        senders = asyncio.Semaphore(self.concurrency)
        running: set[asyncio.Task[dict[str, Outcome]]] = set()

        def finished(task: asyncio.Task[dict[str, Outcome]]) -> None:
            nonlocal settled
            running.discard(task)
            senders.release()
            if not task.cancelled() and task.exception() is None:
                settled += len(task.result())

        try:
            while True:
                now = self.clock()
                if self._paused_until is not None and now < self._paused_until:
                    break  # Telegram asked us to wait (flood control)
                async with self.database.session() as session:
                    rows, dropped = await outbox.claim_batch(
                        session, now, limit=self.batch, lease=self.lease, courier=self.name
                    )
                    # Notices were split once when confirmed: their copies send the stored parts.
                    self._planned.update(await notices.planned_steps(
                        session, [r.key for r in rows if r.kind == notices.KIND]))
                self.dropped += dropped
                settled += dropped
                if not rows:
                    break
                by_chat: dict[int, list[list[Claimed]]] = {}
                for parcel in parcels(rows, now):
                    by_chat.setdefault(parcel[0].chat_id, []).append(parcel)
                for chat_id, chat_parcels in by_chat.items():
                    await senders.acquire()  # a free sender: sends never wait for each other
                    task = asyncio.create_task(self._send_chat(chat_id, chat_parcels))
                    running.add(task)
                    task.add_done_callback(finished)
            if running:
                await asyncio.gather(*running, return_exceptions=True)
        except BaseException:
            for task in running:
                task.cancel()
            raise
        return settled

    @contextlib.asynccontextmanager
    async def _turn(self, chat_id: int) -> AsyncIterator[None]:
        """One send at a time to a chat, whichever lane it comes from; a chat's lock is
        forgotten when nobody holds or waits for it."""
        turn = self._chat_turns.setdefault(chat_id, asyncio.Lock())
        self._turn_takers[chat_id] = self._turn_takers.get(chat_id, 0) + 1
        try:
            async with turn:
                yield
        finally:
            self._turn_takers[chat_id] -= 1
            if not self._turn_takers[chat_id]:
                del self._turn_takers[chat_id], self._chat_turns[chat_id]

    async def _send_chat(self, chat_id: int, chat_parcels: list[list[Claimed]]
                         ) -> dict[str, Outcome]:
        """One chat's parcels one after the other, paced; each settled as its answer comes.
        Returns what became of each row settled."""
        done: dict[str, Outcome] = {}
        try:
            async with self._turn(chat_id):
                for parcel in chat_parcels:
                    if chat_id in self._refused:  # a 403 a moment ago: do not ask again
                        now = self.clock()
                        results = [Settled(r.id, Outcome.FAILED, now, error=outbox.UNREACHABLE)
                                   for r in parcel]
                        self.dropped += len(results)
                    else:
                        await self._pace(chat_id)
                        results = await self._send(parcel, self._planned.pop(parcel[0].key, None))
                        self._sent_to(chat_id)
                    await self._settle(chat_id, results)
                    for row, result in zip(parcel, results, strict=True):
                        done[row.key] = result.outcome
        except Exception:
            logger.exception("sending to chat %s failed; its rows stay leased",
                             pseudonym(chat_id))
        return done

    async def _settle(self, chat_id: int, results: list[Settled]) -> None:
        """Record one message's outcome at once (in the recorder's next write)."""
        if chat_id in self._refused and results[0].error != outbox.UNREACHABLE:
            async with self.database.session() as session:
                await outbox.settle(session, results, courier=self.name)
                await record_unreachable(session, [chat_id], self.clock())
            return
        await self.recorder.record(results)

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
        markup = markup_of(row.reply_markup)

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
                    shown = markup if step.with_markup else None
                    if step.kind in ("photo", "document"):
                        bot = self.bot
                        send = bot.send_photo if step.kind == "photo" else bot.send_document
                        message_id = (await send(
                            row.chat_id, str(step.file_id), caption=step.text, reply_markup=shown,
                            allow_paid_broadcast=row.paid_broadcast or None)).message_id
                    else:
                        message_id = await self._send_text(row.chat_id, str(step.text), shown,
                                                           paid=row.paid_broadcast)
            else:
                message_id = await self._send_text(row.chat_id, text, markup)
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
        return settled(Outcome.SENT, telegram_message_id=message_id)

    async def _send_text(self, chat_id: int, text: str, markup: Markup | None, *,
                         paid: bool = False) -> int:
        """sendMessage as Bot.send_message makes it (the bot's default parse mode, its rate
        limiter, the same errors) without building a Message of the answer: the courier keeps
        only its id, and at a paid 1000/s that parsing was a fair part of each send."""
        defaults = getattr(self.bot, "defaults", None)
        result = await self.bot._post("sendMessage", {
            "chat_id": chat_id, "text": text, "reply_markup": markup,
            "parse_mode": defaults.parse_mode if defaults is not None else None,
            "allow_paid_broadcast": paid or None,
        })
        return int(result["message_id"])


def markup_of(stored: dict[str, Any] | None) -> Markup | None:
    """The keyboard a row stores (its to_dict()) as sent: buttons under the message, a reply
    keyboard (the main menu of someone just appointed), its removal, or a forced reply."""
    if not stored:
        return None
    if "keyboard" in stored:
        return ReplyKeyboardMarkup.de_json(stored)
    if "remove_keyboard" in stored:
        return ReplyKeyboardRemove(selective=stored.get("selective"))
    if "force_reply" in stored:
        return ForceReply.de_json(stored)
    return InlineKeyboardMarkup.de_json(stored)


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
    application: CourierHost = context.application  # type: ignore[assignment]
    await application.courier.deliver_due()
    await schedule_next_wake(application)


async def _heartbeat(context: CallbackContext) -> None:
    """JobQueue callback: this courier is alive; rows of couriers that stopped are ours now."""
    application: CourierHost = context.application  # type: ignore[assignment]
    if await application.courier.keep_alive():
        wake_at(application, datetime.now(UTC))


async def schedule_next_wake(application: CourierHost) -> None:
    """One wake job at the next due row, if that comes before the next sweep."""
    async with application.database.session() as session:
        moment = await outbox.next_wake(session)
    wake_at(application, moment)


def wake_at(application: CourierHost, moment: datetime | None) -> None:
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
    job_queue.run_repeating(
        _heartbeat, interval=HEARTBEAT_EVERY, first=HEARTBEAT_EVERY, name=HEARTBEAT_JOB,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
