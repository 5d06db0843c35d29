"""Client-side pacing of Bot API sends: one budget for the whole bot, replies before bulk.

Replaces PTB's AIORateLimiter. Telegram counts its limit strictly (about N messages in any
second), so a bucket that refills while a 429 is waited out, then bursts, walks into the next
429. Here never more than `rate - 1` sends reach Telegram in any second: a send counts from
when it leaves until a second after Telegram answered it (it arrived at some point in between,
and a busy machine delays some sends more than others); a 429 holds every send until
its `retry_after` has passed, and nothing accumulates during a hold (no burst after it). One
dispatcher hands out the sends: replies to people (interactive sends) first, and at once while
the second has room, and spaced like bulk sends when many wait (a burst released together
reaches Telegram spread by the network and is counted in one second); the courier's bulk
sends (reminders, notices; marked with `bulk_sends()`)
evenly spaced, leaving `reserve` sends a second to replies, so a member's command is answered
at once while a thousand reminders go out. Sends made with `allow_paid_broadcast` (paid
notices) are not counted in that limit by Telegram but in one of their own (up to 1000/s): they
are paced by a second limiter at the paid rate, so a paid notice goes out as fast as it is paid.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from handlers.kit.slots import in_bulk_sends, stepped_out

logger = logging.getLogger(__name__)

GROUP_RATE = (20, 60)  # Telegram: about 20 messages a minute to one group
HEADROOM = 0.99  # bulk spacing a hair under its share (the window cap is the hard bound)
WINDOW = 1.0  # seconds: Telegram's limit is per second
Waiter = asyncio.Future[int | None]  # resolved with the send's id in the window
FLIGHT = 1.0  # seconds: a send unanswered this long is taken to have arrived (a hang)
FAST_SLOT = 0.004  # seconds: bulk slots shorter than this catch up a late wake-up ...
CATCH_UP = 0.02  # ... of up to this long (sends back to back; the window cap still holds)


def retry_seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after in seconds (an int or, with PTB_TIMEDELTA, a timedelta)."""
    wait: Any = exc.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


class PacedRateLimiter(BaseRateLimiter[int]):
    """A strict per-second cap; bulk sends evenly spaced below it, replies at once."""

    def __init__(
        self, overall_max_rate: float, *, reserve: int = 1, max_retries: int = 5,
        paid_rate: float = 0,
    ) -> None:
        self.rate = overall_max_rate
        # Paid broadcasts: all bulk, so nothing of their budget is kept for replies.
        self.paid = (
            PacedRateLimiter(paid_rate, reserve=0, max_retries=max_retries) if paid_rate else None
        )
        # At most this many in any WINDOW: one under the limit, as a margin for jitter.
        self.cap = max(1, math.floor(overall_max_rate * WINDOW) - 1) if overall_max_rate else 0
        # Bulk sends leave `reserve` of those to replies, which then never wait for a slot.
        self.bulk_cap = max(1, self.cap - reserve)
        self.interval = WINDOW / (self.bulk_cap * HEADROOM) if overall_max_rate else 0.0
        # The next bulk send leaves at least this long after a late one (see _release); a lane
        # whose slot is shorter than a timer wakes up late (paid, 1 ms) catches up instead.
        self._bulk_lead = self.interval / 2 if self.interval >= FAST_SLOT else -CATCH_UP
        self.reply_interval = WINDOW / self.cap if overall_max_rate else 0.0
        self.max_retries = max_retries
        # Sends still counted: id -> the moment they stop counting, and a heap of those
        # moments (an answer moves a send's moment earlier; the older heap entry goes stale).
        self._counted: dict[int, float] = {}
        self._ends: list[tuple[float, int]] = []
        self._ids = itertools.count()
        self._next_bulk = 0.0
        self._next_reply = 0.0
        self._hold_until = 0.0
        self._waiting: tuple[deque[Waiter], deque[Waiter]] = (
            deque(), deque(),  # interactive, bulk
        )
        self._dispatcher: asyncio.Task[None] | None = None
        self._wake: asyncio.Future[None] | None = None  # the dispatcher's wait, cut short by
        # an interactive send or an answer that may free the window
        self._groups: dict[int | str, AsyncLimiter] = {}
        self.holds = 0  # 429s seen
        self.released = 0  # sends let through

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        if self.paid is not None:
            await self.paid.shutdown()
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await self._dispatcher
            self._dispatcher = None

    def hold(self, seconds: float) -> None:
        """Telegram asked to wait: no send leaves before `seconds` from now."""
        self.holds += 1
        self._hold_until = max(self._hold_until, time.monotonic() + seconds)

    def _wait(self, now: float, bulk: bool) -> float:
        """Seconds until a send of this lane may leave (0: now)."""
        if now < self._hold_until:
            return self._hold_until - now
        if not self.rate:
            return 0.0
        self._forget(now)
        cap = self.bulk_cap if bulk else self.cap
        wait = (self._next_bulk if bulk else self._next_reply) - now
        if len(self._counted) >= cap:  # wait for the first to stop counting (or an answer)
            wait = max(wait, self._ends[0][0] - now)
        return max(0.0, wait)

    def _forget(self, now: float) -> None:
        """Drop the sends that no longer count, and heap entries an answer made stale."""
        ends, counted = self._ends, self._counted
        while ends and (ends[0][0] <= now or counted.get(ends[0][1]) != ends[0][0]):
            end, send = heapq.heappop(ends)
            if counted.get(send) == end:
                del counted[send]

    def _answered(self, send: int | None) -> None:
        """Telegram answered (or the request failed): the send counts a second from now."""
        if send is None or send not in self._counted:
            return
        end = time.monotonic() + WINDOW
        if end < self._counted[send]:
            self._counted[send] = end
            heapq.heappush(self._ends, (end, send))
            if len(self._counted) >= self.bulk_cap:
                self._poke()  # the full window may have room sooner

    def _release(self, now: float, bulk: bool) -> int | None:
        self.released += 1
        if not self.rate:
            return None
        send = next(self._ids)
        end = now + FLIGHT + WINDOW  # until answered
        self._counted[send] = end
        heapq.heappush(self._ends, (end, send))
        # A late wake-up may catch up half a slot, never more (a fast lane: CATCH_UP); after a
        # hold or a pause the pace starts anew (no burst). A lone reply still goes at once.
        if bulk:
            self._next_bulk = max(self._next_bulk + self.interval, now + self._bulk_lead)
        else:
            self._next_reply = max(
                self._next_reply + self.reply_interval, now + self.reply_interval / 2
            )
        return send

    def _poke(self) -> None:
        """Wake the dispatcher if it waits: look again at once."""
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    async def _sleep(self, seconds: float) -> None:
        """Wait `seconds` or until poked (a timer and a future: at a paid 1000/s this runs for
        nearly every send, and wait_for(Event.wait()) costs a task each time)."""
        loop = asyncio.get_running_loop()
        self._wake = loop.create_future()
        timer = loop.call_later(seconds, self._poke)
        try:
            await self._wake
        finally:
            timer.cancel()
            self._wake = None

    async def _dispatch(self) -> None:
        """Hand out sends one by one, interactive first, until nobody waits."""
        while True:
            for queue in self._waiting:
                while queue and queue[0].done():  # cancelled while waiting
                    queue.popleft()
            lane = 0 if self._waiting[0] else 1 if self._waiting[1] else None
            if lane is None:
                self._dispatcher = None
                return
            wait = self._wait(time.monotonic(), bulk=lane == 1)
            if wait > 0:
                await self._sleep(wait)
                continue
            send = self._release(time.monotonic(), bulk=lane == 1)
            self._waiting[lane].popleft().set_result(send)

    def _must_wait(self, bulk: bool, group: AsyncLimiter | None) -> bool:
        """Whether a send of this lane would not leave at once (others queued, cap, hold)."""
        if group is not None and not group.has_capacity():
            return True
        if self._waiting[1 if bulk else 0]:
            return True
        return self._wait(time.monotonic(), bulk) > 0

    async def _turn(self, bulk: bool) -> int | None:
        """Wait until this send may leave; its id in the window (None with no cap)."""
        waiter: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._waiting[1 if bulk else 0].append(waiter)
        if not bulk:
            self._poke()
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="send-pacing")
        return await waiter

    def _group(self, chat_id: Any) -> AsyncLimiter | None:
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)
        if not (isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0)):
            return None
        if chat_id not in self._groups:
            if len(self._groups) > 512:  # forget idle groups
                self._groups = {k: v for k, v in self._groups.items() if not v.has_capacity()}
            self._groups[chat_id] = AsyncLimiter(*GROUP_RATE)
        return self._groups[chat_id]

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Wait for a token (and any 429's hold), send; after a 429 hold everyone and retry."""
        chat_id = data.get("chat_id")
        if chat_id is None:  # getUpdates, answerCallbackQuery...: not counted by Telegram
            return await callback(*args, **kwargs)
        if self.paid is not None and data.get("allow_paid_broadcast"):
            return await self.paid.process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        retries = rate_limit_args if rate_limit_args is not None else self.max_retries
        bulk = in_bulk_sends()
        group = self._group(chat_id)
        for attempt in range(retries + 1):
            # Waiting is not work: the update lends its slot out meanwhile (handlers/kit/slots.py).
            outside = stepped_out() if self._must_wait(bulk, group) else contextlib.nullcontext()
            async with outside:
                send = await self._turn(bulk)
                try:
                    if group is None:
                        return await callback(*args, **kwargs)
                    async with group:
                        return await callback(*args, **kwargs)
                except RetryAfter as exc:
                    self.hold(retry_seconds(exc))
                    if attempt == retries:
                        raise
                    logger.info("%s: flood control, waiting %.1f s", endpoint, retry_seconds(exc))
                finally:
                    self._answered(send)
        raise AssertionError("unreachable")
