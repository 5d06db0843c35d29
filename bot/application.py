"""The Application factory and the startup/shutdown pair used in every run mode."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    Defaults,
)

from bot import instances
from bot.config import Settings
from bot.log_context import handling_update, take_process_instance
from bot.persistence import SqlPersistence
from bot.ratelimit import PacedRateLimiter
from bot.transport import AiohttpRequest, bot_api_request
from bot.web.metrics import Metrics
from bot.web.server import WebServer
from bot.web.tls import certificate_to_upload
from handlers.kit.context import BranchContext
from handlers.kit.slots import Slot
from reminders.delivery import Courier, schedule_next_wake, senders_for, wake_at
from reminders.files import FileFetcher, start_fetcher
from reminders.jobs import start_reminders
from storage.checkin_queue import CheckinQueue
from storage.db import Database
from storage.files import open_store
from storage.instances import SharedUpdates
from storage.migrate import upgrade
from storage.outbox import Outcome

logger = logging.getLogger(__name__)

# PTB's announced default: RetryAfter.retry_after as a timedelta (else every 429 warns).
os.environ.setdefault("PTB_TIMEDELTA", "true")


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of one chat run in order (conversations need that); different chats in parallel.

    A slow action of one person (notifying a whole branch, an export) then never holds up
    another person's check-in.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[object, asyncio.Lock] = {}
        self._waiting: dict[object, int] = {}
        self.pending = 0  # holding a slot: waiting for their chat's turn, or running

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        self.pending += 1
        try:
            async with lock:
                await coroutine
        finally:
            self.pending -= 1
            self._waiting[key] -= 1
            if not self._waiting[key]:  # forget idle chats so the dict stays small
                del self._waiting[key]
                del self._locks[key]

    # PTB marks it final; we only swap the order of its two waits (slot, then chat's turn).
    async def process_update(  # type: ignore[misc]
        self, update: object, coroutine: Awaitable[Any]
    ) -> None:
        # The chat's turn first, then a slot: a flooding chat holds one slot, not all of them.
        await self.do_process_update(update, self._in_slot(coroutine))

    async def _in_slot(self, coroutine: Awaitable[Any]) -> None:
        # A reply waiting for a send token steps out of the slot (handlers/kit/slots.py).
        async with Slot(self._semaphore).held():
            await coroutine

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def _chat_key(update: object) -> object:
    if isinstance(update, Update):
        presser = instances.group_press_of(update)
        if presser is not None:  # answered in the presser's private chat: in its turn
            return presser
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return "other"


class BranchApplication(Application):
    """PTB's Application plus our database, settings and a count of work in progress."""

    def __init__(self, *, database: Database, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.database = database
        self.settings = settings
        self.checkin_queue = CheckinQueue(database)
        self.courier: Courier = None  # type: ignore[assignment]  # set once the bot exists
        # The project's own copy of every file handed in (issue 19), and its downloader.
        self.file_store = open_store(settings.file_store, database, settings.file_directory)
        self.file_fetcher: FileFetcher = None  # type: ignore[assignment]  # needs the bot
        self._stop_file_wakes: Callable[[], None] | None = None
        self.updates_in_flight = 0
        self.metrics = Metrics()  # its own registry: applications in one process never mix
        # Several instances on one PostgreSQL database (bot/instances.py); no-op on SQLite.
        self.instances = SharedUpdates(database, ordered=bool(settings.webhook_url))
        self.web: WebServer | None = None
        # The Bot API transports (sends, polling): /healthz reports their last answer.
        self.transports: tuple[AiohttpRequest, ...] = ()

    def bot_api_reachable(self, now: float) -> dict[str, Any]:
        """Whether the Bot API answered the latest request, and how long ago it last did."""
        answers = [t.last_answer_at for t in self.transports if t.last_answer_at is not None]
        failures = [t.last_failure_at for t in self.transports if t.last_failure_at is not None]
        answered, failed = max(answers, default=None), max(failures, default=None)
        reachable = None if answered is None and failed is None else (
            failed is None or (answered is not None and answered > failed)
        )
        return {
            "reachable": reachable,
            "last_answer_seconds_ago": None if answered is None else round(now - answered, 1),
        }

    @property
    def busy(self) -> bool:
        """Some update is fetched and not yet fully handled."""
        processor = self.update_processor
        # Updates waiting for a free slot exist only while all slots are taken (pending > 0).
        pending = processor.current_concurrent_updates
        if isinstance(processor, PerChatUpdateProcessor):
            pending += processor.pending
        return self.updates_in_flight > 0 or pending > 0 or not self.update_queue.empty()

    async def process_update(self, update: object) -> None:
        self.updates_in_flight += 1
        started = time.perf_counter()
        persistence = self.persistence if isinstance(self.persistence, SqlPersistence) else None
        update_id = update.update_id if isinstance(update, Update) else None
        try:
            with handling_update(update_id, self.instance_id):
                await self._process(update, persistence)
        finally:
            self.updates_in_flight -= 1
            self.metrics.updates_handled.inc()
            self.metrics.update_seconds.observe(time.perf_counter() - started)

    def now(self) -> datetime:
        """The one clock (the courier's): tests set it."""
        return self.courier.clock()

    def wake_courier(self, at: datetime | None) -> None:
        wake_at(self, at)

    async def deliver_now(self, keys: Sequence[str]) -> dict[str, Outcome]:
        outcomes = await self.courier.deliver_now(keys)
        if any(outcome is not Outcome.SENT for outcome in outcomes.values()):
            # A retry falls due soon, or a blocked person's leaders are to be told.
            await schedule_next_wake(self)
        return outcomes

    def count_throttled(self) -> None:
        self.metrics.throttled.inc()

    @property
    def instance_id(self) -> str | None:
        """This process start's id: its courier's, as recorded in courier_instances."""
        return self.courier.name if self.courier is not None else None

    async def _process(self, update: object, persistence: SqlPersistence | None) -> None:
        async with instances.turn(self.instances, self, persistence, update):
            await super().process_update(update)
            # Write conversation state and drafts now, not on the next interval:
            # a crash right after a reply must not lose what the person typed.
            if self.persistence is not None:
                await self.update_persistence()


def file_base_url(api_base_url: str) -> str:
    """Telegram serves files under /file/bot<token>/ next to /bot<token>/."""
    base = api_base_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("/bot")] + "/file/bot"
    return base + "/file/bot"


def build_application(settings: Settings, *, token: str | None = None) -> BranchApplication:
    """Build the bot with all handlers registered; nothing connects until it is started."""
    from handlers import register_all

    bot_token = token or (settings.token.get_secret_value() if settings.token else None)
    if not bot_token:
        raise ValueError("a bot token is needed to build the application")
    database = Database(settings.database_url)
    proxy = settings.proxy_url.get_secret_value() if settings.proxy_url else None
    transports = (
        bot_api_request(settings.api_base_url, proxy, 256),
        bot_api_request(settings.api_base_url, proxy, 1),
    )
    application = (
        ApplicationBuilder()
        .application_class(BranchApplication, {"database": database, "settings": settings})
        .token(bot_token)
        .base_url(settings.api_base_url)
        .base_file_url(file_base_url(settings.api_base_url))
        .request(transports[0])
        .get_updates_request(transports[1])
        .defaults(Defaults(tzinfo=settings.tzinfo, parse_mode=ParseMode.HTML))
        .persistence(SqlPersistence(database))
        .context_types(ContextTypes(context=BranchContext))
        .rate_limiter(PacedRateLimiter(
            settings.send_rate_per_second, max_retries=5,
            paid_rate=settings.paid_broadcast_rate_per_second if settings.paid_broadcast else 0,
        ))
        # ConversationHandler needs updates of one chat in order: chats run in parallel.
        .concurrent_updates(PerChatUpdateProcessor(settings.max_concurrent_updates))
        .post_init(startup)
        .post_shutdown(shutdown)
        .build()
    )
    assert isinstance(application, BranchApplication)
    application.transports = transports
    application.courier = Courier(
        database, application.bot, chat_interval=settings.send_chat_interval_seconds,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        concurrency=senders_for(max(
            settings.send_rate_per_second,
            settings.paid_broadcast_rate_per_second if settings.paid_broadcast else 0,
        )),
        name=take_process_instance(),  # the instance every log line of this process names
    )
    application.file_fetcher = FileFetcher(
        database, application.bot, application.file_store, clock=application.now
    )
    register_all(application)
    return application


async def startup(application: Application) -> None:
    """After initialize(): command menus, reminders, the web server, the webhook if set."""
    from bot.web.miniapp import publish_menu_button
    from handlers.menu import publish_default_commands

    assert isinstance(application, BranchApplication)
    await publish_default_commands(application)
    if application.job_queue is not None:
        start_reminders(application.job_queue, plan=application.settings.plan_reminders)
        if application.settings.fetching_files:
            application._stop_file_wakes = start_fetcher(application.job_queue)
    application.web = WebServer(application)
    await application.web.start()
    await publish_menu_button(application)
    settings = application.settings
    if settings.webhook_url and settings.webhook_secret is not None:
        await application.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
            certificate=certificate_to_upload(settings),
        )
        if application.job_queue is not None:
            instances.start_pruning(application.job_queue)
    logger.info("branchbot started as @%s, instance %s", application.bot.username,
                application.instance_id)
    # What lives from startup on is never garbage: full collections skip it (a paid 1000/s
    # broadcast stalled up to 0.2 s in them, 50 ms after); shutdown() thaws it.
    gc.freeze()


async def shutdown(application: Application) -> None:
    """After shutdown() (persistence flushed): stop the web server, release the database."""
    assert isinstance(application, BranchApplication)
    gc.unfreeze()  # collectable again (tests run many bots in one process)
    if application._stop_file_wakes is not None:
        application._stop_file_wakes()
        application._stop_file_wakes = None
    if application.web is not None:
        await application.web.stop()
        application.web = None
    try:  # rows this courier still holds go to the next one at once
        await application.courier.retire()
    except Exception:
        logger.warning("could not hand back the courier's outbox rows", exc_info=True)
    await application.instances.close()
    await application.database.dispose()


async def _start_up_or_clean_up(application: BranchApplication) -> None:
    """startup(); if it fails (Telegram refused the webhook, a port is taken), close what it
    opened so that the process ends with one line and no unclosed sessions."""
    try:
        await startup(application)
    except BaseException:
        await application.shutdown()
        await shutdown(application)
        raise


@asynccontextmanager
async def polling(application: BranchApplication, *, poll_interval: float = 0.0) -> AsyncIterator[
    BranchApplication
]:
    """Run long polling inside an already running event loop (tests, sandbox)."""
    await application.initialize()
    await _start_up_or_clean_up(application)
    assert application.updater is not None
    await application.updater.start_polling(
        poll_interval=poll_interval, timeout=10, allowed_updates=Update.ALL_TYPES
    )
    await application.start()
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await shutdown(application)


@asynccontextmanager
async def webhook(application: BranchApplication) -> AsyncIterator[BranchApplication]:
    """Run in webhook mode inside a running event loop: updates come to our web server."""
    await application.initialize()
    await _start_up_or_clean_up(application)
    await application.start()
    try:
        yield application
    finally:
        await application.stop()
        await application.shutdown()
        await shutdown(application)


def serving(application: BranchApplication) -> Any:
    """Webhook mode when webhook_url is set, else long polling (an async context manager)."""
    return webhook(application) if application.settings.webhook_url else polling(application)


async def prepare_database(settings: Settings) -> None:
    """Apply migrations before anything reads the database (persistence loads at initialize)."""
    await upgrade(settings.database_url)
