"""Group commit of the courier's outcomes: every answer Telegram gave is recorded in the
recorder's next write, and that write holds every answer that came while the last one ran.

One write (one statement per outcome, one transaction on SQLite, autocommit on PostgreSQL) for
many messages instead of one each: at a paid broadcast's 1000 sends a second a transaction per
message cost more than the send. Nothing waits to fill a batch: a lone answer is written at
once, so an answer is never held longer than one write that was already running.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from storage import outbox
from storage.db import Database, is_sqlite
from storage.outbox import Settled


class Recorder:
    """Records settled rows for one courier; `record` returns once its rows are stored."""

    def __init__(self, database: Database, courier: str) -> None:
        self.database = database
        self.courier = courier
        self._sqlite = is_sqlite(database.url)
        # Outcomes answered and not yet stored, each with the future its sender awaits.
        self._waiting: list[tuple[Sequence[Settled], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.writes = 0

    async def record(self, results: Sequence[Settled]) -> None:
        """Store these outcomes in the next write; raises what that write raised."""
        stored = asyncio.get_running_loop().create_future()
        self._waiting.append((results, stored))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="outbox-recorder")
        # Shielded: the answer of a send whose task is cancelled is still recorded.
        await asyncio.shield(stored)

    async def _drain(self) -> None:
        """Write what waits, until nothing does; each waiter learns when its rows are stored
        (or why they are not: a failed write fails its waiters, a cancel cancels them all)."""
        while self._waiting:
            waiting, self._waiting = self._waiting, []
            try:
                await self._write([result for batch, _stored in waiting for result in batch])
            except BaseException as exc:
                cancelled = not isinstance(exc, Exception)
                for _batch, stored in waiting + (self._waiting if cancelled else []):
                    if stored.done():
                        continue
                    if cancelled:
                        stored.cancel()
                    else:
                        stored.set_exception(exc)
                if cancelled:
                    self._waiting = []
                    raise
            else:
                for _batch, stored in waiting:
                    if not stored.done():
                        stored.set_result(None)

    async def _write(self, results: list[Settled]) -> None:
        self.writes += 1
        if not self._sqlite:  # PostgreSQL: statements in autocommit, no BEGIN/COMMIT
            async with self.database.engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await outbox.settle(autocommit, results, courier=self.courier)
        else:  # SQLite: through the database's one writer at a time
            async with self.database.session() as session:
                await outbox.settle(session, results, courier=self.courier)
