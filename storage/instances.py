"""Several bot processes on one PostgreSQL database behind one webhook address (issue 8).

Design:

- **Each update once.** The webhook route records the update_id in `processed_updates`
  (INSERT ... ON CONFLICT DO NOTHING) before it queues the update; a second delivery of the
  same update (Telegram retrying after a timeout, a balancer resending) finds the row and is
  answered 200 without being handled. Rows older than a day are pruned (Telegram stops retrying
  long before).
- **One chat at a time, in order.** While an instance handles an update of a chat it holds a
  PostgreSQL advisory lock keyed by the chat id, so two instances never run one conversation
  at once. Session-level locks taken with `pg_try_advisory_lock` on one dedicated connection
  per process: the connection is never blocked by a waiting lock, so one connection serves
  every chat (a blocking lock per update would need a connection per update in flight).
  Holding the lock, the instance first waits (up to ORDER_WAIT) until every earlier update of
  the chat that another instance accepted is handled: Telegram pushes a chat's updates in order
  and the route records each before answering, so `processed_updates` holds the arrival order.
  Inside one process `PerChatUpdateProcessor` already keeps a chat's updates in order.
- **Fresh conversation state.** With the lock held, the chat's conversation states and the
  user's user_data are read from the database (bot/persistence.py, refresh_for_update) and
  written back before the lock is released.

Here are the tables, the locks and the order with plain values (update and chat ids); the
python-telegram-bot side (which chat an update belongs to, the hourly prune job) is in
bot/instances.py.

SQLite is one process by nature: none of this runs there, and it stays as fast as before.
A load balancer that routes by chat (hashing the chat id) would make the lock uncontended,
but Telegram's webhook request carries the chat only in its body, so we do not rely on it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.db import Database, is_sqlite
from storage.models import ProcessedUpdate, utcnow

logger = logging.getLogger(__name__)

KEEP_PROCESSED = timedelta(days=1)  # Telegram gives up redelivering well within a day
ORDER_WAIT = timedelta(seconds=5)  # an earlier update whose instance died is not waited for
_LOCK_POLL_START = 0.005
_LOCK_POLL_MAX = 0.05


Runner = AsyncSession | AsyncConnection  # the queries below run in a session or on a lane


def _dialect_name(runner: Runner) -> str:
    return runner.dialect.name if isinstance(runner, AsyncConnection) else (
        runner.get_bind().dialect.name
    )


async def accept_update(session: Runner, update_id: int, chat_id: int | None) -> bool:
    """Record an update as taken; False if some instance took it before."""
    dialect = _dialect_name(session)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(ProcessedUpdate)
        .values(update_id=update_id, chat_id=chat_id, received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(ProcessedUpdate.update_id)
    )
    return (await session.execute(statement)).first() is not None


async def mark_handled(session: Runner, update_id: int, now: datetime) -> None:
    await session.execute(
        update(ProcessedUpdate)
        .where(ProcessedUpdate.update_id == update_id)
        .values(handled_at=now)
    )


async def earlier_pending(
    session: Runner, chat_id: int, update_id: int, now: datetime
) -> bool:
    """Another update of this chat arrived before this one and is not handled yet."""
    return bool(
        await session.scalar(
            select(
                exists().where(
                    ProcessedUpdate.chat_id == chat_id,
                    ProcessedUpdate.update_id < update_id,
                    ProcessedUpdate.handled_at.is_(None),
                    ProcessedUpdate.received_at > now - ORDER_WAIT,
                )
            )
        )
    )


async def prune(session: AsyncSession, now: datetime) -> int:
    """Forget updates older than KEEP_PROCESSED; returns how many rows went."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.received_at < now - KEEP_PROCESSED)
    )
    return int(getattr(result, "rowcount", 0) or 0)


class Lane:
    """One autocommit connection of this process, one statement at a time.

    A statement here is one round trip; a session from the pool costs a pre-ping (three round
    trips), BEGIN and COMMIT around it, which on PostgreSQL was most of an update's work.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self._connection: AsyncConnection | None = None
        self.use = asyncio.Lock()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """The connection, held for this caller's statements."""
        async with self.use:
            if self._connection is None or self._connection.closed:
                connection = await self.database.engine.connect()
                self._connection = await connection.execution_options(
                    isolation_level="AUTOCOMMIT"
                )
            try:
                yield self._connection
            except BaseException as exc:  # a broken or interrupted one is replaced on next use
                if self._connection.invalidated or not isinstance(exc, Exception):
                    await self.close()
                raise

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()


class ChatLocks:
    """PostgreSQL advisory locks per chat, on one autocommit connection of this process."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._lane = Lane(database)
        self.waits = 0  # lock attempts that found the chat busy in another instance

    async def _execute(self, sql: str, key: int) -> Any:
        async with self._lane.connection() as connection:
            return await connection.scalar(text(sql), {"key": key})

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        """Hold the chat's lock; waits, without blocking other chats, while another has it."""
        pause = _LOCK_POLL_START
        while not await self._execute("SELECT pg_try_advisory_lock(:key)", chat_id):
            self.waits += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, _LOCK_POLL_MAX)
        try:
            yield
        finally:
            try:
                await self._execute("SELECT pg_advisory_unlock(:key)", chat_id)
            except Exception:  # the connection is gone, and with it the lock
                logger.warning("could not release a chat lock; reconnecting", exc_info=True)
                await self.close()

    async def close(self) -> None:
        await self._lane.close()


LANES = 3  # autocommit connections per process for the per-update bookkeeping


class SharedUpdates:
    """What an update needs when other instances share the database (no-op on SQLite)."""

    def __init__(self, database: Database, *, ordered: bool) -> None:
        self.database = database
        self.shared = not is_sqlite(database.url)
        # Only accepted webhook updates have rows to keep the order by.
        self.ordered = ordered and self.shared
        self.locks = ChatLocks(database)
        self._lanes = [Lane(database) for _ in range(LANES)]
        self._next = 0

    @asynccontextmanager
    async def lane(self) -> AsyncIterator[Runner]:
        """An autocommit connection for a few statements (PostgreSQL), else a session."""
        if not self.shared:
            async with self.database.session() as session:
                yield session
            return
        free = [lane for lane in self._lanes if not lane.use.locked()]
        if free:
            chosen = free[0]
        else:  # all busy: queue behind them in turn
            self._next = (self._next + 1) % len(self._lanes)
            chosen = self._lanes[self._next]
        async with chosen.connection() as connection:
            yield connection

    async def accept(self, update_id: int, chat_id: int | None) -> bool:
        """Record a webhook update as taken (committed on return); False if taken before."""
        async with self.lane() as runner:
            return await accept_update(runner, update_id, chat_id)

    @asynccontextmanager
    async def turn(
        self,
        chat_id: int | None,
        update_id: int | None,
        refresh: Callable[[Runner], Awaitable[None]] | None = None,
    ) -> AsyncIterator[None]:
        """Hold the chat, wait for its earlier updates, `refresh` (load fresh state, on a
        lane); mark the update handled after."""
        if not self.shared or chat_id is None:
            yield
            return
        async with self._in_order(chat_id, update_id):
            if refresh is not None:
                async with self.lane() as runner:
                    await refresh(runner)
            try:
                yield
            finally:  # still holding the chat: its next update may go as soon as we let go
                if self.ordered and update_id is not None:
                    async with self.lane() as runner:
                        await mark_handled(runner, update_id, utcnow())

    @asynccontextmanager
    async def _in_order(self, chat_id: int, update_id: int | None) -> AsyncIterator[None]:
        pause = _LOCK_POLL_START
        while True:
            async with self.locks.hold(chat_id):
                if self.ordered and update_id is not None:
                    async with self.lane() as runner:
                        waiting = await earlier_pending(runner, chat_id, update_id, utcnow())
                else:
                    waiting = False
                if not waiting:
                    yield
                    return
            # Let the instance with the earlier update take the lock, then look again.
            await asyncio.sleep(pause)
            pause = min(pause * 2, _LOCK_POLL_MAX)

    async def close(self) -> None:
        await self.locks.close()
        for lane in self._lanes:
            await lane.close()
