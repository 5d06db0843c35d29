"""Client-side pacing of Bot API sends: one budget for the whole bot, replies before bulk.

Replaces PTB's AIORateLimiter for two reasons. After a 429 PTB releases every waiting request
as soon as any other request finishes, so sends went out before `retry_after` had passed; here
a 429 holds every send until it has. And the courier's bulk sends (reminders, notices; marked
with `bulk_sends()`) leave a few tokens of the budget to replies, so a member's command is
answered at once while a thousand reminders go out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine, Iterator
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

logger = logging.getLogger(__name__)

_BULK: ContextVar[bool] = ContextVar("branchbot_bulk_send", default=False)
GROUP_RATE = (20, 60)  # Telegram: about 20 messages a minute to one group


@contextlib.contextmanager
def bulk_sends() -> Iterator[None]:
    """Sends made inside (and in tasks started inside) yield to replies."""
    token = _BULK.set(True)
    try:
        yield
    finally:
        _BULK.reset(token)


def retry_seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after in seconds (an int or, with PTB_TIMEDELTA, a timedelta)."""
    wait: Any = exc.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


class PacedRateLimiter(BaseRateLimiter[int]):
    """A token bucket over every send with a chat_id; bulk sends keep `reserve` tokens free."""

    def __init__(
        self, overall_max_rate: float, *, reserve: int = 3, max_retries: int = 5
    ) -> None:
        self.rate = overall_max_rate
        # Half a second of burst: the server's bucket (a second's worth) keeps a margin.
        self.capacity = max(overall_max_rate / 2, 1.0)
        self.reserve = max(0.0, min(float(reserve), self.capacity - 1))
        self.max_retries = max_retries
        self._tokens = self.capacity
        self._updated = time.monotonic()
        self._hold_until = 0.0
        self._bulk_turn = asyncio.Lock()  # bulk sends queue in order instead of all polling
        self._groups: dict[int | str, AsyncLimiter] = {}
        self.holds = 0  # 429s seen

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def hold(self, seconds: float) -> None:
        """Telegram asked to wait: no send leaves before `seconds` from now."""
        self.holds += 1
        self._hold_until = max(self._hold_until, time.monotonic() + seconds)

    async def _take(self, floor: float) -> None:
        while True:
            now = time.monotonic()
            if now < self._hold_until:
                await asyncio.sleep(self._hold_until - now)
                continue
            if not self.rate:
                return
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= 1.0 + floor:
                self._tokens -= 1.0
                return
            await asyncio.sleep((1.0 + floor - self._tokens) / self.rate)

    async def _turn(self, bulk: bool) -> None:
        if bulk:
            async with self._bulk_turn:
                await self._take(self.reserve)
        else:
            await self._take(0.0)

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
        retries = rate_limit_args if rate_limit_args is not None else self.max_retries
        bulk = _BULK.get()
        group = self._group(chat_id)
        for attempt in range(retries + 1):
            await self._turn(bulk)
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
        raise AssertionError("unreachable")
