"""An update's processing slot, given back while the update only waits to send.

`BRANCHBOT_MAX_CONCURRENT_UPDATES` bounds the updates being worked on at once. A reply that
waits for a send token (the client-side cap, a 429's hold, a group's limit) does no work, so
its update steps out of its slot for the wait and the send (`stepped_out()`) and takes a slot
again before it goes on. Otherwise, with 500 members typing the room code and replies paced at
29 a second, every slot holds an update waiting to send, the next update starts only when a
reply has left, and the check-in queue gets one row per transaction instead of hundreds. The
update keeps its chat (chat order holds) and a database transaction it has open.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar

_CURRENT: ContextVar[Slot | None] = ContextVar("branchbot_update_slot", default=None)


class Slot:
    """One update's hold on a slot of the update processor's semaphore."""

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self._semaphore = semaphore
        self._held = False
        self._away = 0  # sends of this update (it may gather several) waiting outside
        self._done = False  # the update has finished: a late send must not take a slot

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Take a slot for the update's whole run; sends made inside may step out of it."""
        await self._semaphore.acquire()
        self._held = True
        token = _CURRENT.set(self)
        try:
            yield
        finally:
            _CURRENT.reset(token)
            self._done = True
            if self._held:
                self._held = False
                self._semaphore.release()

    @contextlib.asynccontextmanager
    async def away(self) -> AsyncIterator[None]:
        """Give the slot back inside; take one again after (the last of parallel sends does)."""
        self._away += 1
        if self._held:
            self._held = False
            self._semaphore.release()
        try:
            yield
        finally:
            self._away -= 1
            if not self._away and not self._held and not self._done:
                await self._semaphore.acquire()  # cancelled here: nothing held, nothing leaks
                if self._held or self._away or self._done:
                    self._semaphore.release()  # another send took it back, or left again
                else:
                    self._held = True


def current_slot() -> Slot | None:
    """The slot of the update this code runs for (None outside an update)."""
    return _CURRENT.get()


@contextlib.asynccontextmanager
async def stepped_out() -> AsyncIterator[None]:
    """Wait and send outside the update's slot (a no-op outside an update)."""
    slot = _CURRENT.get()
    if slot is None:
        yield
        return
    async with slot.away():
        yield


# Bulk sends (reminders, notices) yield to replies in the rate limiter (bot/ratelimit.py).
_BULK: ContextVar[bool] = ContextVar("branchbot_bulk_send", default=False)


@contextlib.contextmanager
def bulk_sends() -> Iterator[None]:
    """Sends made inside (and in tasks started inside) yield to replies."""
    token = _BULK.set(True)
    try:
        yield
    finally:
        _BULK.reset(token)


def in_bulk_sends() -> bool:
    return _BULK.get()
